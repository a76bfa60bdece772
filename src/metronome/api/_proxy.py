"""A non-leader forwards requests to the leader and relays its answer (Metronome's
LeaderProxyFilter, metronome-behavior.md §7.2)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import hdrs, web

from metronome.api._http import UnreadableBody, json_response, read_body, unreadable_body_response

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from aiohttp.typedefs import Handler, Middleware

    from metronome.api._app_keys import Instance
    from metronome.ha import Leadership

logger = logging.getLogger(__name__)

LOCAL_PATHS = frozenset({"/ping", "/v1/metrics", "/metrics"})
"""Answered by every instance itself."""
LEADER_PATH = "/leader"
"""Answered by a follower itself, from what it knows: forwarded, it would fail (502) exactly
when it matters, while the leader it knows is gone and the election runs."""

_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "host", "keep-alive", "transfer-encoding", "upgrade"}
)
_NOT_FORWARDED = _HOP_BY_HOP | {"content-encoding"}
"""aiohttp has decoded the request body: it goes on as what it now is, not as gzip or deflate."""

LEADER_CLIENT = web.AppKey("leader_client", aiohttp.ClientSession)
FORWARD_TIMEOUT_S = 30.0
"""Metronome's `metronome.leader.proxy.timeout`."""
_FOLLOWING = aiohttp.ClientTimeout(total=None, sock_connect=FORWARD_TIMEOUT_S)
"""A followed output (`.../logs/stdout?follow=true`) lasts as long as its task."""


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
        leader = leadership.leader()
        if request.path == LEADER_PATH:
            return await handler(request) if leader is not None else _no_leader(leadership)
        own = instance.settings.advertised_address
        if "X-VIA" in request.headers:
            return web.Response(status=400, text="Prevent proxying already proxied request")
        if leader is None or leader == own:
            reason = leadership.unavailable_reason
            text = "No consistent leadership" + (f": {reason}" if reason else "")
            return web.Response(status=503, text=text)
        url = f"{instance.settings.advertised_scheme}://{leader}{request.rel_url}"
        return await _forward(request.app[LEADER_CLIENT], request, url, leader, own)

    return middleware


def _no_leader(leadership: Leadership) -> web.Response:
    reason = leadership.unavailable_reason
    text = "There is no leader" + (f": {reason}" if reason else "")
    return json_response({"message": text}, status=503)


async def _forward(
    session: aiohttp.ClientSession, request: web.Request, url: str, leader: str, own: str
) -> web.StreamResponse:
    try:
        payload = await read_body(request)
    except UnreadableBody as exc:  # this middleware sits outside the error middleware
        return unreadable_body_response(exc)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED}
    headers |= {"X-VIA": own, "X-LEADER": leader}
    if request.remote:  # the leader counts failed logins against the client, not against us
        seen = request.headers.get(hdrs.X_FORWARDED_FOR)
        headers[hdrs.X_FORWARDED_FOR] = f"{seen}, {request.remote}" if seen else request.remote
    following = request.query.get("follow") in ("true", "1")
    timeout = _FOLLOWING if following else session.timeout
    try:
        async with session.request(
            request.method,
            url,
            headers=headers,
            data=payload,
            allow_redirects=False,
            timeout=timeout,
        ) as answer:
            relayed = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            if hdrs.CONTENT_LENGTH not in answer.headers:  # a stream: relayed as it arrives
                return await _relay(request, answer, relayed | {"X-VIA": own, "X-LEADER": leader})
            body = await answer.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        logger.warning("Forwarding %s %s to leader %s failed: %r", request.method, url, leader, exc)
        text = f"The leader {leader} did not answer: {exc!r}"
        return web.json_response({"message": text}, status=502, content_type="application/json")
    relayed |= {"X-VIA": own, "X-LEADER": leader}
    return web.Response(status=answer.status, body=body, headers=relayed)


async def _relay(
    request: web.Request, answer: aiohttp.ClientResponse, headers: dict[str, str]
) -> web.StreamResponse:
    """An answer of unknown length (a followed output) passed on chunk by chunk."""
    response = web.StreamResponse(status=answer.status, headers=headers)
    await response.prepare(request)
    try:
        async for chunk in answer.content.iter_any():
            await response.write(chunk)
        await response.write_eof()
    except (aiohttp.ClientError, ConnectionResetError) as exc:  # the answer arrives cut short
        logger.info("Relaying %s from the leader ended early: %r", request.path, exc)
    return response
