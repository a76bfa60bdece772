"""cpus, mem and a pids limit enforced by the task's cgroup."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from metronome.launch import TaskPolicy
from metronome.launch._cgroups import Cgroups, Limits, TaskCgroup
from metronome.launch._sandbox import records_root_of
from metronome.model import TaskStatus
from tests.isolation.conftest import needs_cgroups
from tests.launch.conftest import process_gone, spec, wait_until
from tests.launch.test_local_restart import run_and_crash

if TYPE_CHECKING:
    from collections.abc import Sequence

S = TaskStatus
HOG = "python3 -c 'b = bytearray(200 * 1024 * 1024); print(len(b))'"


def _cgroups(sandbox_root: Path, name: str) -> Sequence[str]:
    record = records_root_of(sandbox_root) / name / "process.json"
    return json.loads(record.read_text())["cgroups"]


def _limit(paths: Sequence[str], v1_file: str, v2_file: str) -> str:
    for path in paths:
        for name in (v1_file, v2_file):
            if Path(path, name).exists():
                return Path(path, name).read_text().strip()
    msg = f"neither {v1_file} nor {v2_file} under {paths}"
    raise AssertionError(msg)


@needs_cgroups
async def test_a_task_over_its_mem_ends_failed_saying_so(make_launcher) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("m1", spec(cmd=HOG, mem=32.0))
    final = await updates.final("m1", timeout=15)
    assert final.status is S.TASK_FAILED
    assert final.message is not None
    assert final.message.startswith(
        "memory limit exceeded: the task used more than its mem of 32 MB and the kernel killed it"
    )
    launcher.launch("m2", spec(cmd=HOG, mem=512.0))  # within its mem it runs
    assert (await updates.final("m2", timeout=15)).status is S.TASK_FINISHED


@needs_cgroups
async def test_the_cgroup_holds_the_tasks_limits(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher(policy=TaskPolicy(pids_max=64))
    launcher.launch("c1", spec(cmd="echo >started; sleep 30", cpus=0.5, mem=64.0))
    await wait_until((sandbox_root / "c1" / "started").exists)
    paths = _cgroups(sandbox_root, "c1")
    mem = _limit(paths, "memory.limit_in_bytes", "memory.max")
    assert int(mem) == 64 * 1024 * 1024
    assert _limit(paths, "pids.max", "pids.max") == "64"
    quota = _limit(paths, "cpu.cfs_quota_us", "cpu.max")
    assert quota.split()[0] == "50000"  # of a 100 ms period: half a CPU
    launcher.kill("c1")
    assert (await updates.final("c1")).status is S.TASK_KILLED
    await wait_until(lambda: not any(os.path.exists(path) for path in paths))  # removed


@needs_cgroups
async def test_a_pids_limit_stops_a_fork_bomb(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher(policy=TaskPolicy(pids_max=16))
    launcher.launch("p1", spec(cmd="for i in $(seq 64); do sleep 5 & done; wait"))
    final = await updates.final("p1", timeout=15)
    assert final.status is S.TASK_FAILED
    assert "Cannot fork" in (sandbox_root / "p1" / "stderr").read_text()  # once it held 16


@needs_cgroups
async def test_a_kill_reaches_processes_that_left_the_process_group(
    make_launcher, sandbox_root: Path
) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("k1", spec(cmd="setsid sleep 300 & echo $! >escaped; sleep 300"))
    escaped = sandbox_root / "k1" / "escaped"
    await wait_until(lambda: escaped.exists() and escaped.read_text().strip())
    pid = int(escaped.read_text())
    assert os.getpgid(pid) != os.getpgid(os.getpid())
    launcher.kill("k1")
    assert (await updates.final("k1")).status is S.TASK_KILLED
    await wait_until(lambda: process_gone(pid))


def test_the_limits_each_cgroup_version_gets(tmp_path: Path) -> None:
    # The files a kernel would hold, as plain files: which values go where (v2 is not mounted
    # with controllers on this machine kind, so this is its only check here).
    limits = Limits(mem_mb=64, cpus=0.25, pids_max=100)
    (tmp_path / "v2").mkdir()
    v2 = Cgroups(2, [("", tmp_path / "v2")]).create("t1", limits)
    (tmp_path / "v2" / "t1" / "cgroup.type").touch()
    assert {name: (tmp_path / "v2" / "t1" / name).read_text() for name in V2_FILES} == {
        "memory.max": str(64 * 1024 * 1024),
        "memory.swap.max": "0",
        "cpu.weight": "25",
        "cpu.max": "25000 100000",
        "pids.max": "100",
    }
    assert TaskCgroup.recorded(v2.paths).version == 2
    parents = [(name, tmp_path / name) for name in ("memory", "cpu", "pids")]
    for _, parent in parents:
        parent.mkdir()
    v1 = Cgroups(1, parents).create("t1", limits)
    written = {p.name: p.read_text() for path in v1.paths for p in sorted(Path(path).iterdir())}
    assert written == {
        "memory.limit_in_bytes": str(64 * 1024 * 1024),
        "memory.memsw.limit_in_bytes": str(64 * 1024 * 1024),
        "cpu.shares": "256",
        "cpu.cfs_period_us": "100000",
        "cpu.cfs_quota_us": "25000",
        "pids.max": "100",
    }
    assert TaskCgroup.recorded(v1.paths).version == 1


V2_FILES = ("memory.max", "memory.swap.max", "cpu.weight", "cpu.max", "pids.max")


@needs_cgroups
async def test_the_sandbox_sweep_removes_a_cgroup_no_launcher_saw_end(
    make_launcher, sandbox_root: Path
) -> None:
    earlier, updates = await make_launcher()
    earlier.launch("o1", spec(cmd="sleep 0.5"))
    await updates.reached("o1", S.TASK_RUNNING)
    await earlier.stop()  # the task outlives it, and ends unwatched
    record = records_root_of(sandbox_root) / "o1" / "process.json"
    await wait_until(lambda: record.exists() and record.stat().st_size)
    paths = _cgroups(sandbox_root, "o1")
    await wait_until((records_root_of(sandbox_root) / "o1" / "exit_status").exists)
    assert all(os.path.isdir(path) for path in paths)
    launcher, _ = await make_launcher(sandbox_retention_s=60)
    then = time.time() - 3600
    for directory in (sandbox_root / "o1", records_root_of(sandbox_root) / "o1"):
        os.utime(directory, (then, then))
    assert await launcher.remove_expired_sandboxes() == 1
    assert not any(os.path.exists(path) for path in paths)


@needs_cgroups
async def test_a_restarted_server_kills_an_adopted_tasks_whole_cgroup(
    make_launcher, sandbox_root: Path
) -> None:
    await run_and_crash(sandbox_root, "setsid sleep 300 & echo $! >escaped; sleep 300")
    escaped = sandbox_root / "t0" / "escaped"
    await wait_until(lambda: escaped.exists() and escaped.read_text().strip())
    pid = int(escaped.read_text())
    launcher, updates = await make_launcher()  # knows the task only from its records
    launcher.kill("t0")
    assert (await updates.final("t0")).status is S.TASK_KILLED
    await wait_until(lambda: process_gone(pid))
