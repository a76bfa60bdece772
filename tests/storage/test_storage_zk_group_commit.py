"""Group commit in the ZooKeeper store: concurrent writes share transactions, and each still gets
its own answer from ZooKeeper (its own refusal, or the fence's for the whole batch).

Each test pauses its own ZooKeeper (SIGSTOP) while two writes are on their way, queues the others
behind them, and lets the server go on: the queued writes then leave as one transaction, which
ZooKeeper shows as one zxid shared by the nodes they created.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING

import pytest

from metronome.storage import (
    BadVersionError,
    Check,
    FencedOut,
    NodeExistsError,
    NoNodeError,
    SetData,
    ZkStore,
)
from metronome.storage._zk_commits import MAX_IN_FLIGHT
from tests.support.server import wait

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.support.zookeeper import ZkServer

Outcome = BaseException | None


@pytest.fixture
def own_store(own_zookeeper: ZkServer) -> Iterator[ZkStore]:
    store = ZkStore(own_zookeeper.hosts, "/metronome")
    yield store
    store.close()


def queued_together(
    server: ZkServer,
    store: ZkStore,
    first: list[Callable[[], object]],
    rest: list[Callable[[], object]],
) -> list[Outcome]:
    """Run each write in a thread of its own: `first` (one per transaction allowed in flight) are
    sent while ZooKeeper is paused, then `rest` queue behind them; ZooKeeper goes on once all
    are queued. The exception of each write of `first + rest`, or None."""
    assert len(first) == MAX_IN_FLIGHT
    assert server.process is not None
    outcomes: list[Outcome] = [None] * (len(first) + len(rest))
    commits = store._commits  # whether the writes are in flight or queued

    def run(index: int, write: Callable[[], object]) -> None:
        try:
            write()
        except Exception as exc:  # noqa: BLE001 - the test asserts on it
            outcomes[index] = exc

    threads = []
    os.killpg(server.process.pid, signal.SIGSTOP)
    try:
        for index, write in enumerate([*first, *rest]):
            threads.append(threading.Thread(target=run, args=(index, write)))
            threads[-1].start()
            if index < len(first):
                wait(lambda n=index + 1: commits._in_flight == n, 5)
        wait(lambda: len(commits._queue) == len(rest), 5)
    finally:
        os.killpg(server.process.pid, signal.SIGCONT)
    for thread in threads:
        thread.join(15)
    return outcomes


def czxid(store: ZkStore, path: str) -> int:
    """The zxid of the transaction that created `path`."""
    stat = store.client.exists(store.root + path)
    assert stat is not None, path
    return int(stat.czxid)


def test_concurrent_creates_all_land_and_the_queued_ones_share_one_transaction(
    own_zookeeper: ZkServer, own_store: ZkStore
) -> None:
    own_store.create("/jobs")
    first = [lambda n=n: own_store.create(f"/jobs/first{n}", b"f") for n in range(MAX_IN_FLIGHT)]
    rest = [lambda n=n: own_store.create(f"/jobs/n{n}", f"{n}".encode()) for n in range(20)]

    assert queued_together(own_zookeeper, own_store, first, rest) == [None] * (len(first) + 20)

    assert own_store.children_data("/jobs") == {
        **{f"first{n}": (b"f", 0) for n in range(MAX_IN_FLIGHT)},
        **{f"n{n}": (f"{n}".encode(), 0) for n in range(20)},
    }
    assert len({czxid(own_store, f"/jobs/n{n}") for n in range(20)}) == 1
    assert czxid(own_store, "/jobs/first0") != czxid(own_store, "/jobs/n0")


def test_each_refusal_goes_to_its_own_write_and_its_batch_mates_land(
    own_zookeeper: ZkServer, own_store: ZkStore
) -> None:
    own_store.create("/jobs/taken", b"old", makepath=True)
    own_store.create("/jobs/versioned", b"v0")
    own_store.set("/jobs/versioned", b"v1")
    first = [lambda n=n: own_store.create(f"/jobs/first{n}") for n in range(MAX_IN_FLIGHT)]
    rest: list[Callable[[], object]] = [
        lambda: own_store.create("/jobs/a"),
        lambda: own_store.create("/jobs/taken", b"new"),  # exists
        lambda: own_store.create("/jobs/b"),
        lambda: own_store.set("/jobs/versioned", b"v2", version=0),  # it is at version 1
        lambda: own_store.create("/missing/c"),  # no parent
        lambda: own_store.commit([SetData("/jobs/taken", b"mine"), SetData("/jobs/gone", b"x")]),
        lambda: own_store.create("/jobs/c"),
    ]

    outcomes = queued_together(own_zookeeper, own_store, first, rest)[MAX_IN_FLIGHT:]

    assert [type(o) for o in outcomes] == [
        type(None),
        NodeExistsError,
        type(None),
        BadVersionError,
        NoNodeError,
        NoNodeError,
        type(None),
    ]
    assert str(outcomes[1]) == "/jobs/taken: node exists"
    assert str(outcomes[3]) == "/jobs/versioned: version is not the expected 0"
    assert str(outcomes[4]) == "/missing/c: parent node does not exist"
    assert str(outcomes[5]) == "/jobs/gone: no such node"
    assert own_store.get("/jobs/taken") == (b"old", 0)  # the failed commit applied nothing
    assert own_store.get("/jobs/versioned") == (b"v1", 1)
    assert own_store.get("/missing") is None
    assert czxid(own_store, "/jobs/a") == czxid(own_store, "/jobs/b")  # sent again together
    assert own_store.get("/jobs/c") == (b"", 0)


def test_writes_on_the_same_node_are_not_batched_and_keep_their_order(
    own_zookeeper: ZkServer, own_store: ZkStore
) -> None:
    own_store.create("/jobs")
    first = [lambda n=n: own_store.create(f"/jobs/first{n}") for n in range(MAX_IN_FLIGHT)]
    rest: list[Callable[[], object]] = [
        lambda: own_store.create("/jobs/p"),
        lambda: own_store.create("/jobs/p/child"),  # its parent is the write before: after it
        lambda: own_store.create("/jobs/q"),
    ]

    assert queued_together(own_zookeeper, own_store, first, rest) == [None] * (MAX_IN_FLIGHT + 3)

    assert (
        czxid(own_store, "/jobs/p")
        < czxid(own_store, "/jobs/p/child")
        <= czxid(own_store, "/jobs/q")
    )


def test_a_fenced_off_leaders_batch_is_refused_whole(
    own_zookeeper: ZkServer, own_store: ZkStore
) -> None:
    own_store.create("/leader")
    own_store.create("/jobs")
    fence = Check("/leader", 0)
    fenced = ZkStore(own_zookeeper.hosts, "/metronome", fence=lambda: fence)
    try:
        fenced.create("/jobs/before")  # the fence holds
        own_store.set("/leader", b"another leader")
        first = [lambda n=n: fenced.create(f"/jobs/first{n}") for n in range(MAX_IN_FLIGHT)]
        rest = [lambda n=n: fenced.create(f"/jobs/n{n}") for n in range(10)]

        outcomes = queued_together(own_zookeeper, fenced, first, rest)
    finally:
        fenced.close()

    assert all(isinstance(o, FencedOut) for o in outcomes), outcomes
    assert all("/leader: fence check failed" in str(o) for o in outcomes)
    assert own_store.children("/jobs") == ["before"]
