"""A non-leader forwards requests to the leader and relays its answer (Metronome's
LeaderProxyFilter, metronome-behavior.md §7.2)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp.typedefs import Handler, Middleware

    from metronome.api._app_keys import Instance

logger = logging.getLogger(__name__)

LOCAL_PATHS = frozenset({"/ping", "/leader", "/v1/metrics", "/metrics"})
"""Answered by every instance itself (`/leader` too: forwarded during a fail-over, it could only
answer 502; each instance names the leader it knows)."""

_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "host", "keep-alive", "transfer-encoding", "upgrade"}
)


LEADER_CLIENT = web.AppKey("leader_client", aiohttp.ClientSession)
FORWARD_TIMEOUT_S = 30.0
"""Metronome's `metronome.leader.proxy.timeout`."""


async def leader_client(app: web.Application) -> AsyncIterator[None]:
    """The HTTP client that forwards to the leader: a cleanup context of the app."""
    timeout = aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_S)
    async with aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as session:
        app[LEADER_CLIENT] = session
        yield


def leader_proxy_middleware(instance: Instance) -> Middleware:
    """Serve locally on the leader; elsewhere forward to it, marking the request X-VIA/X-LEADER."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        leadership = instance.leadership
        if request.path in LOCAL_PATHS or leadership.is_leader:
            return await handler(request)
        own = instance.settings.advertised_address
        if "X-VIA" in request.headers:
            return web.Response(status=400, text="Prevent proxying already proxied request")
        leader = leadership.leader()
        if leader is None or leader == own:
            reason = leadership.unavailable_reason
            text = "No consistent leadership" + (f": {reason}" if reason else "")
            return web.Response(status=503, text=text)
        url = f"{instance.settings.advertised_scheme}://{leader}{request.rel_url}"
        return await _forward(request.app[LEADER_CLIENT], request, url, leader, own)

    return middleware


async def _forward(
    session: aiohttp.ClientSession, request: web.Request, url: str, leader: str, own: str
) -> web.Response:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
    headers |= {"X-VIA": own, "X-LEADER": leader}
    try:
        async with session.request(
            request.method, url, headers=headers, data=await request.read(), allow_redirects=False
        ) as answer:
            body = await answer.read()
            relayed = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("Forwarding %s %s to leader %s failed: %r", request.method, url, leader, exc)
        text = f"The leader {leader} did not answer: {exc!r}"
        return web.json_response({"message": text}, status=502, content_type="application/json")
    relayed |= {"X-VIA": own, "X-LEADER": leader}
    return web.Response(status=answer.status, body=body, headers=relayed)
