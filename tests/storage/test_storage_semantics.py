"""The Store contract (ZooKeeper's data model), exercised on every store."""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING

import pytest

from metronome.storage import (
    BadVersionError,
    Check,
    Create,
    Delete,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    SetData,
    StorageError,
    Store,
)

if TYPE_CHECKING:
    from collections.abc import Callable


def test_create_then_get_returns_data_at_version_zero(store: Store) -> None:
    store.create("/a", b"hello")

    assert store.get("/a") == (b"hello", 0)
    assert store.get("/missing") is None
    assert store.get("/") == (b"", 0)


def test_create_needs_its_parent_unless_makepath(store: Store) -> None:
    with pytest.raises(NoNodeError, match="/a/b"):
        store.create("/a/b")

    store.create("/a/b/c", b"x", makepath=True)

    assert store.get("/a") == (b"", 0)
    assert store.get("/a/b") == (b"", 0)
    assert store.get("/a/b/c") == (b"x", 0)


def test_create_existing_node_fails_and_keeps_its_data(store: Store) -> None:
    store.create("/a", b"first")

    with pytest.raises(NodeExistsError, match="/a"):
        store.create("/a", b"second")
    with pytest.raises(NodeExistsError):
        store.create("/a", makepath=True)

    assert store.get("/a") == (b"first", 0)


def test_set_bumps_the_version_and_checks_the_expected_one(store: Store) -> None:
    store.create("/a", b"0")

    assert store.set("/a", b"1") == 1
    assert store.set("/a", b"2", version=1) == 2
    with pytest.raises(BadVersionError, match="expected 1"):
        store.set("/a", b"3", version=1)

    assert store.get("/a") == (b"2", 2)


def test_set_missing_node_fails(store: Store) -> None:
    with pytest.raises(NoNodeError):
        store.set("/missing", b"x")


def test_children_are_sorted_names_of_direct_children_only(store: Store) -> None:
    for path in ("/p/b", "/p/a.x", "/p/a", "/p/a/deep", "/pq", "/p.x"):
        store.create(path, makepath=True)

    assert store.children("/p") == ["a", "a.x", "b"]
    assert store.children("/p/b") == []
    assert store.children("/") == ["p", "p.x", "pq"]
    with pytest.raises(NoNodeError):
        store.children("/missing")


def test_delete_checks_version_and_children(store: Store) -> None:
    store.create("/a/b", makepath=True)
    store.set("/a", b"x")

    with pytest.raises(NotEmptyError):
        store.delete("/a")
    with pytest.raises(BadVersionError):
        store.delete("/a/b", version=3)
    store.delete("/a/b", version=0)
    store.delete("/a", version=1)

    assert store.get("/a") is None
    with pytest.raises(NoNodeError):
        store.delete("/a")


def test_recursive_delete_removes_the_subtree_and_nothing_else(store: Store) -> None:
    for path in ("/j/a/r1", "/j/a/r2/t", "/j/a.b/r", "/j/a-b", "/j/ab"):
        store.create(path, b"x", makepath=True)

    store.delete("/j/a", recursive=True)

    assert [store.get(p) for p in ("/j/a", "/j/a/r1", "/j/a/r2", "/j/a/r2/t")] == [None] * 4
    assert store.children("/j") == ["a-b", "a.b", "ab"]
    assert store.get("/j/a.b/r") == (b"x", 0)


def test_commit_applies_ops_in_order(store: Store) -> None:
    store.create("/old", b"o")
    store.create("/kept", b"k")

    store.commit(
        [
            Create("/new"),
            Create("/new/child", b"c"),
            SetData("/kept", b"k2", version=0),
            Check("/kept", version=1),
            Delete("/old", version=0),
        ]
    )

    assert store.get("/new/child") == (b"c", 0)
    assert store.get("/kept") == (b"k2", 1)
    assert store.get("/old") is None


