"""Issue 19's reproduction over real HTTP: the data dir on a small tmpfs that fills while a run
is active. The job must stay served (a 503 naming the cause for what needs a write), and once
the disk has room again it works without a restart and its run is recorded as it ended."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.jobs import job_body
from tests.support.server import ServerProcess, wait

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DISK_BYTES = 16 * 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs mounted at `tmp_path/data` (needs root; skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount_point = tmp_path / "data"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(disk: Path) -> Path:
    """Write zeros until the disk is full; the file to delete to free it again."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        with contextlib.suppress(OSError):
            while True:
                out.write(chunk)
        for size in (4096, 512, 1):  # the last pages, so not even a small write fits
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def _history(server: ServerProcess) -> dict[str, Any]:
    return server.client.get("/v1/jobs/a?embed=history").json()["history"]


def test_a_full_disk_makes_no_zombie_job(small_disk: Path) -> None:
    # As root: the data dir is under the test's temp dir, which other users cannot enter.
    server = ServerProcess(small_disk, extra_args=["--task-users", "root"])
    try:
        server.start()
        client = server.client
        body = job_body("a", cmd="echo started; sleep 4", user="root")
        assert client.post("/v1/jobs", body).status == 201
        run_id = client.post("/v1/jobs/a/runs").json()["id"]
        # Its command runs (the wrapper's own records are written by then), not only ACTIVE.
        wait(lambda: client.get(f"/v1/jobs/a/runs/{run_id}/logs/stdout").text == "started\n", 10)
        filler = _fill(small_disk)

        # While the store refuses writes the job is served, and what needs a write is a 503
        # that says why and changes nothing (the DELETE kills no run).
        refused = client.post("/v1/jobs/a/runs")
        assert refused.status == 503, refused.text
        assert "disk is full" in refused.json()["message"]
        assert client.put("/v1/jobs/a", job_body("a", cmd="true")).status == 503
        assert client.delete("/v1/jobs/a?stopCurrentJobRuns=true").status == 503
        assert client.get("/v1/jobs/a").status == 200
        assert client.post("/v1/jobs", job_body("a")).status == 409  # it exists: not a zombie
        # The task ends (after 4 s); its end cannot be written, and the job says so.
        wait(lambda: "cannot record the end of run" in server.log(), 15)
        assert [r["id"] for r in client.get("/v1/jobs/a/runs").json()] == [run_id]
        blocked = client.post(f"/v1/jobs/a/runs/{run_id}/actions/stop")
        assert blocked.status == 503
        assert "refuses its writes" in blocked.json()["message"]
        assert server.log().count("cannot record the end of run") == 1  # retries log at DEBUG

        filler.unlink()
        history = wait(lambda: (h := _history(server))["successCount"] == 1 and h, 40)
        assert [r["id"] for r in history["successfulFinishedRuns"]] == [run_id]
        assert client.get("/v1/jobs/a/runs").json() == []
        metrics = client.get("/v1/metrics").json()
        assert metrics["counters"]["metronome.jobs.write.failures.counter"]["count"] >= 1
        # Works again without a restart.
        assert client.post("/v1/jobs/a/runs").status == 201
        assert client.put("/v1/jobs/a", job_body("a", cmd="true")).status == 200
        assert client.delete("/v1/jobs/a?stopCurrentJobRuns=true").status == 200
        assert client.get("/v1/jobs/a").status == 404
    except AssertionError as exc:
        msg = f"{exc}\n--- server log:\n{server.log()}"
        raise AssertionError(msg) from exc
    finally:
        if server.process is not None:
            server.stop()
