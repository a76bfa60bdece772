"""Runs over real HTTP with the local launcher: lifecycle, stop, history, restart safety."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from metronome.model import RunStatus, TaskStatus
from metronome.storage import JobRunRepository, SqliteStore
from metronome.storage._codec import decode_run
from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.server import Client, ServerProcess

RUN_ID = re.compile(r"\d{14}[0-9A-Za-z]{5}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")


def _history(client: Client, job_id: str) -> dict[str, Any]:
    return client.get(f"/v1/jobs/{job_id}?embed=history").json()["history"]


def _finished(client: Client, job_id: str, count: int = 1) -> dict[str, Any] | None:
    history = _history(client, job_id)
    done = history["successCount"] + history["failureCount"]
    return history if done >= count else None


def test_trigger_returns_a_persisted_starting_run(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd="sleep 30")).status == 201
    created = client.post(f"/v1/jobs/{job_id}/runs")
    assert created.status == 201, created.text
    run = created.json()
    assert RUN_ID.fullmatch(run["id"])
    assert run["jobId"] == job_id
    assert run["status"] == "STARTING"
    assert TIMESTAMP.fullmatch(run["createdAt"])
    assert run["completedAt"] is None
    assert run["tasks"] == []
    active = wait(lambda: _active_run(client, job_id, run["id"]), 10)
    assert active["status"] == "ACTIVE"
    [task] = active["tasks"]
    assert task["status"] == "TASK_RUNNING"
    assert TIMESTAMP.fullmatch(task["startedAt"])
    assert "completedAt" not in task
    stopped = client.post(f"/v1/jobs/{job_id}/runs/{run['id']}/actions/stop")
    assert stopped.status == 200
    assert stopped.json()["status"] == "FAILED"
    assert TIMESTAMP.fullmatch(stopped.json()["completedAt"])
    assert client.get(f"/v1/jobs/{job_id}/runs").json() == []
    finished = client.get(f"/v1/jobs/{job_id}/runs/{run['id']}")
    assert finished.status == 200  # from the history now
    assert finished.json() == stopped.json()
    assert [t["status"] for t in finished.json()["tasks"]] == ["TASK_KILLED"]
    history = _history(client, job_id)
    assert history["failureCount"] == 1
    assert history["failedFinishedRuns"][0]["id"] == run["id"]


def _active_run(client: Client, job_id: str, run_id: str) -> dict[str, Any] | None:
    response = client.get(f"/v1/jobs/{job_id}/runs/{run_id}")
    if response.status != 200:
        return None
    run = response.json()
    running = run["tasks"] and run["tasks"][0]["status"] == "TASK_RUNNING"
    return run if run["status"] == "ACTIVE" and running else None


def test_exit_zero_is_success_in_history(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd="exit 0")).status == 201
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    history = wait(lambda: _finished(client, job_id), 15)
    assert history["successCount"] == 1
    assert history["failureCount"] == 0
    assert TIMESTAMP.fullmatch(history["lastSuccessAt"])
    [finished] = history["successfulFinishedRuns"]
    assert finished["id"] == run_id
    assert len(finished["tasks"]) == 1
    assert client.get(f"/v1/jobs/{job_id}/runs").json() == []
    summary = client.get(f"/v1/jobs/{job_id}?embed=historySummary").json()["historySummary"]
    assert summary["successCount"] == 1


def test_non_zero_exit_is_failure(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd="exit 3")).status == 201
    client.post(f"/v1/jobs/{job_id}/runs")
    history = wait(lambda: _finished(client, job_id), 15)
    assert history["failureCount"] == 1
    assert history["successCount"] == 0


def test_args_env_and_sandbox_output(client: Client, server: ServerProcess, job_id: str) -> None:
    body = job_body(
        job_id, cmd=None, args=["/bin/sh", "-c", "echo $GREETING $0"], env={"GREETING": "hi"}
    )
    del body["run"]["cmd"]
    assert client.post("/v1/jobs", body).status == 201
    client.post(f"/v1/jobs/{job_id}/runs")
    history = wait(lambda: _finished(client, job_id), 15)
    assert history["successCount"] == 1, history
    [task_id] = history["successfulFinishedRuns"][0]["tasks"]
    stdout = server.data_dir / "sandboxes" / task_id / "stdout"
    assert stdout.read_text().strip() == "hi /bin/sh"


def test_unknown_run_is_404_in_the_seed_form(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    for response in (
        client.get(f"/v1/jobs/{job_id}/runs/not-existing"),
        client.post(f"/v1/jobs/{job_id}/runs/not-existing/actions/stop"),
    ):
        assert response.status == 404
        assert response.json() == {"message": "JobRun 'not-existing' does not exist"}
    assert client.post("/v1/jobs/t.nope/runs").status == 404


def test_delete_with_active_runs_needs_stop_flag(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd="sleep 60")).status == 201
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    wait(lambda: _active_run(client, job_id, run_id), 10)
    refused = client.delete(f"/v1/jobs/{job_id}")
    assert refused.status == 409
    assert "stopCurrentJobRuns=true" in refused.json()["message"]
    assert client.delete(f"/v1/jobs/{job_id}?stopCurrentJobRuns=true").status == 200
    assert client.get(f"/v1/jobs/{job_id}").status == 404


def test_on_failure_relaunches_until_the_deadline(client: Client, job_id: str) -> None:
    restart = {"policy": "ON_FAILURE", "activeDeadlineSeconds": 3}
    assert client.post("/v1/jobs", job_body(job_id, cmd="exit 1", restart=restart)).status == 201
    client.post(f"/v1/jobs/{job_id}/runs")
    history = wait(lambda: _finished(client, job_id), 20)
    assert history["failureCount"] == 1
    tasks = history["failedFinishedRuns"][0]["tasks"]
    assert 2 <= len(tasks) <= 4, tasks  # relaunched with a growing delay (1 s, 2 s, ...)


def test_on_failure_succeeds_after_a_retry(client: Client, job_id: str, tmp_path: Any) -> None:
    marker = tmp_path / "tried"
    cmd = f"if [ -e {marker} ]; then exit 0; else touch {marker}; exit 1; fi"
    restart = {"policy": "ON_FAILURE"}
    body = job_body(job_id, cmd=cmd, restart=restart, user="root")  # the marker is root's
    assert client.post("/v1/jobs", body).status == 201
    client.post(f"/v1/jobs/{job_id}/runs")
    history = wait(lambda: _finished(client, job_id), 20)
    assert history["successCount"] == 1
    assert len(history["successfulFinishedRuns"][0]["tasks"]) == 2


def test_unplaceable_run_waits_in_the_queue_until_its_deadline(client: Client, job_id: str) -> None:
    constraint = {"attribute": "rack", "operator": "IS", "value": "nowhere"}
    body = job_body(job_id, placement={"constraints": [constraint]}, maxLaunchDelay=2)
    assert client.post("/v1/jobs", body).status == 201
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    queue = wait(lambda: [g for g in client.get("/v1/queue").json() if g["jobId"] == job_id], 5)
    assert queue == [{"jobId": job_id, "runs": [{"runId": run_id}]}]
    history = wait(lambda: _finished(client, job_id), 10)
    assert history["failureCount"] == 1
    assert not [g for g in client.get("/v1/queue").json() if g["jobId"] == job_id]


def test_metrics_count_runs(client: Client, job_id: str) -> None:
    before = client.get("/v1/metrics").json()["counters"]
    assert client.post("/v1/jobs", job_body(job_id, cmd="true")).status == 201
    client.post(f"/v1/jobs/{job_id}/runs")
    wait(lambda: _finished(client, job_id), 15)
    after = client.get("/v1/metrics").json()["counters"]

    def delta(name: str) -> int:
        key = f"metronome.{name}.counter"
        return after.get(key, {"count": 0})["count"] - before.get(key, {"count": 0})["count"]

    assert delta("jobs.started") >= 1
    assert delta("jobs.succeeded") >= 1
    assert "metronome_jobs_started_counter_total" in client.get("/metrics").text


def test_kill_9_keeps_running_tasks_and_records_what_ended(own_server: ServerProcess) -> None:
    own_server.extra_args += ["--task-user", "root"]  # the counter is in root's temp dir
    server = own_server.start()
    client = server.client
    counter = server.data_dir.parent / "launches"
    assert (
        client.post("/v1/jobs", job_body("sleeper", cmd=f"echo x >> {counter}; sleep 4")).status
        == 201
    )
    assert client.post("/v1/jobs", job_body("quick", cmd="sleep 2; exit 7")).status == 201
    sleeper = client.post("/v1/jobs/sleeper/runs").json()["id"]
    quick_id = client.post("/v1/jobs/quick/runs").json()["id"]
    wait(lambda: _active_run(client, "sleeper", sleeper), 10)
    wait(lambda: _active_run(client, "quick", quick_id), 10)  # its command runs (for 2 s)
    server.kill9()
    # Downtime: the quick task ends (its wrapper records the exit) while no server watches it.
    records = server.data_dir / "task-records"
    wait(lambda: list(records.glob(f"quick_{quick_id}.*/exit_status")), 10)
    server.start()
    quick = wait(lambda: _finished(client, "quick"), 15)
    assert quick["failureCount"] == 1  # its real exit status, recorded after the restart
    runs = client.get("/v1/jobs/sleeper/runs").json()
    assert [run["id"] for run in runs] == [sleeper]  # adopted, still active
    done = wait(lambda: _finished(client, "sleeper"), 15)
    assert done["successCount"] == 1
    assert counter.read_text().count("x") == 1  # launched once, never twice


def test_a_run_restarted_after_its_launch_deadline_is_adopted_not_aborted(
    own_server: ServerProcess,
) -> None:
    """Killed before the run's ACTIVE status is written, the server finds it STARTING past its
    maxLaunchDelay; the launcher reports the task running before the deadline can abort it."""
    server = own_server.start()
    client = server.client
    body = job_body("late", cmd="sleep 4", maxLaunchDelay=1)
    assert client.post("/v1/jobs", body).status == 201
    run = client.post("/v1/jobs/late/runs").json()
    run_id = run["id"]
    wait(lambda: _active_run(client, "late", run_id), 10)
    server.kill9()  # well within ACTIVE_WRITE_DELAY_S of the task's start
    deadline = _instant(run["createdAt"]) + timedelta(seconds=1)
    wait(lambda: datetime.now(UTC) > deadline, 5)  # it passes while no server runs
    server.start()
    assert [run["id"] for run in client.get("/v1/jobs/late/runs").json()] == [run_id]
    done = wait(lambda: _finished(client, "late"), 15)
    assert done["successCount"] == 1, done


def test_a_long_runs_active_status_is_written_after_the_delay(own_server: ServerProcess) -> None:
    server = own_server.start()
    client = server.client
    assert client.post("/v1/jobs", job_body("long", cmd="sleep 30")).status == 201
    run_id = client.post("/v1/jobs/long/runs").json()["id"]
    wait(lambda: _active_run(client, "long", run_id), 10)
    wait(lambda: _stored_status(server.data_dir, "long", run_id) is RunStatus.ACTIVE, 5)
    server.kill9()
    store = SqliteStore(server.data_dir)
    try:
        [run] = JobRunRepository(store).load_all()
    finally:
        store.close()
    assert (run.id, run.status, run.tasks[0].status) == (
        run_id,
        RunStatus.ACTIVE,
        TaskStatus.TASK_RUNNING,
    )
    server.start()
    assert client.post(f"/v1/jobs/long/runs/{run_id}/actions/stop").status == 200


def _instant(timestamp: str) -> datetime:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%f%z")


def _stored_status(data_dir: Path, job_id: str, run_id: str) -> RunStatus | None:
    """The run's status as the running server's store holds it (read beside it, as WAL allows)."""
    path = f"/state/job-runs/{job_id}/{run_id}"
    with sqlite3.connect(data_dir / "metronome.db") as db:
        rows = db.execute("SELECT data FROM nodes WHERE path = ?", (path,)).fetchall()
    return decode_run(rows[0][0], path).status if rows else None


def test_a_real_every_minute_schedule_fires_on_the_minute(client: Client, job_id: str) -> None:
    """End to end on the real clock: the first run starts at the next minute boundary."""
    body = {**job_body(job_id, cmd="true"), "schedules": [{"id": "every", "cron": "* * * * *"}]}
    created = client.post("/v1/jobs", body)
    assert created.status == 201
    next_run_at = created.json()["schedules"][0]["nextRunAt"]
    history = wait(lambda: _finished(client, job_id), 75, interval_s=0.5)
    run = (history["successfulFinishedRuns"] + history["failedFinishedRuns"])[0]
    assert run["createdAt"][:19] == next_run_at[:19]  # fired in the scheduled second
    assert int(run["createdAt"][20:23]) < 500  # and within half a second of it
