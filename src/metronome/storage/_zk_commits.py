"""Group commit for the ZooKeeper store: concurrent writes share one multi-op transaction.

A ZooKeeper request costs the client, the connection and the server far more than one more
operation in it, so the writes that callers hand in while transactions are on their way are sent
together as the next transaction, led by one fence check (at most `MAX_IN_FLIGHT` transactions
are outstanding). Every caller still gets its own answer, once ZooKeeper gave it:

- Only writes on disjoint nodes share a transaction: no node of one is a node, or the parent of
  a node, of another. So whether an operation succeeds cannot depend on its batch-mates, and the
  operation ZooKeeper names as failed is the fault of its own write: that write gets the refusal,
  and its batch-mates, of which a refused multi applied nothing, are sent again without it.
- A failed fence check refuses the whole batch (`FencedOut`): this server may no longer write.
- A transaction whose answer was lost leaves each of its writes' outcome unknown.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kazoo import exceptions as kz

from metronome.storage._store import (
    Check,
    Create,
    Delete,
    FencedOut,
    Op,
    SetData,
    StorageError,
    split_path,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from metronome.storage._zk_client import Pending, TransactionResult, ZkClient

    Fence = Callable[[], Check | None]
    Answer = Callable[[list[TransactionResult], BaseException | None], None]

logger = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 0xFFFFF
"""ZooKeeper's default `jute.maxbuffer`: a server drops the connection of a larger request."""
OP_OVERHEAD_BYTES = 64
"""A generous bound on one operation's framing (type, lengths, ACL, flags) in a request."""
MAX_IN_FLIGHT = 2
"""Transactions outstanding at once: one fills while another is on its way (docs/benchmarks.md,
"Sixth round")."""

_LOST = (kz.ConnectionLoss, kz.OperationTimeoutError, kz.SessionExpiredError)
"""Answers that leave open whether a sent transaction was applied."""


class OutcomeUnknown(Exception):
    """A write was sent but its answer was lost; not retried (kazoo's policy passes it on)."""


class OpFailed(Exception):
    """Operation `op` (number `index`) of a write failed; nothing of the write was applied."""

    def __init__(self, index: int, op: Op, error: kz.ZookeeperError) -> None:
        super().__init__(index, op, error)
        self.index = index
        self.op = op
        self.error = error


@dataclass(eq=False, slots=True)
class _Write:
    """One caller's operations, waiting for their transaction's answer."""

    ops: tuple[Op, ...]
    size: int
    nodes: frozenset[str]
    parents: frozenset[str]
    alone: bool = False
    """Send in a transaction of its own: its batch was refused as a whole, for a reason that
    names no operation."""
    abandoned: bool = False
    """Its caller gave up waiting: not to be sent again."""
    done: threading.Event = field(default_factory=threading.Event)
    results: list[TransactionResult] = field(default_factory=list)
    error: BaseException | None = None
    then: Answer | None = None
    """Called with the answer, for a caller that does not wait (`GroupCommits.submit`)."""

    def finish(self, results: list[TransactionResult], error: BaseException | None) -> None:
        self.results = results
        self.error = error
        self.done.set()
        if self.then is not None:
            self.then(results, error)


@dataclass(slots=True)
class _Batch:
    writes: list[_Write]
    fence: Check | None
    over: bool = False
    """No longer counted in flight."""