@pytest.mark.parametrize(
    ("last_op", "error"),
    [
        (Create("/exists"), NodeExistsError),
        (Create("/missing/child"), NoNodeError),
        (SetData("/exists", b"x", version=7), BadVersionError),
        (Delete("/missing"), NoNodeError),
        (Check("/exists", version=0), BadVersionError),  # the SetData above made it 1
    ],
)
def test_commit_whose_last_op_fails_leaves_nothing(
    store: Store, last_op: object, error: type[Exception]
) -> None:
    store.create("/exists", b"before")
    store.create("/gone", b"g")

    with pytest.raises(error):
        store.commit(
            [
                Create("/new", b"n"),
                Create("/new/child"),
                SetData("/exists", b"after"),
                Delete("/gone"),
                last_op,
            ]
        )

    assert store.get("/new") is None
    assert store.get("/exists") == (b"before", 0)
    assert store.get("/gone") == (b"g", 0)


@pytest.mark.parametrize("path", ["", "relative", "/trailing/", "/double//slash", "/"])
def test_malformed_paths_are_rejected(store: Store, path: str) -> None:
    with pytest.raises(ValueError, match="not a node path"):
        store.create(path)
    with pytest.raises(ValueError, match="not a node path"):
        store.commit([Create("/ok"), Delete(path)])

    assert store.get("/ok") is None


def test_closed_store_refuses_calls(store: Store) -> None:
    store.close()

    with pytest.raises(StorageError, match="closed"):
        store.get("/")
    with pytest.raises(StorageError, match="closed"):
        store.create("/a")
    store.close()


def test_children_data_reads_every_child_at_once(store: Store) -> None:
    store.create("/p/a", b"1", makepath=True)
    store.create("/p/b", b"2")
    store.set("/p/b", b"3")
    store.create("/p/b/deep")

    assert store.children_data("/p") == {"a": (b"1", 0), "b": (b"3", 1)}
    assert store.children_data("/p/a") == {}
    with pytest.raises(NoNodeError):
        store.children_data("/missing")


def test_grandchildren_data_reads_a_two_level_subtree(store: Store) -> None:
    store.create("/g/j1/r1", b"a", makepath=True)
    store.create("/g/j1/r2", b"b")
    store.create("/g/j2", b"")
    store.create("/g/j3/r1", b"c", makepath=True)
    store.set("/g/j3/r1", b"d")

    assert store.grandchildren_data("/g") == {
        "j1": {"r1": (b"a", 0), "r2": (b"b", 0)},
        "j2": {},
        "j3": {"r1": (b"d", 1)},
    }
    with pytest.raises(NoNodeError):
        store.grandchildren_data("/missing")


def test_data_that_is_not_bytes_is_refused_before_the_write(store: Store) -> None:
    with pytest.raises(TypeError, match="must be bytes"):
        store.create("/a", "text")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be bytes"):
        store.commit([Create("/b"), SetData("/b", None)])  # type: ignore[arg-type]

    store.create("/c")
    assert store.children("/") == ["c"]


def test_commit_then_answers_once_written_and_with_each_refusal(store: Store) -> None:
    answers: queue.SimpleQueue[tuple[str, BaseException | None, bool]] = queue.SimpleQueue()
    store.create("/taken")

    def answered(name: str) -> Callable[[BaseException | None], None]:
        # Whether what the answer says is already true for a reader when it comes.
        return lambda error: answers.put((name, error, store.get(f"/{name}") is not None))

    store.commit_then([Create("/new", b"x"), Create("/new/child")], answered("new"))
    store.commit_then([Create("/other"), Create("/taken")], answered("other"))
    got = {name: (error, readable) for name, error, readable in (answers.get(timeout=15),
           answers.get(timeout=15))}  # fmt: skip

    assert got["new"] == (None, True)
    error, readable = got["other"]
    assert isinstance(error, NodeExistsError)
    assert not readable  # nothing of a refused commit is applied
    assert store.get("/new/child") == (b"", 0)
