"""Pause and resume under an auth file: `update` is needed, and the note names the identity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.api._auth_config import load_auth_config
from tests.auth.conftest import UNPLACEABLE_RUN, basic, leading_app_client, write_auth_file
from tests.support.system import FakeClock, create_job, entry, running

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient


async def test_pausing_needs_update_and_records_who(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    auth = load_auth_config(write_auth_file(tmp_path / "auth.toml"))
    async with running(tmp_path / "data", FakeClock(datetime.now(UTC))) as services:
        await create_job(services, {"id": "prod.app", "run": UNPLACEABLE_RUN})
        client = await leading_app_client(services, auth, aiohttp_client)
        path = "/v1/jobs/prod.app"
        refused = await client.post(f"{path}/pause", headers=basic("viewer"))
        assert refused.status == 403
        assert "user:viewer may not update job 'prod.app'." in (await refused.json())["message"]
        assert (await client.get(f"{path}/pause", headers=basic("viewer"))).status == 200
        assert (await client.post(f"{path}/pause")).status == 401
        spoofed = await client.post(f"{path}/pause", json={"by": "bob"}, headers=basic("prod"))
        assert spoofed.status == 422
        paused = await client.post(f"{path}/pause", json={"reason": "r"}, headers=basic("prod"))
        assert paused.status == 200
        assert (await paused.json())["by"] == "user:prod"
        assert entry(services, "prod.app").history.pause.by == "user:prod"
        assert (await client.post(f"{path}/resume", headers=basic("viewer"))).status == 403
        assert (await client.post(f"{path}/resume", headers=basic("prod"))).status == 200
        assert entry(services, "prod.app").history.pause is None
        hidden = await client.get("/v1/jobs/dev.x/pause", headers=basic("prod"))
        assert hidden.status == 404
