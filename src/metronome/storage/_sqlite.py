"""The local store: one SQLite file in the data dir, written through a group-committing thread.

Durability costs one fsync per transaction (WAL, `synchronous=FULL`), about a millisecond or more
on a real disk. One thread owns the write connection and commits everything queued since its last
commit in one transaction, each caller's operations in their own SAVEPOINT so that one caller's
failure does not fail the others; so concurrent writers share fsyncs instead of queueing for them.
Reads use a small pool of read-only connections, which WAL lets run beside the writer.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import logging
import os
import queue
import sqlite3
import stat
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from metronome.storage._store import (
    ANY_VERSION,
    BadVersionError,
    Check,
    Create,
    DataDirError,
    Delete,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    Op,
    SetData,
    StorageError,
    Store,
    check_node_path,
    check_write,
    split_path,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

DB_FILE_NAME = "metronome.db"
LOCK_FILE_NAME = "metronome.db.lock"
FORMAT_VERSION = 1
"""The layout of the SQLite file; bump it (and migrate) when the schema changes."""

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE nodes ("
    " path TEXT PRIMARY KEY, parent TEXT NOT NULL, data BLOB NOT NULL, version INTEGER NOT NULL"
    ") WITHOUT ROWID",
    "CREATE INDEX nodes_by_parent ON nodes (parent)",
    "INSERT INTO nodes VALUES ('/', '', x'', 0)",
)


@dataclass(slots=True)
class _Request:
    """One caller's write, waiting for the writer thread."""

    apply: Callable[[sqlite3.Connection], None]
    """Runs the write's statements; it keeps their result for the caller itself."""
    then: Callable[[BaseException | None], None] | None = None
    """Called by the writer thread with the outcome once committed (`commit_then`)."""
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def finish(self) -> None:
        self.done.set()
        if self.then is not None:
            try:
                self.then(self.error)
            except Exception:
                logger.exception("Handing over the outcome of a write failed")


