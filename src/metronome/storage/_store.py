"""The store interface: a hierarchical key-value store with versions, ZooKeeper's data model.

Every implementation MUST give these semantics, so that code written against one runs unchanged
on another:

- Paths are absolute, `/`-separated, without a trailing `/` or empty segments; `/` itself always
  exists and holds nothing.
- A node has data (bytes) and a version: 0 when created, +1 on every `set`.
- A node can only be created under an existing parent, and deleted only once it has no children
  (unless asked to delete recursively).
- `commit` applies a list of operations atomically, in order: all of them or none.
- When a write call returns, the change is durable.
"""

from __future__ import annotations

import abc
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metronome.errors import MetronomeError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

ANY_VERSION = -1
"""Pass as `version` to skip the version check."""


class StorageError(MetronomeError):
    """The store cannot carry out an operation, or a stored record cannot be read."""


class NodeExistsError(StorageError):
    """A node to be created exists already."""


class NoNodeError(StorageError):
    """A node (or the parent of a node to be created) does not exist."""


class BadVersionError(StorageError):
    """A node's version is not the one the caller expected."""


class FencedOut(BadVersionError):
    """A write's fence check failed: another instance may lead now, so this one must not write."""


class NotEmptyError(StorageError):
    """A node to be deleted (non-recursively) has children."""


class StoreUnavailable(StorageError):
    """The store's server cannot be reached now (ZooKeeper down or partitioned); retry later."""


class DataDirError(StorageError):
    """The data dir cannot be used: unreadable, not ours, or written by a newer format."""


@dataclass(frozen=True, slots=True)
class Create:
    """Create `path` with `data`; its parent must exist (or be created earlier in the commit)."""

    path: str
    data: bytes = b""


@dataclass(frozen=True, slots=True)
class SetData:
    """Replace the data of `path`, if its version is `version` (or `ANY_VERSION`)."""

    path: str
    data: bytes
    version: int = ANY_VERSION


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete the childless node `path`, if its version is `version` (or `ANY_VERSION`)."""

    path: str
    version: int = ANY_VERSION


@dataclass(frozen=True, slots=True)
class Check:
    """Fail the commit unless `path` exists with version `version`."""

    path: str
    version: int


Op = Create | SetData | Delete | Check


def split_path(path: str) -> tuple[str, str]:
    """(parent, name) of a node path; raises ValueError for a malformed one or for `/`."""
    if not path.startswith("/") or path == "/" or path.endswith("/") or "//" in path:
        msg = f"not a node path: {path!r}"
        raise ValueError(msg)
    parent, _, name = path.rpartition("/")
    return parent or "/", name


def check_node_path(path: str) -> None:
    """Raise ValueError unless `path` is `/` or a well-formed node path."""
    if path != "/":
        split_path(path)


def check_write(path: str, data: bytes) -> None:
    """Refuse a malformed path or non-bytes data in the caller's thread, before any I/O."""
    split_path(path)
    if not isinstance(data, bytes):
        msg = f"{path}: data must be bytes, not {type(data).__name__}"
        raise TypeError(msg)


def join_path(parent: str, name: str) -> str:
    """The path of the child `name` of `parent`."""
    return f"{parent.rstrip('/')}/{name}"


class Store(abc.ABC):
    """A blocking, thread-safe hierarchical key-value store with versions.

    Errors: every method MAY raise `StorageError` when the store itself fails; the specific
    subclasses below are raised for the documented conditions.
    """

    @abc.abstractmethod
    def get(self, path: str) -> tuple[bytes, int] | None:
        """The data and version of `path`, or None when it does not exist."""

    @abc.abstractmethod
    def children(self, path: str) -> list[str]:
        """The names (not paths) of the children of `path`, sorted.

        Raises:
            NoNodeError: `path` does not exist.
        """

    def children_data(self, path: str) -> dict[str, tuple[bytes, int]]:
        """The data and version of each child of `path`, by name.

        Loading thousands of records one `get` at a time costs a round trip each; an
        implementation SHOULD override this to read them in one query or pipelined.

        Raises:
            NoNodeError: `path` does not exist.
        """
        found = {}
        for name in self.children(path):
            got = self.get(join_path(path, name))
            if got is not None:  # deleted since the listing
                found[name] = got
        return found

    def grandchildren_data(self, path: str) -> dict[str, dict[str, tuple[bytes, int]]]:
        """For each child of `path`, `children_data` of that child: a whole two-level subtree
        (the active runs of every job) in as few round trips as the implementation can.

        Raises:
            NoNodeError: `path` does not exist.
        """
        found = {}
        for name in self.children(path):
            with contextlib.suppress(NoNodeError):  # deleted since the listing
                found[name] = self.children_data(join_path(path, name))
        return found

    @abc.abstractmethod
    def create(self, path: str, data: bytes = b"", *, makepath: bool = False) -> None:
        """Create `path`; with `makepath`, create its missing ancestors (empty) too.

        Raises:
            NodeExistsError: `path` exists.
            NoNodeError: the parent does not exist and `makepath` is false.
        """

    @abc.abstractmethod
    def set(self, path: str, data: bytes, version: int = ANY_VERSION) -> int:
        """Replace the data of `path` and return its new version.

        Raises:
            NoNodeError: `path` does not exist.
            BadVersionError: `version` is given and is not the node's version.
        """

    @abc.abstractmethod
    def delete(self, path: str, version: int = ANY_VERSION, *, recursive: bool = False) -> None:
        """Delete `path`; with `recursive`, its whole subtree, atomically.

        Raises:
            NoNodeError: `path` does not exist.
            BadVersionError: `version` is given and is not the node's version.
            NotEmptyError: `path` has children and `recursive` is false.
        """

    @abc.abstractmethod
    def commit(self, ops: Sequence[Op]) -> None:
        """Apply `ops` in order, atomically: if one fails, none is applied.

        Raises:
            StorageError: the subclass the first failing operation raises on its own.
        """

    def commit_then(self, ops: Sequence[Op], done: Callable[[BaseException | None], None]) -> None:
        """`commit(ops)`, then `done(None)` once it is durable, or `done(error)` with the
        `StorageError` that `commit` raises. A store that queues its writes (SQLite) returns at
        once and calls `done` from its own thread, so the caller holds no thread while the write
        waits; `done` must only hand the outcome over, never block. This default commits in
        place (so other errors, bugs, raise here as from `commit`)."""
        try:
            self.commit(ops)
        except StorageError as exc:
            done(exc)
            return
        done(None)

    @abc.abstractmethod
    def close(self) -> None:
        """Release the store; later calls fail. Closing twice is allowed."""