class GroupCommits:
    """Sends the writes of concurrent callers as few transactions, each caller its own answer.

    Args:
        client: The store's connection.
        absolute: Maps a store path to its ZooKeeper path.
        fence: As `ZkStore`'s: asked once per transaction, its check leads the transaction.
    """

    def __init__(
        self, client: ZkClient, absolute: Callable[[str], str], fence: Fence | None
    ) -> None:
        self._client = client
        self._abs = absolute
        self._fence = fence
        self._lock = threading.Lock()
        self._queue: collections.deque[_Write] = collections.deque()
        """Writes not sent, or sent in a transaction that applied nothing; oldest first."""
        self._in_flight = 0

    def transact(self, ops: Sequence[Op], deadline: float) -> list[TransactionResult]:
        """Apply `ops` (after the fence's check) as one transaction; return their results.

        Raises:
            OpFailed: ZooKeeper refused operation `index` of `ops`; nothing was applied.
            FencedOut: the fence check failed; nothing was applied.
            kz.ConnectionLoss: not connected; nothing was sent.
            kz.OperationTimeoutError: `deadline` passed before the write was sent.
            OutcomeUnknown: the answer was lost; the write may have been applied.
            StorageError: the write is larger than ZooKeeper takes in one request.
        """
        write = self._write(tuple(ops))
        with self._lock:
            self._queue.append(write)
        self._pump()
        if not write.done.wait(max(deadline - time.monotonic(), 0.001)):
            with self._lock:
                waiting = write in self._queue
                if waiting:
                    self._queue.remove(write)
                write.abandoned = True
            if waiting:
                raise kz.OperationTimeoutError
            if not write.done.is_set():
                raise OutcomeUnknown
        if write.error is not None:
            raise write.error
        return write.results

    def submit(self, ops: Sequence[Op], then: Answer) -> None:
        """`transact` without waiting (and without a deadline): `then(results, None)`, or
        `then([], error)` with what `transact` would raise, on kazoo's callback thread.

        Raises:
            StorageError: the write is larger than ZooKeeper takes in one request.
        """
        write = self._write(tuple(ops))
        write.then = then
        with self._lock:
            self._queue.append(write)
        self._pump()

    def _write(self, ops: tuple[Op, ...]) -> _Write:
        sizes = [self._size(op) for op in ops]
        fence = self._fence() if self._fence is not None else None
        total = sum(sizes) + (self._size(fence) if fence is not None else 0) + OP_OVERHEAD_BYTES
        if total > MAX_REQUEST_BYTES:
            largest = ops[sizes.index(max(sizes))].path
            msg = (
                f"{largest}: a write of about {total} bytes exceeds ZooKeeper's limit of"
                f" {MAX_REQUEST_BYTES} bytes per request (jute.maxbuffer)"
            )
            raise StorageError(msg)
        nodes = frozenset(op.path for op in ops)
        return _Write(ops, sum(sizes), nodes, frozenset(split_path(p)[0] for p in nodes))

    def _size(self, op: Op) -> int:
        return len(getattr(op, "data", b"")) + len(self._abs(op.path).encode()) + OP_OVERHEAD_BYTES

    def _pump(self) -> None:
        """Send queued writes while fewer than `MAX_IN_FLIGHT` transactions are outstanding."""
        while True:
            with self._lock:
                if self._in_flight >= MAX_IN_FLIGHT or not self._queue:
                    return
                self._in_flight += 1
                batch = self._take()
            self._send(batch)

    def _take(self) -> _Batch:
        """The oldest queued writes that fit one request and touch disjoint nodes (lock held)."""
        fence = self._fence() if self._fence is not None else None
        size = OP_OVERHEAD_BYTES + (self._size(fence) if fence is not None else 0)
        writes: list[_Write] = []
        nodes: set[str] = set()
        parents: set[str] = set()
        while self._queue:
            write = self._queue[0]
            if writes and (
                write.alone
                or writes[0].alone
                or size + write.size > MAX_REQUEST_BYTES
                or not write.nodes.isdisjoint(nodes)
                or not write.nodes.isdisjoint(parents)
                or not write.parents.isdisjoint(nodes)
            ):
                break  # the rest waits for the next transaction, in order
            self._queue.popleft()
            writes.append(write)
            size += write.size
            nodes |= write.nodes
            parents |= write.parents
        return _Batch(writes, fence)

    def _send(self, batch: _Batch) -> None:
        if not self._client.connected:  # kazoo would send it on reconnection, long after
            self._finish(batch, lambda _: ([], kz.ConnectionLoss()))
            return
        try:
            transaction = self._client.transaction()
            for op in _sent_ops(batch):
                match op:
                    case Create(path, data):
                        transaction.create(self._abs(path), data)
                    case SetData(path, data, version):
                        transaction.set_data(self._abs(path), data, version)
                    case Delete(path, version):
                        transaction.delete(self._abs(path), version)
                    case Check(path, version):
                        transaction.check(self._abs(path), version)
            pending = transaction.commit_async()
        except Exception as exc:  # noqa: BLE001 - each caller raises it
            self._refused(batch, exc)
            return
        pending.rawlink(lambda answer: self._answered(batch, answer))

    def _answered(self, batch: _Batch, answer: Pending[list[TransactionResult]]) -> None:
        """Settle `batch`, then send what waits (in kazoo's callback thread)."""
        try:
            self._settle(batch, answer)
        except Exception:  # a fault here: no caller may wait for an answer that cannot come
            logger.exception("Settling a transaction of %d writes failed", len(batch.writes))
            for write in batch.writes:
                if not write.done.is_set():
                    write.finish([], OutcomeUnknown())
            with self._lock:
                if not batch.over:
                    batch.over = True
                    self._in_flight -= 1
        self._pump()

    def _settle(self, batch: _Batch, answer: Pending[list[TransactionResult]]) -> None:
        """Give each write of `batch` its answer, or queue it again."""
        try:
            results = answer.get(block=False)
        except Exception as exc:  # noqa: BLE001 - each caller raises it
            self._refused(batch, exc)
            return
        failed = next(
            (
                index
                for index, result in enumerate(results)
                if isinstance(result, kz.ZookeeperError)
                and not isinstance(result, (kz.RolledBackError, kz.RuntimeInconsistency))
            ),
            None,
        )
        fence = batch.fence
        if fence is not None and failed == 0:
            msg = (
                f"{fence.path}: fence check failed (version {fence.version} expected):"
                " this server may no longer write"
            )
            cause = results[0] if isinstance(results[0], Exception) else None
            self._finish(batch, lambda _: ([], _caused(FencedOut(msg), cause)))
            return
        starts = dict(zip(map(id, batch.writes), _offsets(batch), strict=True))

        def outcome(write: _Write) -> tuple[list[TransactionResult], BaseException | None] | None:
            start = starts[id(write)]
            if failed is None:
                return results[start : start + len(write.ops)], None
            if start <= failed < start + len(write.ops):
                error = results[failed]
                assert isinstance(error, kz.ZookeeperError)
                return [], OpFailed(failed - start, write.ops[failed - start], error)
            return None  # rolled back with the failed one: send it again

        self._finish(batch, outcome)

    def _refused(self, batch: _Batch, error: Exception) -> None:
        """Settle `batch`, whose transaction failed as a whole with `error`."""
        if isinstance(error, _LOST):
            self._finish(batch, lambda _: ([], _caused(OutcomeUnknown(), error)))
        elif isinstance(error, kz.ZookeeperError) and len(batch.writes) > 1:
            self._finish(batch, lambda _: None, alone=True)  # whose is it? each alone tells
        else:
            self._finish(batch, lambda _: ([], error))

    def _finish(
        self,
        batch: _Batch,
        outcome: Callable[[_Write], tuple[list[TransactionResult], BaseException | None] | None],
        *,
        alone: bool = False,
    ) -> None:
        """Give each write its `outcome`, or (None) queue it again ahead of newer writes, unless
        its caller gave up; the transaction is over."""
        again = []
        for write in batch.writes:
            answer = outcome(write)
            if answer is None:
                write.alone = alone
                again.append(write)
            else:
                write.finish(*answer)
        with self._lock:
            self._queue.extendleft(w for w in reversed(again) if not w.abandoned)
            batch.over = True
            self._in_flight -= 1


def _caused(error: BaseException, cause: BaseException | None) -> BaseException:
    """`error`, raised `from cause` (a new one for each caller: they raise it in threads of
    their own)."""
    error.__cause__ = cause
    return error


def _sent_ops(batch: _Batch) -> Iterable[Op]:
    if batch.fence is not None:
        yield batch.fence
    for write in batch.writes:
        yield from write.ops


def _offsets(batch: _Batch) -> list[int]:
    """The index of each write's first operation in the transaction."""
    offsets = []
    index = 1 if batch.fence is not None else 0
    for write in batch.writes:
        offsets.append(index)
        index += len(write.ops)
    return offsets
