"""Checks before a task's command starts: the user it runs as, its container runtime."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from metronome.launch import TaskPolicy, TaskSetupError
from metronome.launch._container import container_argv
from metronome.launch._policy import resolve_user
from metronome.model import Docker, DockerParameter, TaskStatus, Volume, VolumeMode
from tests.launch.conftest import spec

if TYPE_CHECKING:
    from pathlib import Path

S = TaskStatus
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")


@needs_root
async def test_an_unknown_user_fails_the_task_clearly(make_launcher) -> None:
    launcher, updates = await make_launcher(
        policy=TaskPolicy(task_users=frozenset({"no-such-user-here"}))
    )
    launcher.launch("u1", spec(cmd="true", user="no-such-user-here"))
    final = await updates.final("u1")
    assert final.status is S.TASK_FAILED
    assert final.message == "user 'no-such-user-here' does not exist on this host"
    assert updates.statuses("u1") == [S.TASK_STAGING, S.TASK_FAILED]


@needs_root
async def test_the_task_runs_as_its_user(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("u2", spec(cmd='id -un; echo "$HOME"', user="nobody"))
    assert (await updates.final("u2")).status is S.TASK_FINISHED
    name, home = (sandbox_root / "u2" / "stdout").read_text().split()
    assert name == "nobody"
    assert home == os.path.expanduser("~nobody")


@needs_root
def test_a_non_root_launcher_refuses_another_user() -> None:
    os.seteuid(65534)  # briefly not root (the real uid stays 0, so this can be undone)
    try:
        with pytest.raises(TaskSetupError) as caught:
            resolve_user("root")
    finally:
        os.seteuid(0)
    expected = "cannot run the task as user 'root': the launcher runs as 'nobody', not root"
    assert str(caught.value) == expected


async def test_a_docker_task_without_a_working_runtime_fails_clearly(make_launcher) -> None:
    # Docker's client is installed here but no engine runs.
    launcher, updates = await make_launcher()
    launcher.launch("d1", spec(cmd="true", docker=Docker("busybox:1.36")))
    final = await updates.final("d1", timeout=15)
    assert final.status is S.TASK_FAILED
    expected = "no container runtime available on this host to run image 'busybox:1.36'"
    assert final.message == expected


def test_a_docker_task_command_line() -> None:
    run = spec(
        cmd="echo hi",
        user="nobody",
        docker=Docker(
            "busybox:1.36", privileged=True, parameters=(DockerParameter("memory", "64m"),)
        ),
        volumes=(Volume("/data", "/srv/data", VolumeMode.RO),),
    )
    argv = container_argv("/usr/bin/docker", "job_1.a/b", run, "/sb/t", {"MESOS_TASK_ID": "t"})
    assert argv == [
        "/usr/bin/docker", "run", "--rm", "--name", "metronome-job_1.a-b",
        "-v", "/sb/t:/mnt/mesos/sandbox", "-w", "/mnt/mesos/sandbox", "-e", "MESOS_TASK_ID=t",
        "--cpu-shares=102", "--memory=32m", "--user", "nobody", "--privileged",
        "-v", "/srv/data:/data:ro", "--memory=64m",
        "busybox:1.36", "/bin/sh", "-c", "echo hi",
    ]  # fmt: skip
