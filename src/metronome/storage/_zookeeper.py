"""The replicated store: the `Store` nodes live in ZooKeeper, under one root node.

Every write is one ZooKeeper transaction (multi-op), or part of one shared with concurrent writes
on other nodes (group commit, `_zk_commits`), so `create(makepath=True)`, recursive deletes and
`commit` are all or nothing, and a fence `Check` guards each of them: a writer that lost
leadership cannot land a write, because the leader node's version has moved on.

Calls block for at most the retry deadline. Reads are retried through kazoo's retry policy
until then; a write is retried only when ZooKeeper answered that nothing was applied (or the
write was never sent), because a write whose connection dropped in flight may have landed, and
repeating it would report a false conflict. Either way the caller gets `StoreUnavailable`.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

from kazoo import exceptions as kz
from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState
from kazoo.retry import ForceRetryError, KazooRetry, RetryFailedError

from metronome.storage._store import (
    ANY_VERSION,
    BadVersionError,
    Check,
    Create,
    Delete,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    Op,
    SetData,
    StorageError,
    Store,
    StoreUnavailable,
    check_node_path,
    check_write,
    join_path,
    split_path,
)
from metronome.storage._zk_commits import GroupCommits, OpFailed, OutcomeUnknown
from metronome.storage._zk_reads import get_children_many, get_data_many

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from concurrent.futures import Future

    from metronome.storage._zk_client import Pending, Stat, TransactionResult, ZkClient

    Fence = Callable[[], Check | None]
    Listener = Callable[[KazooState], object]

logger = logging.getLogger(__name__)

WRITER_THREADS = 32
"""Writes handed over by `commit_then` that may wait for ZooKeeper at once (more queue)."""
READ_BATCH = 256
"""Reads per multiRead request: few requests, and replies of a few MB at most in practice."""


class _Backoff(TypedDict):
    """`KazooRetry`'s back-off arguments (seconds, and the factor between two delays)."""

    delay: float
    backoff: float
    max_delay: float
    max_jitter: float


_RETRY_POLICY = _Backoff(delay=0.05, backoff=2, max_delay=0.5, max_jitter=0.2)
"""Back-off shared by command retries (bounded by the deadline) and kazoo's reconnects (not)."""

_T = TypeVar("_T")
_K = TypeVar("_K")


