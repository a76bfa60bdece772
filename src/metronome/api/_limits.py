"""Protection against slow and oversized clients.

aiohttp bounds the request line and header sizes (`max_line_size`, `max_field_size`,
`max_headers`, on the runner) and the body size (`client_max_size`, on the app). For time, its
keep-alive timer is armed from the moment a connection opens and fires while no complete request
has arrived, so `keepalive_timeout` also bounds how long a client may take to send its headers;
nothing bounds the body once the headers are in, which the middleware below does.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiohttp import web

from metronome.api._http import read_body
from metronome.errors import ServiceError

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

SERVER_LIMITS: dict[str, Any] = {
    "keepalive_timeout": 15.0,
    "max_line_size": 8190,
    "max_field_size": 8190,
    "max_headers": 100,
    "lingering_time": 2.0,
    "auto_decompress": False,
}
"""Keyword arguments for `web.AppRunner(app, **SERVER_LIMITS)`: idle connections and clients
that trickle their headers are closed after 15 s; after an early answer (408, 413) the rest of
an unread body is awaited for at most 2 s before the connection is closed; bodies are decoded
by `read_body`, which refuses a compressed stream cut short (aiohttp's decoder does not)."""

BODY_TIMEOUT_S = 30.0


class BodyTimeout(ServiceError):
    """The client did not send its whole request body in time."""

    status = 408


def body_timeout_middleware(timeout_s: float = BODY_TIMEOUT_S) -> Middleware:
    """Read any request body within `timeout_s` before the handler runs (aiohttp keeps it, so
    handlers read it again for free); a slower client gets a 408 (aiohttp then closes the
    connection after `lingering_time`).

    It MUST sit inside the error middleware, which renders the 408, a too-large body's 413 and
    the 400 of a body that does not decode.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.can_read_body:
            try:
                async with asyncio.timeout(timeout_s):
                    await read_body(request)
            except TimeoutError:
                msg = f"The request body did not arrive within {timeout_s:g} s"
                raise BodyTimeout(msg) from None
        return await handler(request)

    return middleware
