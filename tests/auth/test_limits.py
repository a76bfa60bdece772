"""Slow clients: trickled headers are cut by the runner's keep-alive timer, trickled bodies by
the body timeout, and both without tying up the server."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from metronome.api._http import error_middleware, json_response, read_json
from metronome.api._limits import SERVER_LIMITS, body_timeout_middleware
from tests.support.server import free_port


async def echo(request: web.Request) -> web.Response:
    return json_response(await read_json(request))


async def serve(timeout_s: float, **limits: float) -> tuple[web.AppRunner, int]:
    app = web.Application(
        client_max_size=1024,
        middlewares=[error_middleware(max_body_bytes=1024), body_timeout_middleware(timeout_s)],
    )
    app.router.add_post("/echo", echo)
    runner = web.AppRunner(app, access_log=None, **{**SERVER_LIMITS, **limits})
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def test_a_body_that_trickles_gets_a_json_408() -> None:
    runner, port = await serve(0.3)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"a": '
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 408")
        lines = head.decode().lower().split("\r\n")
        length = int(next(h for h in lines if h.startswith("content-length")).split(":")[1])
        body = json.loads(await reader.readexactly(length))
        assert body == {"message": "The request body did not arrive within 0.3 s"}
        writer.close()
        await writer.wait_closed()
    finally:
        await runner.cleanup()


async def test_a_body_in_time_and_one_too_large_are_answered_as_usual() -> None:
    runner, port = await serve(5.0)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        big = b"[" + b"1," * 1000 + b"1]"
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(big)).encode() + b"\r\n\r\n" + big
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 413")
        assert b"application/json" in head
        writer.close()
    finally:
        await runner.cleanup()


async def test_headers_that_trickle_are_cut_off_by_the_keepalive_timer() -> None:
    runner, port = await serve(5.0, keepalive_timeout=0.3)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        writer.close()
    finally:
        await runner.cleanup()
