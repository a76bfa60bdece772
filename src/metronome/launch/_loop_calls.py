"""Calls from actor threads onto a launcher's event loop, where all of its state lives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from metronome.launch._launcher import LaunchError

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable


class LoopCalls:
    """Mixin of the launchers: `_call` hands a callback to the loop set in `_loop` while the
    launcher runs; one that arrives after `stop` cleared it is dropped."""

    _loop: asyncio.AbstractEventLoop | None
    _what: ClassVar[str]
    """The launcher's name in the error of a call made while it is not running."""

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        if self._loop is None:
            msg = f"the {self._what} is not running"
            raise LaunchError(msg)
        self._loop.call_soon_threadsafe(self._dispatch, callback, args)

    def _dispatch(self, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        if self._loop is not None:  # a call that raced with `stop` is dropped
            callback(*args)
