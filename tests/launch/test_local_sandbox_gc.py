"""Sandboxes of tasks that ended over the retention ago go; live and recent ones stay."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from metronome.launch._sandbox import records_root_of
from metronome.model import TaskStatus as S
from tests.launch.conftest import spec, wait_until

if TYPE_CHECKING:
    from pathlib import Path


def backdate(sandbox: Path, seconds: float) -> None:
    """Make a task's sandbox and its records look last changed `seconds` ago."""
    then = time.time() - seconds
    for path in (sandbox, records_root_of(sandbox.parent) / sandbox.name):
        os.utime(path, (then, then))


async def test_only_sandboxes_of_tasks_ended_long_ago_are_removed(
    make_launcher, sandbox_root: Path
) -> None:
    earlier, _ = await make_launcher()  # a server before this one: its task outlives it
    earlier.launch("orphan", spec(cmd="sleep 30"))
    launcher, updates = await make_launcher(sandbox_retention_s=60)
    launcher.launch("old", spec(cmd="true"))
    launcher.launch("recent", spec(cmd="true"))
    launcher.launch("running", spec(cmd="sleep 30"))
    await updates.final("old")
    await updates.final("recent")
    await updates.reached("running", S.TASK_RUNNING)
    await wait_until(
        lambda: (records_root_of(sandbox_root) / "orphan" / "process.json").stat().st_size > 0
    )
    await earlier.stop()
    for name in ("old", "running", "orphan"):
        backdate(sandbox_root / name, 3600)

    assert await launcher.remove_expired_sandboxes() == 1
    # "running" is this launcher's task, "orphan" a live process it does not know of.
    assert sorted(p.name for p in sandbox_root.iterdir()) == ["orphan", "recent", "running"]
    records = records_root_of(sandbox_root)
    assert sorted(p.name for p in records.iterdir()) == ["orphan", "recent", "running"]


async def test_the_launcher_sweeps_by_itself(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher(sandbox_retention_s=1)  # a sweep every second
    launcher.launch("done", spec(cmd="true"))
    await updates.final("done")
    backdate(sandbox_root / "done", 10)
    await wait_until(lambda: not (sandbox_root / "done").exists(), timeout=5)
