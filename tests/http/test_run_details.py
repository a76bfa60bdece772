"""Finished runs over real HTTP: read back from the history, with why they ended on request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.http.test_runs import TIMESTAMP
from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from tests.support.server import Client, ServerProcess

RUN_KEYS = ["id", "jobId", "status", "createdAt", "completedAt", "tasks"]


def _finished_run(client: Client, job_id: str, run_id: str) -> dict[str, Any] | None:
    response = client.get(f"/v1/jobs/{job_id}/runs/{run_id}?embed=details")
    if response.status != 200:
        return None
    run = response.json()
    return run if run["status"] in ("SUCCESS", "FAILED") else None


def _run_to_end(client: Client, job_id: str, timeout_s: float = 20, **run: Any) -> dict[str, Any]:
    assert client.post("/v1/jobs", job_body(job_id, **run)).status == 201
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    return wait(lambda: _finished_run(client, job_id, run_id), timeout_s)


def test_a_finished_run_answers_with_the_keys_of_an_active_one(client: Client, job_id: str) -> None:
    detailed = _run_to_end(client, job_id, cmd="echo hi")
    plain = client.get(f"/v1/jobs/{job_id}/runs/{detailed['id']}").json()
    assert list(plain) == RUN_KEYS
    assert plain["status"] == "SUCCESS"
    assert TIMESTAMP.fullmatch(plain["completedAt"])
    [task] = plain["tasks"]
    assert list(task) == ["id", "status", "startedAt", "completedAt"]
    assert task["status"] == "TASK_FINISHED"
    assert detailed == {**plain, "details": detailed["details"]}
    details = detailed["details"]
    assert details["trigger"] == {"kind": "MANUAL", "by": None}
    assert details["reason"] == {"kind": "SUCCEEDED", "exitCode": 0}
    [task_details] = details["tasks"]
    assert task_details["id"] == task["id"]
    assert task_details["exitCode"] == 0
    assert task_details["endedAt"] == task["completedAt"]


def test_a_non_zero_exit_is_named_with_its_code(client: Client, job_id: str) -> None:
    run = _run_to_end(client, job_id, cmd="exit 3")
    assert run["status"] == "FAILED"
    assert run["details"]["reason"] == {
        "kind": "EXITED",
        "exitCode": 3,
        "message": "exited with status 3",
    }
    [task] = run["details"]["tasks"]
    assert (task["status"], task["exitCode"]) == ("TASK_FAILED", 3)
    assert TIMESTAMP.fullmatch(task["endedAt"])
    assert "completedAt" not in run["tasks"][0]  # Metronome's: set for TASK_FINISHED only


def test_a_command_killed_by_a_signal_says_which(client: Client, job_id: str) -> None:
    run = _run_to_end(client, job_id, cmd="sh -c 'kill -9 $$'")
    reason = run["details"]["reason"]
    assert (reason["kind"], reason["signal"], reason["exitCode"]) == ("SIGNALED", 9, 137)


def test_a_stopped_run_says_it_was_stopped(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd="sleep 30")).status == 201
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    assert client.post(f"/v1/jobs/{job_id}/runs/{run_id}/actions/stop").status == 200
    run = client.get(f"/v1/jobs/{job_id}/runs/{run_id}?embed=details").json()
    assert run["status"] == "FAILED"
    assert run["details"]["reason"] == {"kind": "STOPPED"}


def test_a_launch_deadline_is_named(client: Client, job_id: str) -> None:
    nowhere = {"constraints": [{"attribute": "rack", "operator": "IS", "value": "none"}]}
    run = _run_to_end(client, job_id, placement=nowhere, maxLaunchDelay=1)
    assert run["details"]["reason"] == {
        "kind": "LAUNCH_DEADLINE",
        "message": "no task ran within maxLaunchDelay (1 s)",
    }
    assert run["details"]["tasks"][0]["status"] == "TASK_KILLED"


def test_a_restart_deadline_is_named_with_the_last_failure(client: Client, job_id: str) -> None:
    restart = {"policy": "ON_FAILURE", "activeDeadlineSeconds": 1}
    run = _run_to_end(client, job_id, cmd="exit 4", restart=restart)
    reason = run["details"]["reason"]
    assert (reason["kind"], reason["exitCode"]) == ("RESTART_DEADLINE", 4)
    assert "activeDeadlineSeconds (1 s)" in reason["message"]
    assert len(run["details"]["tasks"]) >= 2
    assert all(t["exitCode"] == 4 for t in run["details"]["tasks"])


def test_a_task_that_cannot_start_carries_the_launchers_message(
    client: Client, job_id: str
) -> None:
    artifacts = [{"uri": "http://127.0.0.1:9/nothing.tar.gz"}]
    run = _run_to_end(client, job_id, artifacts=artifacts)
    reason = run["details"]["reason"]
    assert reason["kind"] == "FAILED_TO_START"
    assert "127.0.0.1:9" in reason["message"]
    assert run["details"]["tasks"][0]["exitCode"] is None


def test_an_active_run_has_details_with_no_reason_yet(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd="sleep 30")).status == 201
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    run = client.get(f"/v1/jobs/{job_id}/runs/{run_id}?embed=details").json()
    assert run["status"] in ("STARTING", "ACTIVE")
    assert run["details"]["reason"] is None
    assert run["details"]["trigger"]["kind"] == "MANUAL"
    [listed] = client.get(f"/v1/jobs/{job_id}/runs?embed=details").json()
    assert listed["details"]["trigger"] == run["details"]["trigger"]
    assert list(client.get(f"/v1/jobs/{job_id}/runs/{run_id}").json()) == RUN_KEYS
    client.post(f"/v1/jobs/{job_id}/runs/{run_id}/actions/stop")


def test_an_unknown_embed_is_a_400_naming_the_valid_ones(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    response = client.get(f"/v1/jobs/{job_id}/runs/x?embed=history")
    assert response.status == 400
    assert response.json() == {"message": "Unknown embed options. Valid options are: details"}


def test_details_survive_a_restart(own_server: ServerProcess) -> None:
    server = own_server.start()
    run = _run_to_end(server.client, "kept", cmd="exit 5")
    server.stop()
    server.start()
    assert _finished_run(server.client, "kept", run["id"]) == run
