"""`metronome zk dump` decodes what a cluster stored."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from tests.ha.conftest import leader_of
from tests.support.jobs import job_body, schedule_body
from tests.support.server import ROOT, wait

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.server import ServerProcess
    from tests.support.zookeeper import ZkServer


def _dump(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "metronome.cli", "zk", "dump", *args],
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT / "src")},
    )


def test_dump_shows_decoded_records(
    cluster_of: Callable[..., list[ServerProcess]], zookeeper: ZkServer, zk_root: str
) -> None:
    [member] = cluster_of(zookeeper, zk_root, size=1)
    leader_of([member])
    body = {**job_body("dumped", cmd="true"), "schedules": [schedule_body("nightly")]}
    assert member.client.post("/v1/jobs", body).status == 201
    member.client.post("/v1/jobs/dumped/runs")

    def finished() -> Any:
        history = member.client.get("/v1/jobs/dumped?embed=history").json()["history"]
        return history["successCount"]

    wait(finished, 15)
    result = _dump("--zk", f"zk://{zookeeper.hosts}{zk_root}", "/state")
    assert result.returncode == 0, result.stderr
    nodes = json.loads(result.stdout)
    spec = nodes["/state/job-specs/dumped"]
    assert spec["type"] == "JobSpec"
    assert spec["value"]["run"]["cmd"] == "true"
    assert spec["value"]["schedules"][0]["cron"] == "20 0 * * *"
    history = nodes["/state/job-histories/dumped"]
    assert history["type"] == "JobHistory"
    assert history["value"]["success_count"] == 1


def test_dump_without_a_url_or_of_a_missing_path_fails_clearly(
    zookeeper: ZkServer, zk_root: str
) -> None:
    missing_url = _dump()
    assert missing_url.returncode == 2
    assert "METRONOME_ZK_URL" in missing_url.stderr
    missing = _dump("--zk", f"zk://{zookeeper.hosts}{zk_root}", "/nothing/here")
    assert missing.returncode == 1
    assert "/nothing/here" in missing.stderr
    assert "Traceback" not in missing.stderr
