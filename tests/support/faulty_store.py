"""A `Store` that fails on command: a wrapper around a real store (SQLite or ZooKeeper).

Tests switch faults on and off while the service runs, to reach every persisted step of a run's
life and of a schedule's firing: `fail_writes()` refuses every write, `fail_writes(under=...)`
only those that touch a subtree, `fail_next_writes(n)` the next n. Reads pass through unless
`fail_reads()` is on. `lose_answers(under=...)` applies a write and then reports it failed, as
a ZooKeeper write whose answer is lost (a timeout). Healing restores the real store's behaviour.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

from metronome.storage import (
    ANY_VERSION,
    JobHistoryRepository,
    JobRunRepository,
    StorageError,
    Store,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from metronome.model import JobHistory, JobId, JobRun
    from metronome.storage import Op

WRITE_CALLS = ("create", "set", "delete", "commit")
DISK_FULL = "database or disk is full"
"""SQLite's message when the data dir's disk is full."""


class FaultyStore(Store):
    """Delegates to `store`, raising `StorageError` for the operations a fault covers."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._writes_under: tuple[str, ...] | None = None
        self._next_writes = 0
        self._reads = False
        self._lost_under: tuple[str, ...] | None = None
        self._calls = frozenset(WRITE_CALLS)
        self._message = DISK_FULL
        self._error: type[Exception] = StorageError
        self.refused = 0
        """How many operations a fault refused."""

    def fail_writes(
        self,
        *,
        under: Sequence[str] = ("/",),
        message: str = DISK_FULL,
        error: type[Exception] = StorageError,
        calls: Sequence[str] = WRITE_CALLS,
    ) -> None:
        """Refuse every write that touches a path under one of `under`, until `heal`; `error`
        other than a `StorageError` stands for a bug below the actor; `calls` names the
        methods refused (e.g. only `set`: a run's status write, not its job's commits)."""
        with self._lock:
            self._writes_under = tuple(under)
            self._message = message
            self._error = error
            self._calls = frozenset(calls)

    def fail_next_writes(self, count: int, *, message: str = DISK_FULL) -> None:
        """Refuse the next `count` writes, whatever they touch."""
        with self._lock:
            self._next_writes = count
            self._message = message

    def lose_answers(self, *, under: Sequence[str] = ("/",)) -> None:
        """Apply every write under one of `under`, then raise as if its answer were lost."""
        with self._lock:
            self._lost_under = tuple(under)

    def fail_reads(self, *, message: str = DISK_FULL) -> None:
        with self._lock:
            self._reads = True
            self._message = message

    def heal(self) -> None:
        with self._lock:
            self._error = StorageError
            self._writes_under = None
            self._next_writes = 0
            self._reads = False
            self._lost_under = None
            self._calls = frozenset(WRITE_CALLS)

    def get(self, path: str) -> tuple[bytes, int] | None:
        self._check_read(path)
        return self.store.get(path)

    def children(self, path: str) -> list[str]:
        self._check_read(path)
        return self.store.children(path)

    def children_data(self, path: str) -> dict[str, tuple[bytes, int]]:
        self._check_read(path)
        return self.store.children_data(path)

    def grandchildren_data(self, path: str) -> dict[str, dict[str, tuple[bytes, int]]]:
        self._check_read(path)
        return self.store.grandchildren_data(path)

    def create(self, path: str, data: bytes = b"", *, makepath: bool = False) -> None:
        self._check_write("create", [path])
        self.store.create(path, data, makepath=makepath)
        self._check_answer([path])

    def set(self, path: str, data: bytes, version: int = ANY_VERSION) -> int:
        self._check_write("set", [path])
        version = self.store.set(path, data, version)
        self._check_answer([path])
        return version

    def delete(self, path: str, version: int = ANY_VERSION, *, recursive: bool = False) -> None:
        self._check_write("delete", [path])
        self.store.delete(path, version, recursive=recursive)
        self._check_answer([path])

    def commit(self, ops: Sequence[Op]) -> None:
        paths = [op.path for op in ops]
        self._check_write("commit", paths)
        self.store.commit(ops)
        self._check_answer(paths)

    def close(self) -> None:
        self.store.close()

    def _check_read(self, path: str) -> None:
        with self._lock:
            if self._reads:
                self.refused += 1
                msg = f"{path}: read failed: {self._message}"
                raise StorageError(msg)

    def _check_write(self, call: str, paths: Sequence[str]) -> None:
        with self._lock:
            if self._next_writes > 0:
                self._next_writes -= 1
            elif (
                self._writes_under is None
                or call not in self._calls
                or not _touches(paths, self._writes_under)
            ):
                return
            self.refused += 1
            msg = f"{paths[0]}: write failed: {self._message}"
            raise self._error(msg)

    def _check_answer(self, paths: Sequence[str]) -> None:
        with self._lock:
            if self._lost_under is None or not _touches(paths, self._lost_under):
                return
            self.refused += 1
        msg = f"{paths[0]}: the answer was lost; the write may or may not have landed"
        raise StoreUnavailable(msg)


def _touches(paths: Sequence[str], roots: Sequence[str]) -> bool:
    return any(_under(path, root) for path in paths for root in roots)


def _under(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")


def stored_run(store: FaultyStore, job_id: str, run_id: str) -> JobRun | None:
    """The run's record as the real store holds it."""
    runs = JobRunRepository(store.store).load_all()
    return next((run for run in runs if run.job_id == job_id and run.id == run_id), None)


def stored_history(store: FaultyStore, job_id: str) -> JobHistory | None:
    """The job's history as the real store holds it."""
    return JobHistoryRepository(store.store).load(cast("JobId", job_id))
