"""`GET /v1/queue?embed=reason`: why a queued run waits, on this host and on Mesos; the default
queue entry keeps Metronome's keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.mesos.test_server_on_mesos import fake_master as fake_master  # the fixture
from tests.support.jobs import job_body
from tests.support.server import ServerProcess, wait

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.server import Client


def _queued(client: Client, job_id: str, query: str = "?embed=reason") -> list[dict[str, Any]]:
    entries = client.get(f"/v1/queue{query}").json()
    return next((e["runs"] for e in entries if e["jobId"] == job_id), [])


def _reason(client: Client, job_id: str, **run: Any) -> str:
    assert client.post("/v1/jobs", job_body(job_id, **run)).status == 201
    run_id = client.post(f"/v1/jobs/{job_id}/runs").json()["id"]
    [queued] = wait(lambda: _queued(client, job_id), 10)
    assert queued["runId"] == run_id
    assert _queued(client, job_id, "") == [{"runId": run_id}]  # the default: no new key
    reason: str = queued["reason"]
    return reason


def test_a_local_run_says_which_resource_or_constraint_does_not_fit(
    own_server: ServerProcess,
) -> None:
    own_server.extra_args += ["--cpus", "2", "--attributes", "rack:a"]
    client = own_server.start().client
    assert _reason(client, "big", cpus=64) == "never fits: cpus 64 wanted, 2 on this host in all"
    rack_b = {"constraints": [{"attribute": "rack", "operator": "IS", "value": "b"}]}
    constrained = _reason(client, "elsewhere", placement=rack_b)
    assert constrained == "never fits: constraint rack IS b (this host: 'a')"

    assert client.post("/v1/jobs", job_body("hog", cmd="sleep 60", cpus=1.5)).status == 201
    client.post("/v1/jobs/hog/runs")
    wait(lambda: client.get("/v1/jobs/hog/runs").json()[0]["status"] == "ACTIVE", 10)
    assert _reason(client, "later", cpus=1) == "waiting for resources: cpus 1 wanted, 0.5 free now"
    bad = client.get("/v1/queue?embed=reasons")
    assert bad.status == 400
    assert "reason" in bad.json()["message"]


def test_a_mesos_run_says_what_no_offer_has(fake_master: str, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", extra_args=["--master", fake_master]).start()
    try:
        client = server.client
        assert client.post("/v1/jobs", job_body("mesos.big", cpus=64)).status == 201
        client.post("/v1/jobs/mesos.big/runs")

        def judged_on_offers() -> str | None:
            runs = _queued(client, "mesos.big")
            reason = runs[0]["reason"] if runs else ""
            return None if reason.startswith("waiting for an offer") else reason

        reason = wait(judged_on_offers, 20)
        assert reason == "no offer fits: cpus 64 wanted, 4 in the largest of the last offers"
    finally:
        server.stop()
