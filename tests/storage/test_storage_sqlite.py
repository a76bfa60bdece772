"""The SQLite store's own promises: durability, group commit, and refusing unusable data dirs."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import metronome
from metronome.storage import Create, DataDirError, NodeExistsError, SqliteStore

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from metronome.storage import SqliteStore

    store = SqliteStore(Path(sys.argv[1]))
    for i in range(100_000):
        store.create(f"/n{i}", f"record {i}".encode())
        print(i, flush=True)
    """
)


def test_data_survives_reopen(tmp_path: Path) -> None:
    with_store = SqliteStore(tmp_path)
    with_store.create("/a/b", b"x", makepath=True)
    with_store.set("/a/b", b"y")
    with_store.close()

    reopened = SqliteStore(tmp_path)
    try:
        assert reopened.get("/a/b") == (b"y", 1)
        assert reopened.children("/") == ["a"]
    finally:
        reopened.close()


def test_every_acknowledged_write_survives_kill_9(tmp_path: Path) -> None:
    src = Path(metronome.__file__).parents[1]
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src)},
    ) as proc:
        assert proc.stdout is not None
        acked = [int(proc.stdout.readline()) for _ in range(300)]
        proc.send_signal(signal.SIGKILL)
        acked += [int(line) for line in proc.stdout]  # acknowledged before the kill landed
    assert proc.returncode == -signal.SIGKILL

    store = SqliteStore(tmp_path)
    try:
        missing = [i for i in acked if store.get(f"/n{i}") != (f"record {i}".encode(), 0)]
    finally:
        store.close()
    assert acked == list(range(len(acked)))
    assert missing == []


def test_group_commit_fails_only_the_conflicting_writer(sqlite_store: SqliteStore) -> None:
    sqlite_store.create("/taken")
    # Stall the writer thread inside a batch, so that the 16 writes below queue up behind it
    # and are committed together as the next batch.
    entered, gate = threading.Event(), threading.Event()
    stall = threading.Thread(
        target=sqlite_store._write, args=(lambda _: entered.set() or gate.wait(),)
    )
    stall.start()
    entered.wait()
    results: dict[int, BaseException | None] = {}

    def write(i: int) -> None:
        ops = [Create(f"/w{i}"), Create(f"/w{i}/child", b"c")]
        if i == 7:
            ops.append(Create("/taken"))
        try:
            sqlite_store.commit(ops)
            results[i] = None
        except NodeExistsError as exc:
            results[i] = exc

    threads = [threading.Thread(target=write, args=(i,)) for i in range(16)]
    try:
        for thread in threads:
            thread.start()
        _wait(lambda: sqlite_store._queue.qsize() == 16)
    finally:
        gate.set()
    for thread in [stall, *threads]:
        thread.join()

    assert [i for i, error in results.items() if error is not None] == [7]
    assert sqlite_store.get("/w7") is None
    assert sqlite_store.children("/") == sorted(["taken", *(f"w{i}" for i in range(16) if i != 7)])
    assert all(sqlite_store.get(f"/w{i}/child") == (b"c", 0) for i in range(16) if i != 7)


def test_missing_data_dir_is_created(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "a" / "b").close()

    assert (tmp_path / "a" / "b" / "metronome.db").is_file()


def test_garbage_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    garbage = b"this is not a database, but somebody's data" * 100
    (tmp_path / "metronome.db").write_bytes(garbage)

    with pytest.raises(DataDirError, match=r"metronome\.db: .*not a database"):
        SqliteStore(tmp_path)

    assert (tmp_path / "metronome.db").read_bytes() == garbage


def test_newer_format_is_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path).close()
    with sqlite3.connect(tmp_path / "metronome.db") as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    conn.close()

    with pytest.raises(DataDirError, match=r"metronome\.db: written in store format '99'"):
        SqliteStore(tmp_path)


def test_foreign_sqlite_file_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "metronome.db") as conn:
        conn.execute("CREATE TABLE stuff (x)")
    conn.close()

    with pytest.raises(DataDirError, match=r"metronome\.db: not a Metronome store"):
        SqliteStore(tmp_path)


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")

    with pytest.raises(DataDirError, match="file"):
        SqliteStore(tmp_path / "file")


def test_second_open_of_a_data_dir_is_refused(sqlite_store: SqliteStore, tmp_path: Path) -> None:
    with pytest.raises(DataDirError, match="in use by another process"):
        SqliteStore(tmp_path / "data")

    sqlite_store.create("/still-works")


def _wait(condition: object, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.001)


def test_the_store_is_readable_by_its_owner_alone(tmp_path: Path) -> None:
    """Jobs' `env` is in it, and tasks run on this host as other users."""
    store = SqliteStore(tmp_path)
    store.create("/a", b"secret")
    store.close()
    for name in ("metronome.db", "metronome.db-wal", "metronome.db-shm"):
        if (tmp_path / name).exists():
            assert (tmp_path / name).stat().st_mode & 0o077 == 0, name
    (tmp_path / "metronome.db").chmod(0o644)  # an older server's file
    SqliteStore(tmp_path).close()
    assert (tmp_path / "metronome.db").stat().st_mode & 0o777 == 0o600