class SqliteStore(Store):
    """A `Store` in `<data_dir>/metronome.db`; one process at a time may open a data dir.

    Raises:
        DataDirError: the data dir or its file cannot be used (see the message).
    """

    def __init__(self, data_dir: Path) -> None:
        self._file = data_dir / DB_FILE_NAME
        with contextlib.ExitStack() as undo:
            self._lock_fd = _lock_data_dir(data_dir)
            undo.callback(os.close, self._lock_fd)
            self._conn = self._connect()
            undo.callback(self._conn.close)
            self._init_format()
            _fsync_dir(data_dir)
            undo.pop_all()
        self._readers: list[sqlite3.Connection] = []
        self._idle_readers: collections.deque[sqlite3.Connection] = collections.deque()
        self._readers_lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._closed = False
        self._close_lock = threading.Lock()
        self._writer = threading.Thread(
            target=self._write_loop, name=f"sqlite-writer:{self._file}", daemon=True
        )
        self._writer.start()
        logger.info("Opened store %s", self._file)

    def get(self, path: str) -> tuple[bytes, int] | None:
        check_node_path(path)
        rows = self._read("SELECT data, version FROM nodes WHERE path = ?", (path,))
        return rows[0] if rows else None

    def children(self, path: str) -> list[str]:
        return [row[0] for row in self._child_rows(path, "NULL")]

    def children_data(self, path: str) -> dict[str, tuple[bytes, int]]:
        return {name: (data, version) for name, data, version in self._child_rows(path, "data")}

    def create(self, path: str, data: bytes = b"", *, makepath: bool = False) -> None:
        check_write(path, data)
        self._write(lambda conn: _create(conn, path, data, makepath=makepath))

    def set(self, path: str, data: bytes, version: int = ANY_VERSION) -> int:
        check_write(path, data)
        return self._write(lambda conn: _set(conn, path, data, version))

    def delete(self, path: str, version: int = ANY_VERSION, *, recursive: bool = False) -> None:
        split_path(path)
        self._write(lambda conn: _delete(conn, path, version, recursive=recursive))

    def commit(self, ops: Sequence[Op]) -> None:
        ops = tuple(ops)
        for op in ops:
            check_write(op.path, getattr(op, "data", b""))
        self._write(lambda conn: _apply_ops(conn, ops))

    def commit_then(self, ops: Sequence[Op], done: Callable[[BaseException | None], None]) -> None:
        """Queued for the writer thread's next transaction; `done` runs on that thread."""
        ops = tuple(ops)
        for op in ops:
            check_write(op.path, getattr(op, "data", b""))
        self._enqueue(_Request(lambda conn: _apply_ops(conn, ops), then=done))

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(None)
        self._writer.join()
        self._conn.close()
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
        os.close(self._lock_fd)
        logger.info("Closed store %s", self._file)

    def _child_rows(self, path: str, data_column: str) -> list[tuple[str, Any, int]]:
        """(name, data, version) of each child; `data_column` is "data" or "NULL"."""
        check_node_path(path)
        start = len(path) + 1 if path != "/" else 1
        rows = self._read(
            f"SELECT substr(path, ?), {data_column}, version FROM nodes"
            " WHERE parent = ? ORDER BY path",
            (start + 1, path),
        )
        if not rows and not self._read("SELECT 1 FROM nodes WHERE path = ?", (path,)):
            msg = f"{path}: no such node"
            raise NoNodeError(msg)
        return rows

    def _connect(self, *, read_only: bool = False) -> sqlite3.Connection:
        conn = None
        try:
            if not read_only:
                _keep_private(self._file)
            conn = sqlite3.connect(self._file, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            if read_only:
                conn.execute("PRAGMA query_only = 1")
                return conn
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute("PRAGMA synchronous = FULL")
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()
            msg = f"{self._file}: cannot open as a SQLite database: {exc}"
            raise DataDirError(msg) from exc
        if mode != "wal":
            conn.close()
            msg = f"{self._file}: cannot use write-ahead logging (journal mode {mode!r})"
            raise DataDirError(msg)
        return conn

    def _init_format(self) -> None:
        """Write the format record into a new file; refuse a file that is not ours or newer."""
        conn = self._conn
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if not tables:
                conn.execute("BEGIN IMMEDIATE")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO meta VALUES ('format_version', ?)", (str(FORMAT_VERSION),)
                )
                conn.execute("COMMIT")
                logger.info("Initialized store %s (format %d)", self._file, FORMAT_VERSION)
                return
            row = None
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
        except sqlite3.Error as exc:
            msg = f"{self._file}: cannot read as a Metronome store: {exc}"
            raise DataDirError(msg) from exc
        if row is None:
            msg = f"{self._file}: not a Metronome store (no format record)"
            raise DataDirError(msg)
        if row[0] != str(FORMAT_VERSION):
            msg = (
                f"{self._file}: written in store format {row[0]!r}, this version reads format "
                f"{FORMAT_VERSION} only"
            )
            raise DataDirError(msg)

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Run a query on an idle read connection (a new one if all are busy)."""
        if self._closed:
            msg = f"{self._file}: store is closed"
            raise StorageError(msg)
        try:
            conn = self._idle_readers.pop()
        except IndexError:
            conn = self._connect(read_only=True)
            with self._readers_lock:
                self._readers.append(conn)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            msg = f"{self._file}: read failed: {exc}"
            raise StorageError(msg) from exc
        finally:
            self._idle_readers.append(conn)

    def _write(self, apply: Callable[[sqlite3.Connection], _T]) -> _T:
        """`apply(conn)` in the writer thread's next transaction; its result once committed."""
        results: list[_T] = []  # the writer thread appends it; read after `done` only
        request = _Request(lambda conn: results.append(apply(conn)))
        self._enqueue(request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        return results[0]

    def _enqueue(self, request: _Request) -> None:
        with self._close_lock:
            if self._closed:
                msg = f"{self._file}: store is closed"
                raise StorageError(msg)
            self._queue.put(request)

    def _write_loop(self) -> None:
        while True:
            batch = [self._queue.get()]
            with contextlib.suppress(queue.Empty):
                while True:
                    batch.append(self._queue.get_nowait())
            requests = [request for request in batch if request is not None]
            if requests:
                self._commit_batch(requests)
            if len(requests) < len(batch):  # close() queued its stop marker last
                return

    def _commit_batch(self, batch: list[_Request]) -> None:
        conn = self._conn
        alone = len(batch) == 1  # then the transaction is its savepoint: two statements fewer
        try:
            conn.execute("BEGIN IMMEDIATE")
            for request in batch:
                if not alone:
                    conn.execute("SAVEPOINT request")
                try:
                    request.apply(conn)
                except Exception as exc:  # noqa: BLE001 - its caller raises it
                    conn.execute("ROLLBACK" if alone else "ROLLBACK TO request")
                    request.error = self._failed(exc) if isinstance(exc, sqlite3.Error) else exc
                if not alone:
                    conn.execute("RELEASE request")
            if conn.in_transaction:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            logger.error("Commit of %d writes to %s failed: %s", len(batch), self._file, exc)
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            error = self._failed(exc)
            for request in batch:
                request.error = error
        finally:
            for request in batch:
                request.finish()

    def _failed(self, exc: sqlite3.Error) -> StorageError:
        return StorageError(f"{self._file}: write failed: {exc}")


def _lock_data_dir(data_dir: Path) -> int:
    """Create the data dir if needed and lock it against a second process."""
    lock_file = data_dir / LOCK_FILE_NAME
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        msg = f"{data_dir}: cannot use as the data dir: {exc}"
        raise DataDirError(msg) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        msg = f"{lock_file}: the data dir is in use by another process ({exc})"
        raise DataDirError(msg) from exc
    return fd


def _fsync_dir(directory: Path) -> None:
    """Make the new file names in `directory` durable; SQLite syncs contents, not the dir."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _version_of(conn: sqlite3.Connection, path: str) -> int:
    row = conn.execute("SELECT version FROM nodes WHERE path = ?", (path,)).fetchone()
    if row is None:
        msg = f"{path}: no such node"
        raise NoNodeError(msg)
    version: int = row[0]
    return version


def _checked_version(conn: sqlite3.Connection, path: str, expected: int) -> int:
    version = _version_of(conn, path)
    if expected not in (ANY_VERSION, version):
        msg = f"{path}: version is {version}, expected {expected}"
        raise BadVersionError(msg)
    return version


# Each operation is one statement when it succeeds (the writer thread hands the GIL over at
# every statement); the statements that tell why it failed run only then.


def _create(conn: sqlite3.Connection, path: str, data: bytes, *, makepath: bool) -> None:
    parent, _ = split_path(path)
    if makepath and parent != "/":
        _create_ancestors(conn, parent)
    try:
        inserted = conn.execute(
            "INSERT INTO nodes SELECT ?, ?, ?, 0 WHERE EXISTS (SELECT 1 FROM nodes WHERE path = ?)",
            (path, parent, data, parent),
        ).rowcount
    except sqlite3.IntegrityError as exc:
        msg = f"{path}: node exists"
        raise NodeExistsError(msg) from exc
    if not inserted:
        msg = f"{path}: parent node does not exist"
        raise NoNodeError(msg)


def _create_ancestors(conn: sqlite3.Connection, path: str) -> None:
    parent, _ = split_path(path)
    if parent != "/":
        _create_ancestors(conn, parent)
    conn.execute("INSERT OR IGNORE INTO nodes VALUES (?, ?, x'', 0)", (path, parent))


def _set(conn: sqlite3.Connection, path: str, data: bytes, version: int) -> int:
    row = conn.execute(
        "UPDATE nodes SET data = ?, version = version + 1 WHERE path = ? AND ? IN (?, version)"
        " RETURNING version",
        (data, path, version, ANY_VERSION),
    ).fetchone()
    if row is None:
        _checked_version(conn, path, version)  # raises why
    new_version: int = row[0]
    return new_version


def _delete(conn: sqlite3.Connection, path: str, version: int, *, recursive: bool) -> None:
    if recursive:
        _checked_version(conn, path, version)
        # Every descendant's path sorts in [path + "/", path + "0"): "0" follows "/" in ASCII.
        conn.execute("DELETE FROM nodes WHERE path >= ? AND path < ?", (f"{path}/", f"{path}0"))
        conn.execute("DELETE FROM nodes WHERE path = ?", (path,))
        return
    deleted = conn.execute(
        "DELETE FROM nodes WHERE path = ? AND ? IN (?, version)"
        " AND NOT EXISTS (SELECT 1 FROM nodes WHERE parent = ?)",
        (path, version, ANY_VERSION, path),
    ).rowcount
    if not deleted:
        _checked_version(conn, path, version)  # raises why, unless it is the children
        msg = f"{path}: node has children"
        raise NotEmptyError(msg)


def _apply_ops(conn: sqlite3.Connection, ops: Sequence[Op]) -> None:
    for op in ops:
        match op:
            case Create(path, data):
                _create(conn, path, data, makepath=False)
            case SetData(path, data, version):
                _set(conn, path, data, version)
            case Delete(path, version):
                _delete(conn, path, version, recursive=False)
            case Check(path, version):
                _checked_version(conn, path, version)


def _keep_private(file: Path) -> None:
    """The store holds every job's `env`; tasks run on this host as other users. Created 0600
    (SQLite gives its -wal and -shm files the same mode), and an existing file loses any group
    or other access."""
    descriptor = os.open(file, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        mode = stat.S_IMODE(os.fstat(descriptor).st_mode)
        if mode & 0o077:
            os.fchmod(descriptor, mode & 0o700)
    finally:
        os.close(descriptor)
