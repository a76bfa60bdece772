"""Awaiting actor replies from asyncio without blocking the event loop.

`await pykka_future` calls the blocking `Future.get()` on the loop thread and freezes the HTTP
server until the actor answers (shared/docs/architecture.md). Here the actor's thread completes an
asyncio future through `loop.call_soon_threadsafe` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, cast

import pykka

from metronome.errors import Unavailable

if TYPE_CHECKING:
    from metronome.actors._runtime import CallbackFuture


async def reply(future: pykka.Future[Any], timeout_s: float) -> Any:
    """The value of an actor's reply, or its exception, awaited on the running loop.

    A reply that is itself a future (an actor handing the work to a child, or to the store) is
    followed on the thread that completes it, so the loop wakes once, for the last one.

    Raises:
        Unavailable: no reply within `timeout_s`.
    """
    loop = asyncio.get_running_loop()
    settled: asyncio.Future[Any] = loop.create_future()

    def transfer(done: CallbackFuture) -> None:
        value = None
        with contextlib.suppress(Exception):  # an exception is the loop's to re-raise
            value = done.get(timeout=0)
        if isinstance(value, pykka.Future):
            cast("CallbackFuture", value).add_done_callback(transfer)
            return
        loop.call_soon_threadsafe(_copy, done, settled)

    cast("CallbackFuture", future).add_done_callback(transfer)
    try:
        return await asyncio.wait_for(settled, timeout_s)
    except TimeoutError as exc:
        msg = f"No answer from the job service within {timeout_s:g} s"
        raise Unavailable(msg) from exc


def _copy(done: CallbackFuture, settled: asyncio.Future[Any]) -> None:
    if settled.done():
        return
    try:
        settled.set_result(done.get(timeout=0))
    except Exception as exc:  # noqa: BLE001 - the actor's exception, re-raised for the awaiting handler
        settled.set_exception(exc)
