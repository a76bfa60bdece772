"""The part of kazoo's client that `ZkStore` calls, with the types kazoo's documentation gives.

kazoo ships no type hints, so without these every answer from ZooKeeper would be `Any` in the
store, and a misspelt call or a wrong answer type would pass the type checker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from kazoo.protocol.states import KazooState

_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)


class Stat(Protocol):
    """What the store reads of a node's `ZnodeStat`."""

    @property
    def version(self) -> int: ...


class Pending(Protocol[_T_co]):
    """The answer to come of one request (kazoo's `IAsyncResult`)."""

    def get(self, block: bool = True, timeout: float | None = None) -> _T_co: ...

    def rawlink(self, callback: Callable[[Pending[_T_co]], object]) -> None:
        """Call `callback(self)` once the answer is in, in kazoo's callback thread."""


TransactionResult = str | Stat | bool | Exception
"""Per operation of a committed transaction: a create's path, a set's new stat, True for a
delete or check, or the `ZookeeperError` (instance) of the operation that failed."""


class Transaction(Protocol):
    def create(self, path: str, value: bytes) -> None: ...

    def set_data(self, path: str, value: bytes, version: int) -> None: ...

    def delete(self, path: str, version: int) -> None: ...

    def check(self, path: str, version: int) -> None: ...

    def commit_async(self) -> Pending[list[TransactionResult]]: ...


class Handler(Protocol):
    @property
    def timeout_exception(self) -> type[Exception]:
        """Raised by `Pending.get` when its timeout passes first."""


class ZkClient(Protocol):
    """A started `KazooClient`, as the store uses it."""

    @property
    def handler(self) -> Handler: ...

    @property
    def connected(self) -> bool: ...

    def start(self, timeout: float) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...

    def add_listener(self, listener: Callable[[KazooState], object]) -> None: ...

    def remove_listener(self, listener: Callable[[KazooState], object]) -> None: ...

    def retry(self, func: Callable[[], _T]) -> _T:
        """`func()` under the command retry policy (kazoo's `KazooRetry.__call__`)."""

    def ensure_path_async(self, path: str) -> Pending[object]: ...

    def exists_async(self, path: str) -> Pending[Stat | None]: ...

    def get_async(self, path: str) -> Pending[tuple[bytes, Stat]]: ...

    def get_children_async(self, path: str) -> Pending[list[str]]: ...

    def transaction(self) -> Transaction: ...
