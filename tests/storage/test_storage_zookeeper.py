"""The ZooKeeper store's own promises: fencing, outages, size limits, speed, and an ensemble."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest
from kazoo.exceptions import NoNodeError, UnimplementedError
from kazoo.protocol.states import KazooState

from metronome.storage import (
    BadVersionError,
    Check,
    Create,
    Delete,
    FencedOut,
    SetData,
    StorageError,
    StoreUnavailable,
    ZkStore,
)
from metronome.storage import _zookeeper as zookeeper_store
from metronome.storage._zk_commits import MAX_REQUEST_BYTES
from metronome.storage._zk_reads import get_children_many, get_data_many
from tests.support.server import free_port, wait

if TYPE_CHECKING:
    from collections.abc import Callable

    from kazoo.client import KazooClient
    from kazoo.interfaces import IAsyncResult

    from tests.support.zookeeper import ZkEnsemble, ZkServer


def test_fence_that_moved_on_refuses_every_write(
    zk_store: ZkStore, zookeeper: ZkServer, zk_root: str
) -> None:
    zk_store.create("/leader")
    zk_store.create("/jobs/a", b"a", makepath=True)
    fence = Check("/leader", 0)
    fenced = ZkStore(zookeeper.hosts, zk_root, fence=lambda: fence)
    try:
        fenced.create("/jobs/b", b"b")  # the fence holds: writes land
        assert fenced.set("/jobs/b", b"b1") == 1
        with pytest.raises(BadVersionError) as conflict:
            fenced.set("/jobs/b", b"b2", version=0)
        assert not isinstance(conflict.value, FencedOut)  # a version conflict, not a deposal
        zk_store.set("/leader", b"another leader")
        writes: list[Callable[[], object]] = [
            lambda: fenced.create("/jobs/c"),
            lambda: fenced.create("/new/deep/c", makepath=True),
            lambda: fenced.set("/jobs/a", b"changed"),
            lambda: fenced.delete("/jobs/b"),
            lambda: fenced.delete("/jobs", recursive=True),
            lambda: fenced.commit([SetData("/jobs/a", b"x"), Create("/jobs/d")]),
        ]
        for write in writes:
            with pytest.raises(FencedOut, match="/leader: fence check failed"):
                write()
        fence = Check("/leader", 1)  # what the new leader's fence would say
        fenced.set("/jobs/a", b"new leader")
    finally:
        fenced.close()

    assert zk_store.children("/") == ["jobs", "leader"]
    assert zk_store.children_data("/jobs") == {"a": (b"new leader", 1), "b": (b"b1", 1)}


def test_fence_on_a_missing_node_refuses_writes(zookeeper: ZkServer, zk_root: str) -> None:
    fenced = ZkStore(zookeeper.hosts, zk_root, fence=lambda: Check("/gone", 0))
    try:
        with pytest.raises(FencedOut, match="fence"):
            fenced.create("/a")
        assert fenced.get("/a") is None  # reads are not fenced
    finally:
        fenced.close()


def test_outage_raises_store_unavailable_within_the_deadline_then_recovers(
    own_zookeeper: ZkServer, zk_root: str
) -> None:
    store = ZkStore(own_zookeeper.hosts, zk_root, retry_deadline_s=0.5)
    states: list[KazooState] = []
    store.add_listener(states.append)
    try:
        store.create("/a", b"kept")
        own_zookeeper.stop()

        calls: list[Callable[[], object]] = [
            lambda: store.get("/a"),
            lambda: store.children_data("/"),
            lambda: store.create("/b"),
        ]
        for call in calls:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="ZooKeeper is unreachable"):
                call()
            assert time.monotonic() - started < 1.5
        assert states[0] == KazooState.SUSPENDED

        own_zookeeper.start()
        wait(lambda: KazooState.CONNECTED in states, 15)
        assert store.get("/a") == (b"kept", 0)
        store.create("/b")
        assert store.children("/") == ["a", "b"]
    finally:
        store.close()


def test_unreachable_server_fails_the_start_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=r"ZooKeeper is unreachable at 127\.0\.0\.1:"):
        ZkStore(f"127.0.0.1:{free_port()}", "/metronome", retry_deadline_s=0.5)
    assert time.monotonic() - started < 2.0


def test_root_must_be_below_zookeepers_own_root() -> None:
    with pytest.raises(ValueError, match="not a node path"):
        ZkStore("127.0.0.1:1", "/")


def test_ten_thousand_children_load_in_about_a_second(zk_store: ZkStore) -> None:
    zk_store.create("/jobs")
    for batch in range(10):
        zk_store.commit([Create(f"/jobs/job-{batch}-{i:03}", b"r" * 200) for i in range(1000)])

    started = time.monotonic()
    loaded = zk_store.children_data("/jobs")
    elapsed_s = time.monotonic() - started

    assert len(loaded) == 10_000
    assert loaded["job-7-123"] == (b"r" * 200, 0)
    assert elapsed_s < 1.0, f"{elapsed_s:.2f} s"  # ~0.2 s here in multiReads, 1 s one by one


def test_multi_read_answers_each_node_in_order_and_missing_ones_as_errors(
    zk_store: ZkStore,
) -> None:
    zk_store.commit([Create("/a", b"A"), Create("/a/x"), Create("/b", b""), Create("/c", b"C")])
    client, root = zk_store.client, zk_store.root
    paths = [f"{root}/c", f"{root}/gone", f"{root}/a", f"{root}/b"]

    data = get_data_many(client, paths).get(timeout=5)
    lists = get_children_many(client, paths).get(timeout=5)

    assert [d if isinstance(d, Exception) else (d[0], d[1].version) for d in data] == [
        (b"C", 0),
        data[1],
        (b"A", 0),
        (b"", 0),
    ]
    assert isinstance(data[1], NoNodeError)
    assert lists[0] == [] and lists[2] == ["x"] and lists[3] == []
    assert isinstance(lists[1], NoNodeError)


def test_a_zookeeper_without_multi_read_is_read_one_node_at_a_time(
    zk_store: ZkStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ZooKeeper before 3.6 answers a multiRead with UNIMPLEMENTED (Debian ships 3.8, so that
    answer is made here); the store then reads node by node, and says so once."""
    zk_store.commit(
        [Create("/runs"), Create("/runs/j1"), Create("/runs/j2"), Create("/runs/j1/r1", b"1")]
        + [Create(f"/specs-{i}", bytes([i])) for i in range(3)]
    )
    batched = (zk_store.grandchildren_data("/runs"), zk_store.children_data("/"))
    refused: list[int] = []

    def unimplemented(client: KazooClient, paths: list[str]) -> IAsyncResult:
        refused.append(len(paths))
        answer = client.handler.async_result()
        answer.set_exception(UnimplementedError())
        return answer

    monkeypatch.setattr(zookeeper_store, "get_children_many", unimplemented)
    monkeypatch.setattr(zookeeper_store, "get_data_many", unimplemented)
    single = (zk_store.grandchildren_data("/runs"), zk_store.children_data("/"))

    assert single == batched
    assert batched[0] == {"j1": {"r1": (b"1", 0)}, "j2": {}}
    assert batched[1]["specs-2"] == (b"\x02", 0)
    assert refused == [2]  # asked once, then never again


