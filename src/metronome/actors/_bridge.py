"""Awaiting actor replies from asyncio without blocking the event loop.

`await pykka_future` calls the blocking `Future.get()` on the loop thread and freezes the HTTP
server until the actor answers (shared/docs/architecture.md). Here the actor's thread completes an
asyncio future through `loop.call_soon_threadsafe` instead.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

import pykka

from metronome.errors import Unavailable

if TYPE_CHECKING:
    from metronome.actors._runtime import CallbackFuture


async def reply(future: pykka.Future[Any], timeout_s: float) -> Any:
    """The value of an actor's reply, or its exception, awaited on the running loop.

    A reply that is itself a future (an actor handing the work to a child) is awaited in turn.

    Raises:
        Unavailable: no reply within `timeout_s`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    value: Any = future
    try:
        while isinstance(value, pykka.Future):
            value = await _settled(loop, cast("CallbackFuture", value), deadline - loop.time())
    except TimeoutError as exc:
        msg = f"No answer from the job service within {timeout_s:g} s"
        raise Unavailable(msg) from exc
    return value


async def _settled(
    loop: asyncio.AbstractEventLoop, future: CallbackFuture, timeout_s: float
) -> Any:
    settled: asyncio.Future[Any] = loop.create_future()

    def transfer(done: CallbackFuture) -> None:
        loop.call_soon_threadsafe(_copy, done, settled)

    future.add_done_callback(transfer)
    return await asyncio.wait_for(settled, max(timeout_s, 0.0))


def _copy(done: CallbackFuture, settled: asyncio.Future[Any]) -> None:
    if settled.done():
        return
    try:
        settled.set_result(done.get(timeout=0))
    except Exception as exc:  # noqa: BLE001 - the actor's exception, re-raised for the awaiting handler
        settled.set_exception(exc)