class ZkStore(Store):
    """A `Store` whose `/` is the ZooKeeper node `root` (created when missing).

    Args:
        hosts: ZooKeeper's connection string, `host:port[,host:port...]`.
        root: The absolute ZooKeeper path under which every store path lives, e.g. `/metronome`.
        session_timeout_s: The session timeout asked of ZooKeeper.
        retry_deadline_s: The longest a call (and the initial connection) may take before it
            raises `StoreUnavailable`.
        fence: Called before each write; a `Check` it returns (its path relative to `root`)
            leads the write's transaction, and when that check fails the write raises
            `FencedOut` (a `BadVersionError`) and changes nothing.

    Raises:
        StoreUnavailable: ZooKeeper cannot be reached within `retry_deadline_s`.
        ValueError: `root` is not a node path (`/` itself is ZooKeeper's own, with `/zookeeper`).
    """

    def __init__(
        self,
        hosts: str,
        root: str,
        *,
        session_timeout_s: float = 10.0,
        retry_deadline_s: float = 10.0,
        fence: Fence | None = None,
    ) -> None:
        split_path(root)
        self._hosts = hosts
        self._root = root
        self._deadline_s = retry_deadline_s
        self._closed = False
        self._multi_read = True
        """Whether ZooKeeper takes multiReads; cleared on the first refusal (before 3.6)."""
        self._client: ZkClient = KazooClient(
            hosts=hosts,
            timeout=session_timeout_s,
            connection_retry=KazooRetry(max_tries=-1, **_RETRY_POLICY),
            command_retry=KazooRetry(max_tries=-1, deadline=retry_deadline_s, **_RETRY_POLICY),
        )
        self._commits = GroupCommits(self._client, self._abs, fence)
        self._writers = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="zk-writer")
        """Where `commit_then` waits for ZooKeeper, instead of its caller."""
        self._client.add_listener(self._log_state)
        try:
            self._client.start(timeout=retry_deadline_s)
        except self._client.handler.timeout_exception as exc:
            msg = f"ZooKeeper is unreachable at {hosts}: no session within {retry_deadline_s:g} s"
            raise StoreUnavailable(msg) from exc
        try:
            self._call(lambda deadline: self._wait(self._client.ensure_path_async(root), deadline))
        except StorageError:
            self.close()
            raise
        logger.info("Opened store %s at ZooKeeper %s", root, hosts)

    @property
    def root(self) -> str:
        return self._root

    @property
    def client(self) -> KazooClient:
        """The connection, to share its session (leader election); its paths are absolute."""
        return self._client

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(state)` on each change of connection state (SUSPENDED, LOST, CONNECTED).

        It runs in kazoo's connection thread: it MUST return quickly and MUST NOT call the store.
        """
        self._client.add_listener(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._client.remove_listener(listener)

    def get(self, path: str) -> tuple[bytes, int] | None:
        check_node_path(path)

        def attempt(deadline: float) -> tuple[bytes, int] | None:
            try:
                data, stat = self._wait(self._client.get_async(self._abs(path)), deadline)
            except kz.NoNodeError:
                return None
            return data, stat.version

        return self._call(attempt)

    def children(self, path: str) -> list[str]:
        check_node_path(path)
        return sorted(self._call(lambda deadline: self._children(path, deadline)))

    def children_data(self, path: str) -> dict[str, tuple[bytes, int]]:
        check_node_path(path)

        def attempt(deadline: float) -> dict[str, tuple[bytes, int]]:
            names = sorted(self._children(path, deadline))
            results = self._read_many([join_path(path, n) for n in names], deadline, lists=False)
            return {
                name: (data, stat.version)
                for name, (data, stat) in _present(zip(names, results, strict=True))
            }

        return self._call(attempt)

    def grandchildren_data(self, path: str) -> dict[str, dict[str, tuple[bytes, int]]]:
        check_node_path(path)

        def attempt(deadline: float) -> dict[str, dict[str, tuple[bytes, int]]]:
            names = sorted(self._children(path, deadline))
            listings = self._read_many([join_path(path, n) for n in names], deadline, lists=True)
            found: dict[str, dict[str, tuple[bytes, int]]] = {name: {} for name in names}
            keys = [
                (name, child)
                for name, children in _present(zip(names, listings, strict=True))
                for child in sorted(children)
            ]
            paths = [join_path(join_path(path, name), child) for name, child in keys]
            results = self._read_many(paths, deadline, lists=False)
            for (name, child), (data, stat) in _present(zip(keys, results, strict=True)):
                found[name][child] = (data, stat.version)
            return found

        return self._call(attempt)

    def create(self, path: str, data: bytes = b"", *, makepath: bool = False) -> None:
        check_write(path, data)

        def attempt(deadline: float) -> None:
            ancestors = self._missing_ancestors(path, deadline) if makepath else []
            try:
                self._transact([*(Create(a) for a in ancestors), Create(path, data)], deadline)
            except OpFailed as exc:
                if exc.index < len(ancestors):  # created meanwhile by another writer
                    raise ForceRetryError from exc
                raise

        self._write(attempt, path)

    def set(self, path: str, data: bytes, version: int = ANY_VERSION) -> int:
        check_write(path, data)

        def attempt(deadline: float) -> int:
            (stat,) = self._transact([SetData(path, data, version)], deadline)
            return cast("Stat", stat).version  # a set's result is the node's new stat

        return self._write(attempt, path)

    def delete(self, path: str, version: int = ANY_VERSION, *, recursive: bool = False) -> None:
        split_path(path)

        def attempt(deadline: float) -> None:
            descendants = self._descendants(path, deadline) if recursive else []
            try:
                self._transact([*map(Delete, descendants), Delete(path, version)], deadline)
            except OpFailed as exc:
                if exc.index < len(descendants):  # the subtree changed since the listing
                    raise ForceRetryError from exc
                raise

        self._write(attempt, path)

    def commit(self, ops: Sequence[Op]) -> None:
        ops = tuple(ops)
        for op in ops:
            check_write(op.path, getattr(op, "data", b""))
        if ops:
            self._write(lambda deadline: self._transact(ops, deadline), ops[0].path)

    def commit_then(self, ops: Sequence[Op], done: Callable[[BaseException | None], None]) -> None:
        """`commit` on one of the store's writer threads: the caller's thread goes on while
        ZooKeeper answers, and the writes waiting meanwhile share the next transaction."""
        ops = tuple(ops)
        for op in ops:
            check_write(op.path, getattr(op, "data", b""))
        if self._closed:
            msg = f"ZooKeeper store {self._root} is closed"
            raise StorageError(msg)
        if not ops:
            done(None)
            return

        def answered(_: list[TransactionResult], error: BaseException | None) -> None:
            if isinstance(error, kz.ConnectionLoss | kz.OperationTimeoutError):
                self._commit_later(ops, done)  # nothing was sent: `commit` retries it
            elif error is None:
                done(None)
            else:
                done(self._refused(error, ops[0].path))

        if self._client.connected:
            self._commits.submit(ops, answered)
        else:
            self._commit_later(ops, done)

    def _commit_later(
        self, ops: tuple[Op, ...], done: Callable[[BaseException | None], None]
    ) -> None:
        """`commit` (under the retry policy) on a writer thread, then `done`."""
        self._writers.submit(Store.commit_then, self, ops, done).add_done_callback(_log_bug)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writers.shutdown(wait=True)  # the writes handed over are answered first
        self._client.remove_listener(self._log_state)
        self._client.stop()
        self._client.close()
        logger.info("Closed store %s at ZooKeeper %s", self._root, self._hosts)

    def _abs(self, path: str) -> str:
        return self._root if path == "/" else self._root + path

    def _children(self, path: str, deadline: float) -> list[str]:
        try:
            return self._wait(self._client.get_children_async(self._abs(path)), deadline)
        except kz.NoNodeError as exc:
            msg = f"{path}: no such node"
            raise NoNodeError(msg) from exc

    def _read_many(self, paths: Sequence[str], deadline: float, *, lists: bool) -> list[Any]:
        """The data and stat (or, with `lists`, the children) of each of `paths`, in order; a
        node that cannot be read gives its `ZookeeperError` instead. Batched in multiReads, or
        pipelined one by one on a ZooKeeper older than 3.6."""
        if self._multi_read:
            many = get_children_many if lists else get_data_many
            batches = [
                many(self._client, [self._abs(p) for p in paths[i : i + READ_BATCH]])
                for i in range(0, len(paths), READ_BATCH)
            ]
            try:
                return [result for batch in batches for result in self._wait(batch, deadline)]
            except kz.UnimplementedError:
                logger.warning(
                    "ZooKeeper at %s has no multiRead (it is older than 3.6): reading nodes"
                    " one at a time",
                    self._hosts,
                )
                self._multi_read = False
        single = self._client.get_children_async if lists else self._client.get_async
        pending = [single(self._abs(p)) for p in paths]  # all sent before the first wait
        results: list[Any] = []
        for result in pending:
            try:
                results.append(self._wait(result, deadline))
            except kz.NoNodeError as exc:
                results.append(exc)
        return results

    def _missing_ancestors(self, path: str, deadline: float) -> list[str]:
        """The ancestors of `path` that do not exist, outermost first."""
        ancestors = []
        parent, _ = split_path(path)
        while parent != "/":
            ancestors.append(parent)
            parent, _ = split_path(parent)
        pending = [(a, self._client.exists_async(self._abs(a))) for a in reversed(ancestors)]
        return [a for a, result in pending if self._wait(result, deadline) is None]

    def _descendants(self, path: str, deadline: float) -> list[str]:
        """Every node below `path`, each after its own descendants."""
        found = []
        for name in self._children(path, deadline):
            child = join_path(path, name)
            try:
                found += self._descendants(child, deadline)
            except NoNodeError as exc:  # deleted since the listing
                raise ForceRetryError from exc
            found.append(child)
        return found

    def _transact(self, ops: Sequence[Op], deadline: float) -> list[TransactionResult]:
        """Apply `ops` (after the fence's check) in the next transaction; return their results.

        Raises:
            OpFailed: ZooKeeper refused operation `index` of `ops`; nothing was applied.
            OutcomeUnknown: the answer was lost; the transaction may have been applied.
        """
        return self._commits.transact(ops, deadline)

    def _write(self, attempt: Callable[[float], _T], path: str) -> _T:
        """Run a write attempt under the retry policy, mapping ZooKeeper's refusal to ours."""
        try:
            return self._call(attempt)
        except (OpFailed, OutcomeUnknown) as exc:
            error = self._refused(exc, path)
            raise error from error.__cause__

    def _refused(self, error: BaseException, path: str) -> BaseException:
        """What a write to `path` raises for the error of its transaction."""
        if isinstance(error, OpFailed):
            return _caused_by(_refusal(error.op, error.error), error.error)
        if isinstance(error, OutcomeUnknown):
            msg = (
                f"ZooKeeper is unreachable at {self._hosts}: the connection was lost during a"
                f" write to {path}, which may or may not have been applied"
            )
            return _caused_by(StoreUnavailable(msg), error.__cause__)
        return error

    def _call(self, attempt: Callable[[float], _T]) -> _T:
        """Call `attempt(deadline)` under the retry policy until it completes or time runs out."""
        if self._closed:
            msg = f"ZooKeeper store {self._root} is closed"
            raise StorageError(msg)
        deadline = time.monotonic() + self._deadline_s

        def connected_attempt() -> _T:
            # While disconnected, kazoo queues requests and sends them on reconnection, long
            # after their caller gave up; so send nothing until connected.
            if not self._client.connected:
                raise kz.ConnectionLoss
            return attempt(deadline)

        try:
            return self._client.retry(connected_attempt)
        except (RetryFailedError, kz.ConnectionClosedError) as exc:
            msg = (
                f"ZooKeeper is unreachable at {self._hosts}: no answer within"
                f" {self._deadline_s:g} s ({exc})"
            )
            raise StoreUnavailable(msg) from exc
        except kz.ZookeeperError as exc:
            msg = f"ZooKeeper refused a request under {self._root}: {type(exc).__name__}"
            raise StorageError(msg) from exc

    def _wait(self, result: Pending[_T], deadline: float) -> _T:
        """The result of one request, waiting no later than `deadline`."""
        try:
            return result.get(timeout=max(deadline - time.monotonic(), 0.001))
        except self._client.handler.timeout_exception as exc:
            raise kz.OperationTimeoutError from exc

    def _log_state(self, state: KazooState) -> None:
        if state == KazooState.CONNECTED:
            logger.info("Connected to ZooKeeper %s", self._hosts)
        else:
            logger.warning("ZooKeeper connection %s (%s)", state.lower(), self._hosts)


def _present(pairs: Iterable[tuple[_K, Any]]) -> Iterator[tuple[_K, Any]]:
    """The `(key, result)` pairs of nodes read; nodes deleted since their listing are skipped,
    any other refusal is raised."""
    for key, result in pairs:
        if isinstance(result, kz.NoNodeError):
            continue
        if isinstance(result, kz.ZookeeperError):
            raise result
        yield key, result


def _refusal(op: Op, error: kz.ZookeeperError) -> StorageError:
    """Our error for ZooKeeper's refusal of `op`."""
    path = op.path
    match error:
        case kz.NodeExistsError():
            return NodeExistsError(f"{path}: node exists")
        case kz.NoNodeError() if isinstance(op, Create):
            return NoNodeError(f"{path}: parent node does not exist")
        case kz.NoNodeError():
            return NoNodeError(f"{path}: no such node")
        case kz.BadVersionError():
            expected = getattr(op, "version", ANY_VERSION)
            return BadVersionError(f"{path}: version is not the expected {expected}")
        case kz.NotEmptyError():
            return NotEmptyError(f"{path}: node has children")
    return StorageError(f"{path}: ZooKeeper refused the write: {type(error).__name__}")


def _log_bug(written: Future[None]) -> None:
    """A write handed over failed with an error that is not the store's (a bug): say so."""
    error = written.exception()
    if error is not None:
        logger.error("A write handed to the store failed", exc_info=error)


def _caused_by(error: BaseException, cause: BaseException | None) -> BaseException:
    error.__cause__ = cause
    return error
