"""With authentication on, a run's details say who started and who stopped it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.auth.conftest import basic

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient


async def test_the_caller_is_recorded_as_trigger_and_stopper(client: TestClient[Any, Any]) -> None:
    created = await client.post("/v1/jobs/prod.app/runs", headers=basic("prod"))
    assert created.status == 201
    run_id = (await created.json())["id"]
    assert set(await created.json()) == {
        "id",
        "jobId",
        "status",
        "createdAt",
        "completedAt",
        "tasks",
    }
    path = f"/v1/jobs/prod.app/runs/{run_id}"
    active = await (await client.get(f"{path}?embed=details", headers=basic("viewer"))).json()
    assert active["details"]["trigger"] == {"kind": "MANUAL", "by": "prod"}
    stopped = await client.post(f"{path}/actions/stop", headers=basic("admin"))
    assert stopped.status == 200
    finished = await (await client.get(f"{path}?embed=details", headers=basic("viewer"))).json()
    assert finished["status"] == "FAILED"
    assert finished["details"]["reason"] == {"kind": "STOPPED", "by": "admin"}
    assert finished["details"]["trigger"] == {"kind": "MANUAL", "by": "prod"}
