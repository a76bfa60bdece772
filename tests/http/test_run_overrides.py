"""Manual runs with overrides and `?concurrency=respect`, over real HTTP and real processes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.server import Client, ServerProcess

RUN_KEYS = {"id", "jobId", "status", "createdAt", "completedAt", "tasks"}


def _finished(client: Client, job_id: str, count: int) -> dict[str, Any] | None:
    history = client.get(f"/v1/jobs/{job_id}?embed=history").json()["history"]
    return history if history["successCount"] + history["failureCount"] >= count else None


def _stdout(data_dir: Path, job_id: str, run_id: str) -> str:
    [sandbox] = (data_dir / "sandboxes").glob(f"{job_id.replace('.', '_')}_{run_id}.*")
    return (sandbox / "stdout").read_text()


def test_overrides_change_that_run_alone(server: ServerProcess, job_id: str) -> None:
    client = server.client
    body = job_body(job_id, cmd='echo "job:$GREETING:$KEEP"', env={"GREETING": "hi", "KEEP": "k"})
    assert client.post("/v1/jobs", body).status == 201
    before = client.get(f"/v1/jobs/{job_id}").json()
    asks = [
        {"env": {"GREETING": "override"}},
        {"cmd": 'echo "cmd:$KEEP"'},
        {"args": ["/bin/echo", "args"], "env": {"KEEP": "changed"}},
        None,
    ]
    runs = []
    for ask in asks:
        created = client.post(f"/v1/jobs/{job_id}/runs", ask)
        assert created.status == 201, created.text
        assert set(created.json()) == RUN_KEYS  # nothing new in the run's plain rendering
        runs.append(created.json()["id"])
        wait(lambda: _finished(client, job_id, len(runs)), 15)
    outputs = [_stdout(server.data_dir, job_id, run_id) for run_id in runs]
    assert outputs == ["job:override:k\n", "cmd:k\n", "args\n", "job:hi:k\n"]
    assert client.get(f"/v1/jobs/{job_id}").json() == before
    assert _finished(client, job_id, 4)["successCount"] == 4
    triggers = [
        client.get(f"/v1/jobs/{job_id}/runs/{run_id}?embed=details").json()["details"]["trigger"]
        for run_id in runs
    ]
    assert [t.get("overrides") for t in triggers] == [
        {"env": {"GREETING": "override"}},
        {"env": {}, "cmd": 'echo "cmd:$KEEP"'},
        {"env": {"KEEP": "changed"}, "args": ["/bin/echo", "args"]},
        None,
    ]


def test_a_body_asking_for_anything_else_is_refused(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd="sleep 30")).status == 201
    path = f"/v1/jobs/{job_id}/runs"
    refusals = [
        ({"user": "root"}, "/user", "Additional properties are not allowed."),
        ({"cpus": 4}, "/cpus", "Additional properties are not allowed."),
        ({"env": {"A": 1}}, "/env/A", "Wrong type. Expected string, was number."),
        ({"cmd": ""}, "/cmd", "'' is shorter than minimum length of 1."),
        (
            {"cmd": "true", "args": ["true"]},
            "/",
            "It is invalid to supply both cmd and args in the same run.",
        ),
        (["true"], "/", "Wrong type. Expected object, was array."),
    ]
    for body, where, error in refusals:
        response = client.post(path, body)
        assert response.status == 422, (body, response.text)
        assert {"path": where, "errors": [error]} in response.json()["details"], response.text
    not_json = client.post(path, raw=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status == 400
    not_declared = client.post(path, raw=b'{"env": {"A": "b"}}')  # no JSON content type
    assert not_declared.status == 400
    assert client.get(path).json() == []  # none of them started a run
    assert client.post(path, {}).status == 201  # a body that changes nothing is a plain run
    empty = client.post(path, raw=b"", headers={"Content-Type": "application/json"})
    assert empty.status == 201
    assert len(client.get(path).json()) == 2
    assert client.delete(f"/v1/jobs/{job_id}?stopCurrentJobRuns=true").status == 200


def test_respect_obeys_forbid_and_replace(client: Client, job_id: str) -> None:
    far = {"cron": "0 0 1 1 *"}
    schedule = {"id": "yearly", **far, "concurrencyPolicy": "FORBID"}
    body = {**job_body(job_id, cmd="sleep 30"), "schedules": [schedule]}
    assert client.post("/v1/jobs", body).status == 201
    path = f"/v1/jobs/{job_id}/runs"
    assert client.post(f"{path}?concurrency=respect").status == 201  # none active yet
    refused = client.post(f"{path}?concurrency=respect")
    assert refused.status == 409
    assert refused.json() == {
        "message": f"Job {job_id} has an active run and its concurrency policy is FORBID"
    }
    assert client.post(f"{path}?concurrency=ignore").status == 201  # Metronome's default
    assert client.post(path).status == 201
    assert len(client.get(path).json()) == 3
    bad = client.post(f"{path}?concurrency=maybe")
    assert bad.status == 400
    assert "concurrency" in bad.json()["message"]

    replace = {"id": "yearly", **far, "concurrencyPolicy": "REPLACE"}
    assert client.put(f"/v1/jobs/{job_id}/schedules/yearly", replace).status == 200
    newest = client.post(f"{path}?concurrency=respect")
    assert newest.status == 201
    assert [run["id"] for run in client.get(path).json()] == [newest.json()["id"]]
    assert _finished(client, job_id, 3)["failureCount"] == 3  # the three it replaced
    assert client.delete(f"/v1/jobs/{job_id}?stopCurrentJobRuns=true").status == 200
