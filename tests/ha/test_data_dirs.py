"""Instances with their own data dirs (one per host) never run a task twice (issue 19).

A new leader reaches a running task only through the records in the data dir it was launched
from. On another data dir it must not start the task again: it records the run's outcome as
unknown with the reason. Such a cluster is refused at start unless `--separate-data-dirs` says
it is meant; instances sharing one data dir keep adopting (tests/ha/test_cluster.py).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import pytest

from tests.ha.conftest import SESSION_TIMEOUT_S, instance, leader_of
from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.support.server import ServerProcess
    from tests.support.zookeeper import ZkServer

SEPARATE = ("--separate-data-dirs", "true")


@pytest.fixture
def started() -> Iterator[list[ServerProcess]]:
    members: list[ServerProcess] = []
    yield members
    for member in members:
        if member.process is not None and member.process.poll() is None:
            member.stop()


def _start(members: list[ServerProcess], member: ServerProcess) -> ServerProcess:
    members.append(member)
    return member.start()


def _run(member: ServerProcess, job_id: str, run_id: str) -> dict[str, Any] | None:
    response = member.client.get(f"/v1/jobs/{job_id}/runs/{run_id}?embed=details")
    return response.json() if response.status == 200 else None


def test_a_new_leader_on_another_data_dir_never_starts_the_task_again(
    started: list[ServerProcess], zookeeper: ZkServer, zk_root: str, tmp_path: Path
) -> None:
    first = _start(started, instance(tmp_path / "host-a", zookeeper.hosts, zk_root, *SEPARATE))
    assert leader_of([first]) is first
    second = _start(started, instance(tmp_path / "host-b", zookeeper.hosts, zk_root, *SEPARATE))
    marker = tmp_path / "marker"
    cmd = f"echo start >> {marker}; sleep 4; echo end >> {marker}"
    assert first.client.post("/v1/jobs", job_body("long", cmd=cmd)).status == 201
    run_id = first.client.post("/v1/jobs/long/runs").json()["id"]
    wait(lambda: marker.exists(), 10)  # the task's own side effect: it runs
    first.kill9()
    assert leader_of([second], timeout_s=SESSION_TIMEOUT_S + 10) is second
    run = wait(lambda: (r := _run(second, "long", run_id)) and r["status"] == "FAILED" and r, 15)
    reason = run["details"]["reason"]
    assert reason["kind"] == "OUTCOME_UNKNOWN"
    assert reason["message"].endswith(
        "on host 127.0.0.1, which this instance cannot reach; its outcome is unknown"
    )
    assert "sleep" not in str(run)  # the message names the task and its launcher, no spec
    [task] = run["details"]["tasks"]
    assert reason["message"].startswith(f"task {task['id']} was started by launcher local:")
    plain = second.client.get(f"/v1/jobs/long/runs/{run_id}").json()
    assert "details" not in plain  # the default answer gains no key
    wait(lambda: marker.read_text().endswith("end\n"), 15)  # the first task ends on its own
    assert marker.read_text() == "start\nend\n"  # and was never started again
    history = second.client.get("/v1/jobs/long?embed=history").json()["history"]
    assert (history["successCount"], history["failureCount"]) == (0, 1)


def test_an_instance_on_another_data_dir_is_refused_unless_separate_dirs_are_accepted(
    started: list[ServerProcess], zookeeper: ZkServer, zk_root: str, tmp_path: Path
) -> None:
    _start(started, instance(tmp_path / "shared", zookeeper.hosts, zk_root))
    _start(started, instance(tmp_path / "shared", zookeeper.hosts, zk_root))  # same dir: joins
    refused = instance(tmp_path / "own", zookeeper.hosts, zk_root)
    started.append(refused)
    with contextlib.suppress(AssertionError):  # it may stop before its first /ping
        refused.start()
    assert refused.process is not None
    assert refused.process.wait(30) == 1
    log = refused.log()
    assert f"Data dir {tmp_path / 'own'} belongs to local launcher local:" in log
    assert "launch on Mesos with --master" in log
    assert "pass --separate-data-dirs" in log
    accepted = _start(started, instance(tmp_path / "own", zookeeper.hosts, zk_root, *SEPARATE))
    wait(lambda: accepted.client.get("/leader").status == 200, 10)
    assert accepted.process is not None
    assert accepted.process.poll() is None
    assert leader_of([*started[:2], accepted]) in started[:2]  # the first instance still leads
