"""The server on uvloop (`--event-loop uvloop`): the API, a run of a real task, a clean stop."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from tests.support.server import ServerProcess


def test_a_server_on_uvloop_runs_a_job_and_stops_cleanly(own_server: ServerProcess) -> None:
    own_server.extra_args = ["--event-loop", "uvloop"]
    client = own_server.start().client
    assert client.post("/v1/jobs", job_body("on-uvloop", cmd="exit 0")).status == 201
    run_id = client.post("/v1/jobs/on-uvloop/runs").json()["id"]

    def history() -> dict[str, object] | None:
        found = client.get("/v1/jobs/on-uvloop?embed=history").json()["history"]
        return found if found["successCount"] + found["failureCount"] else None

    finished = wait(history, 15)
    assert finished["successCount"] == 1
    assert [run["id"] for run in finished["successfulFinishedRuns"]] == [run_id]
    assert client.get("/info").json()["config"]["event_loop"] == "uvloop"
    assert own_server.stop() == 0, own_server.log()
