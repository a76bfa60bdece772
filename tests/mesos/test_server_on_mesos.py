"""The server with `--master`, against the fake master in its own process."""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import sys
import urllib.request
from typing import TYPE_CHECKING, Any

import pytest

from tests.mesos.conftest import make_certificate
from tests.support.jobs import job_body
from tests.support.server import ROOT, ServerProcess, free_port, wait

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@contextlib.contextmanager
def _fake_master_process(tmp_path: Path, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """`python -m metronome.fakemesos` on a free port (https with `tls`: cert, key); its URL."""
    port = free_port()
    log = (tmp_path / "fake-mesos.log").open("wb")
    https = [] if tls is None else ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])]
    process = subprocess.Popen(
        [sys.executable, "-m", "metronome.fakemesos", "--host", "127.0.0.1", "--port", str(port),
         "--agents", "2", "--heartbeat", "1", "--allocation", "0.1",
         "--sandboxes", str(tmp_path / "agents"), *https],
        env={"PYTHONPATH": str(ROOT / "src")},
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    log.close()
    url = f"{'http' if tls is None else 'https'}://127.0.0.1:{port}"
    context = None if tls is None else ssl.create_default_context(cafile=tls[0])

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/version", timeout=1, context=context):
                return True
        except OSError:
            return False

    try:
        wait(up, 20)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def fake_master(tmp_path: Path) -> Iterator[str]:
    with _fake_master_process(tmp_path) as url:
        yield url


def _finished(server: ServerProcess, job_id: str) -> dict[str, Any] | None:
    history = server.client.get(f"/v1/jobs/{job_id}?embed=history").json()["history"]
    return history if history["successCount"] + history["failureCount"] else None


def test_runs_launch_on_mesos_and_survive_a_scheduler_restart(
    fake_master: str, tmp_path: Path
) -> None:
    launches = tmp_path / "launches"
    server = ServerProcess(tmp_path / "data", extra_args=["--master", fake_master]).start()
    try:
        client = server.client
        assert client.post("/v1/jobs", job_body("quick", cmd="exit 0")).status == 201
        client.post("/v1/jobs/quick/runs")
        assert wait(lambda: _finished(server, "quick"), 20)["successCount"] == 1
        assert client.post("/v1/jobs", job_body("fails", cmd="exit 3")).status == 201
        client.post("/v1/jobs/fails/runs")
        assert wait(lambda: _finished(server, "fails"), 20)["failureCount"] == 1
        body = job_body("long", cmd=f"echo x >> {launches}; sleep 3")
        assert client.post("/v1/jobs", body).status == 201
        run_id = client.post("/v1/jobs/long/runs").json()["id"]
        wait(lambda: launches.exists(), 20)
        server.kill9()
        server.start()  # same framework id from the store: the master hands the task back
        # Still active, or (on a slow restart) already finished by the resent final update.
        assert [r["id"] for r in client.get("/v1/jobs/long/runs").json()] in ([run_id], [])
        history = wait(lambda: _finished(server, "long"), 20)
        assert history["successCount"] == 1
        assert history["successfulFinishedRuns"][0]["id"] == run_id
        assert launches.read_text().count("x") == 1
    finally:
        server.stop()


def test_a_run_no_agent_can_take_waits_in_the_queue(fake_master: str, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", extra_args=["--master", fake_master]).start()
    try:
        client = server.client
        nowhere = {"constraints": [{"attribute": "hostname", "operator": "IS", "value": "nowhere"}]}
        assert client.post("/v1/jobs", job_body("stuck", placement=nowhere)).status == 201
        run_id = client.post("/v1/jobs/stuck/runs").json()["id"]
        queue = wait(lambda: client.get("/v1/queue").json(), 10)
        assert queue == [{"jobId": "stuck", "runs": [{"runId": run_id}]}]
    finally:
        server.stop()


def test_a_leader_change_hands_the_framework_over(
    fake_master: str, tmp_path: Path, zookeeper: Any, zk_root: str
) -> None:
    """Two instances on ZooKeeper and Mesos: the new leader re-subscribes with the stored
    framework id, adopts the running task, and the run finishes once."""
    from tests.ha.conftest import leader_of

    args = [
        "--master",
        fake_master,
        "--zk",
        f"zk://{zookeeper.hosts}{zk_root}",
        "--zk-session-timeout",
        "4s",
    ]
    members = [ServerProcess(tmp_path / "data", extra_args=args).start() for _ in range(2)]
    try:
        leader = leader_of(members)
        launches = tmp_path / "launches"
        body = job_body("handed", cmd=f"echo x >> {launches}; sleep 4")
        assert leader.client.post("/v1/jobs", body).status == 201
        run_id = leader.client.post("/v1/jobs/handed/runs").json()["id"]
        wait(lambda: launches.exists(), 20)
        leader.kill9()
        survivor = next(m for m in members if m is not leader)
        leader_of([survivor], timeout_s=20)
        history = wait(lambda: _finished(survivor, "handed"), 30)
        assert history["successCount"] == 1
        assert history["successfulFinishedRuns"][0]["id"] == run_id
        assert launches.read_text().count("x") == 1
    finally:
        for member in members:
            member.stop()


def test_runs_launch_on_an_https_master_verified_by_the_ca_option(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    with _fake_master_process(tmp_path, tls=(cert, key)) as url:
        args = ["--master", url, "--mesos-ca-file", str(cert)]
        server = ServerProcess(tmp_path / "data", extra_args=args).start()
        try:
            assert server.client.post("/v1/jobs", job_body("tls", cmd="exit 0")).status == 201
            server.client.post("/v1/jobs/tls/runs")
            assert wait(lambda: _finished(server, "tls"), 20)["successCount"] == 1
            assert server.client.get("/info").json()["config"]["mesos_ca_file"] == str(cert)
        finally:
            server.stop()


def test_a_refused_framework_is_said_in_info_and_metrics(fake_master: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, extra_args=["--master", fake_master]).start()
    try:
        assert set(server.client.get("/info").json()) == {"version", "libVersion", "config"}
        assert server.client.post("/v1/jobs", job_body("first", cmd="exit 0")).status == 201
        server.client.post("/v1/jobs/first/runs")  # subscribed: the framework id is stored
        assert wait(lambda: _finished(server, "first"), 20)["successCount"] == 1
    finally:
        server.stop()
    args = ["--master", fake_master, "--mesos-principal", "mallory"]
    server = ServerProcess(data, extra_args=args).start()
    try:
        problem = wait(lambda: server.client.get("/info").json().get("mesos"), 10)
        assert problem == {
            "state": "refused", "message": "Changing framework's principal is not allowed.",
        }  # fmt: skip
        gauges = server.client.get("/v1/metrics").json()["gauges"]
        assert gauges["metronome.mesos.framework.refused.gauge"] == {"value": 1}
    finally:
        server.stop()
