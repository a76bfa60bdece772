"""`run.timeoutSeconds` over real HTTP: its validation, its rendering, a hung task killed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from tests.support.server import Client


def test_timeout_seconds_is_checked_and_rendered_only_when_set(client: Client, job_id: str) -> None:
    for bad, error in ((0, "0 is smaller than required minimum value of 1."), ("5", None)):
        refused = client.post("/v1/jobs", job_body(job_id, timeoutSeconds=bad))
        assert refused.status == 422
        [detail] = refused.json()["details"]
        assert detail["path"] == "/run/timeoutSeconds"
        assert error is None or detail["errors"] == [error]
    plain = client.post("/v1/jobs", job_body(job_id)).json()
    assert "timeoutSeconds" not in plain["run"]
    updated = client.put(f"/v1/jobs/{job_id}", job_body(job_id, timeoutSeconds=90))
    assert updated.status == 200
    assert updated.json()["run"]["timeoutSeconds"] == 90
    assert client.get(f"/v1/jobs/{job_id}").json()["run"]["timeoutSeconds"] == 90


def test_a_hung_task_is_killed_and_its_run_fails(client: Client, job_id: str) -> None:
    body = job_body(job_id, cmd="sleep 60", timeoutSeconds=1, taskKillGracePeriodSeconds=1)
    assert client.post("/v1/jobs", body).status == 201
    before = client.get("/v1/metrics").json()["counters"].get("metronome.jobs.timedout.counter")
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]

    def failed() -> dict | None:
        history = client.get(f"/v1/jobs/{job_id}?embed=history").json()["history"]
        return history if history["failureCount"] else None

    history = wait(failed, 15)
    assert [run["id"] for run in history["failedFinishedRuns"]] == [run_id]
    assert client.get(f"/v1/jobs/{job_id}/runs").json() == []
    after = client.get("/v1/metrics").json()["counters"]["metronome.jobs.timedout.counter"]
    assert after["count"] == (before or {"count": 0})["count"] + 1
    details = client.get(f"/v1/jobs/{job_id}/runs/{run_id}?embed=details").json()["details"]
    assert details["reason"] == {
        "kind": "TIMED_OUT",
        "message": "timeout: the task ran longer than timeoutSeconds=1 and was killed",
    }
