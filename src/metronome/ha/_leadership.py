"""Who leads: the interface, and the embedded default where this instance always leads."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from metronome.storage import Check


class Leadership(abc.ABC):
    """Leader election as the rest of the process sees it.

    Only the leader runs the job service (actors, timers, launcher). `on_elected` and `on_deposed`
    are awaited on the event loop, one at a time, in the order the changes happen.
    """

    @property
    @abc.abstractmethod
    def is_leader(self) -> bool:
        """Whether this instance leads now; false from the first sign of a lost session."""

    @abc.abstractmethod
    def leader(self) -> str | None:
        """`host:port` of the current leader, if one is known."""

    @abc.abstractmethod
    async def campaign(
        self,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
    ) -> None:
        """Enter the election. Returns once the first outcome is handled or is pending."""

    @abc.abstractmethod
    def fence(self) -> Check | None:
        """A check every store write must pass: it fails unless this instance still leads."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Leave the election (deposing this instance if it leads)."""

    @property
    def unavailable_reason(self) -> str | None:
        """Why no leader can be known right now (e.g. the coordinator is unreachable)."""
        return None


class SoleLeadership(Leadership):
    """The embedded default: one instance, always the leader, nothing to fence."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._leading = False

    @property
    def is_leader(self) -> bool:
        return self._leading

    def leader(self) -> str | None:
        return self._address

    async def campaign(
        self,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
    ) -> None:
        self._leading = True
        await on_elected()

    def fence(self) -> Check | None:
        return None

    async def stop(self) -> None:
        self._leading = False
