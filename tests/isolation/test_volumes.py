"""Volumes of a task without an image: host paths bound in a mount namespace of its own."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from metronome.launch import TaskPolicy
from metronome.model import TaskStatus, Volume, VolumeMode
from tests.isolation.conftest import needs_root
from tests.launch.conftest import spec

if TYPE_CHECKING:
    from collections.abc import Iterator

S = TaskStatus
pytestmark = [
    needs_root,
    pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)"),
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap (bwrap)"),
]


@pytest.fixture
def dirs() -> Iterator[tuple[Path, Path]]:
    """A host directory the task's user may write, and an empty one to mount it at."""
    base = Path(os.path.realpath("/tmp")) / f"metronome-volumes-{os.getpid()}"
    host, target = base / "host", base / "target"
    host.mkdir(parents=True)
    target.mkdir()
    for path in (base, host, target):
        path.chmod(0o777)
    (host / "data.txt").write_text("from the host\n")
    try:
        yield host, target
    finally:
        shutil.rmtree(base)


async def test_a_read_only_volume_is_read_only(make_launcher, sandbox_root, dirs) -> None:
    host, target = dirs
    volume = Volume(str(target), str(host), VolumeMode.RO)
    launcher, updates = await make_launcher()
    launcher.launch("v1", spec(cmd=f"cat {target}/data.txt; touch {target}/new", volumes=(volume,)))
    final = await updates.final("v1")
    assert final.status is S.TASK_FAILED  # the touch
    assert (sandbox_root / "v1" / "stdout").read_text() == "from the host\n"
    assert "Read-only file system" in (sandbox_root / "v1" / "stderr").read_text()
    assert not (host / "new").exists()
    assert list(target.iterdir()) == []  # the mount was the task's alone


async def test_a_read_write_volume_takes_writes(make_launcher, dirs) -> None:
    host, target = dirs
    volume = Volume(str(target), str(host), VolumeMode.RW)
    launcher, updates = await make_launcher()
    launcher.launch("v2", spec(cmd=f"echo out >{target}/out", volumes=(volume,)))
    assert (await updates.final("v2")).status is S.TASK_FINISHED
    assert (host / "out").read_text() == "out\n"
    assert (host / "out").stat().st_uid == 65534  # written as the task's user


async def test_a_volume_with_no_mount_point_fails_the_task(make_launcher, dirs) -> None:
    host, target = dirs
    missing = target / "missing"
    launcher, updates = await make_launcher()
    launcher.launch(
        "v3", spec(cmd="true", volumes=(Volume(str(missing), str(host), VolumeMode.RO),))
    )
    final = await updates.final("v3")
    assert final.status is S.TASK_FAILED
    assert final.message == (
        f"volume 0 ({host} at {missing}): containerPath must be an existing directory on this "
        "host (a task without an image sees the host's file system)"
    )


async def test_a_volume_cannot_choose_what_runs_as_root(make_launcher, dirs) -> None:
    # Mounted as root before the switch, a volume over setpriv would have run as root.
    host, _ = dirs
    decoy = host / "decoy"
    decoy.write_text(f"#!/bin/sh\n/usr/bin/id -u >>{host}/ran\n")
    decoy.chmod(0o755)
    setpriv = shutil.which("setpriv")
    assert setpriv is not None
    volume = Volume(os.path.realpath(setpriv), str(decoy), VolumeMode.RO)
    launcher, updates = await make_launcher()
    launcher.launch("v4", spec(cmd="id -u", volumes=(volume,)))
    assert (await updates.final("v4")).status is S.TASK_FINISHED
    assert not (host / "ran").exists()


async def test_a_root_task_gets_its_volumes_from_a_root_mount(
    make_launcher, sandbox_root, dirs
) -> None:
    host, target = dirs
    volume = Volume(str(target), str(host), VolumeMode.RO)
    launcher, updates = await make_launcher(policy=TaskPolicy(task_user="root"))
    cmd = f"id -u; cat {target}/data.txt; touch {target}/new"
    launcher.launch("v5", spec(cmd=cmd, volumes=(volume,)))
    assert (await updates.final("v5")).status is S.TASK_FAILED  # root too: read-only
    assert (sandbox_root / "v5" / "stdout").read_text() == "0\nfrom the host\n"
    assert not (host / "new").exists()
