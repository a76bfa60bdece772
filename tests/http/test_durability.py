"""Acknowledged changes survive kill -9; an unusable data dir stops the server clearly."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import TYPE_CHECKING

from tests.support.jobs import job_body, schedule_body
from tests.support.server import ROOT, ServerProcess

if TYPE_CHECKING:
    from pathlib import Path


def test_every_acknowledged_change_survives_kill_9(own_server: ServerProcess) -> None:
    server = own_server.start()
    client = server.client
    acknowledged: dict[str, dict] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        for n in range(10_000):
            if stop.is_set():
                return
            job_id = f"w{worker}.job-{n}"
            body = {**job_body(job_id, env={"N": str(n)}), "schedules": [schedule_body("s")]}
            try:
                response = client.post("/v1/jobs", body)
            except OSError:
                return  # the server died under us: this one was never acknowledged
            if response.status == 201:
                with lock:
                    acknowledged[job_id] = response.json()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 150:
        threading.Event().wait(0.01)
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join()

    server.start()
    stored = {job["id"]: job for job in client.get("/v1/jobs?embed=schedules").json()}
    missing = set(acknowledged) - set(stored)
    assert not missing, f"{len(missing)} acknowledged jobs lost, e.g. {sorted(missing)[:3]}"
    for job_id, created in acknowledged.items():
        reread = stored[job_id]
        assert {**reread, "schedules": None} == {**created, "schedules": None}
        assert [s["id"] for s in reread["schedules"]] == ["s"]


def test_updates_and_deletes_survive_restart(own_server: ServerProcess) -> None:
    client = own_server.start().client
    assert client.post("/v1/jobs", job_body("keep")).status == 201
    assert client.post("/v1/jobs", job_body("gone")).status == 201
    assert client.put("/v1/jobs/keep", job_body("keep", cmd="echo v2")).status == 200
    assert client.post("/v1/jobs/keep/schedules", schedule_body("s1")).status == 201
    assert client.delete("/v1/jobs/gone").status == 200
    own_server.kill9()
    own_server.start()
    assert client.get("/v1/jobs/gone").status == 404
    job = client.get("/v1/jobs/keep?embed=schedules").json()
    assert job["run"]["cmd"] == "echo v2"
    assert [s["id"] for s in job["schedules"]] == ["s1"]


def _serve_once(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "metronome.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--http-port",
            "1",
            "--http-address",
            "127.0.0.1",
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT / "src")},
    )


def test_corrupt_data_dir_stops_the_server_with_a_clear_message(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "metronome.db").write_bytes(b"this is not a database" * 100)
    result = _serve_once(data_dir)
    assert result.returncode == 1
    assert "metronome.db" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_configuration_is_reported_all_at_once(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "metronome.cli",
            "serve",
            "--http-port",
            "99999",
            "--history-count",
            "zero",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 2
    assert "--http-port" in result.stderr
    assert "--history-count" in result.stderr


def test_env_vars_configure_the_server(own_server: ServerProcess) -> None:
    own_server.env["METRONOME_HISTORY_COUNT"] = "7"
    client = own_server.start().client
    assert client.get("/info").json()["config"]["history_count"] == "7"
