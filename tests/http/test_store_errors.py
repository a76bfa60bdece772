"""What a store's refusal of a write becomes over HTTP: a version conflict is a 409 the client
can retry; a deposed leader's fenced-off write is a 503 (the next try reaches the new leader)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from metronome.api._http import error_middleware, json_response
from metronome.ha import ZkLeadership
from metronome.storage import SqliteStore, ZkStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.storage import Store
    from tests.support.zookeeper import ZkServer


def _writing_to(store: Store, version: int) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_request: web.Request) -> web.Response:
        return json_response({"version": store.set("/a", b"new", version)})

    return handler


async def test_a_version_conflict_is_409_and_a_fenced_write_503(
    tmp_path: Path,
    zookeeper: ZkServer,
    zk_root: str,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    local = SqliteStore(tmp_path)
    deposed = ZkLeadership("old-leader:1", zk_root)  # never elected: its fence names no node
    fenced = ZkStore(zookeeper.hosts, zk_root, fence=deposed.fence)
    try:
        local.create("/a")
        app = web.Application(middlewares=[error_middleware(max_body_bytes=1024)])
        app.router.add_put("/current", _writing_to(local, 0))
        app.router.add_put("/stale", _writing_to(local, 0))
        app.router.add_put("/fenced", _writing_to(fenced, -1))
        client = await aiohttp_client(app)

        assert (await (await client.put("/current")).json()) == {"version": 1}
        stale = await client.put("/stale")
        assert stale.status == 409
        assert "retry" in (await stale.json())["message"]
        refused = await client.put("/fenced")
        assert refused.status == 503
        assert "fence check failed" in (await refused.json())["message"]
    finally:
        fenced.close()
        local.close()
