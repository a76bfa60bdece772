"""A job's `env` reaches its command, never the root part of its wrapper."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from metronome.model import TaskStatus
from tests.isolation.conftest import needs_root
from tests.launch.conftest import spec

if TYPE_CHECKING:
    from collections.abc import Iterator

S = TaskStatus
pytestmark = needs_root


@pytest.fixture
def decoys() -> Iterator[Path]:
    """A directory of programs named as those the wrapper runs as root, each leaving a mark."""
    directory = Path(os.path.realpath("/tmp")) / f"metronome-decoys-{os.getpid()}"
    directory.mkdir(mode=0o755)
    for name in ("setpriv", "unshare", "mount", "sh"):
        decoy = directory / name
        decoy.write_text(f"#!/bin/sh\n/usr/bin/id -u >>{directory}/ran-{name}\n")
        decoy.chmod(0o755)
    try:
        yield directory
    finally:
        for child in directory.iterdir():
            child.unlink()
        directory.rmdir()


async def test_the_jobs_path_does_not_choose_what_runs_as_root(
    make_launcher, sandbox_root: Path, decoys: Path
) -> None:
    launcher, updates = await make_launcher()
    env = {"PATH": f"{decoys}:/usr/bin:/bin", "LD_PRELOAD": "/nonexistent/evil.so"}
    launcher.launch("p1", spec(cmd="id -u; echo $PATH", env=env))
    assert (await updates.final("p1")).status is S.TASK_FINISHED
    assert list(decoys.glob("ran-*")) == []
    uid, path = (sandbox_root / "p1" / "stdout").read_text().split()
    assert (int(uid), path) == (65534, env["PATH"])  # the command has the job's env


async def test_env_values_arrive_as_written(make_launcher, sandbox_root: Path) -> None:
    value = 'it\'s "quoted"\n  $HOME `id` \\ end'
    launcher, updates = await make_launcher()
    launcher.launch("v1", spec(args=("/usr/bin/printenv", "TRICKY"), env={"TRICKY": value}))
    assert (await updates.final("v1")).status is S.TASK_FINISHED
    assert (sandbox_root / "v1" / "stdout").read_text() == value + "\n"


async def test_an_env_name_a_shell_cannot_export_fails_the_task(make_launcher) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("n1", spec(cmd="true", env={"NOT-A-NAME": "x"}))
    final = await updates.final("n1")
    assert final.status is S.TASK_FAILED
    assert (
        final.message
        == "env name 'NOT-A-NAME' is not a shell variable name, so it cannot be passed"
    )