def test_oversize_write_is_refused_at_once_and_the_store_goes_on(zk_store: ZkStore) -> None:
    largest = MAX_REQUEST_BYTES - 2 * 64 - len(zk_store.root) - len("/largest")
    zk_store.create("/largest", b"x" * largest)  # the estimate is not too cautious

    started = time.monotonic()
    with pytest.raises(StorageError, match=r"/big: a write of about .* exceeds ZooKeeper's limit"):
        zk_store.create("/big", b"x" * (MAX_REQUEST_BYTES + 1))
    with pytest.raises(StorageError, match="exceeds ZooKeeper's limit"):
        zk_store.commit([Create("/p1", b"x" * 600_000), Create("/p2", b"x" * 600_000)])
    assert time.monotonic() - started < 0.5

    assert zk_store.children("/") == ["largest"]
    assert zk_store.get("/largest") == (b"x" * largest, 0)


def test_concurrent_makepath_creates_share_their_ancestors(zk_store: ZkStore) -> None:
    errors: list[BaseException] = []

    def create(i: int) -> None:
        try:
            zk_store.create(f"/a/b/c/n{i}", makepath=True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert zk_store.children("/a/b/c") == sorted(f"n{i}" for i in range(16))


def test_recursive_delete_is_one_transaction(zk_store: ZkStore) -> None:
    for path in ("/j/a/r1", "/j/a/r2/t", "/j/b"):
        zk_store.create(path, makepath=True)

    with pytest.raises(BadVersionError):
        zk_store.delete("/j/a", version=5, recursive=True)  # fails last, after the subtree
    assert zk_store.get("/j/a/r2/t") == (b"", 0)

    zk_store.delete("/j/a", version=0, recursive=True)
    assert zk_store.children("/j") == ["b"]


def test_ensemble_keeps_serving_when_its_leader_is_killed(zk_ensemble: ZkEnsemble) -> None:
    store = ZkStore(zk_ensemble.hosts, "/metronome", retry_deadline_s=10.0)
    states: list[KazooState] = []
    store.add_listener(states.append)
    try:
        store.create("/before", b"1")
        leader = zk_ensemble.leader()
        leader.kill()
        # Every member drops its clients until a new leader is elected. Writing before the
        # client notices could lose the answer (StoreUnavailable), so wait until it has.
        wait(lambda: KazooState.SUSPENDED in states, 10)

        store.create("/during", b"2")  # retried until the two others elect a new leader
        store.commit([Delete("/before")])

        leader.start()
        rejoined = ZkStore(leader.hosts, "/metronome", retry_deadline_s=10.0)
        try:
            assert rejoined.children_data("/") == {"during": (b"2", 0)}
        finally:
            rejoined.close()
    except BaseException:
        print(zk_ensemble.log())
        raise
    finally:
        store.close()
