"""Restart safety: a new launcher on the same sandbox root reconciles what an earlier one began."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from metronome.launch._sandbox import records_root_of
from metronome.model import TaskStatus
from tests.launch.conftest import wait_until

S = TaskStatus
SRC = Path(__file__).resolve().parents[2] / "src"

# Launcher A in its own process, so that it can really be kill -9'ed while its tasks run.
CRASHING_SERVER = """
import asyncio, sys
from pathlib import Path
from metronome.launch import HostResources, LocalLauncher
from metronome.model import RunSpec, TaskStatus

async def main():
    running = set()
    def on_update(update):
        if update.status is TaskStatus.TASK_RUNNING:
            running.add(update.task_id)
            if len(running) == len(sys.argv) - 2:
                print("ready", flush=True)
    launcher = LocalLauncher(Path(sys.argv[1]), hostname="h", attributes={},
                             capacity=HostResources(10.0, 1e4, 1e4))
    await launcher.start(on_update)
    for i, cmd in enumerate(sys.argv[2:]):
        launcher.launch(f"t{i}", RunSpec(cpus=0.1, mem=8, disk=0, cmd=cmd))
    await asyncio.sleep(60)

asyncio.run(main())
"""


async def run_and_crash(root: Path, *cmds: str) -> None:
    """Launch `cmds` as tasks t0, t1... in a server process, then kill -9 that server."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CRASHING_SERVER,
        str(root),
        *cmds,
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert server.stdout is not None
    assert await asyncio.wait_for(server.stdout.readline(), 10) == b"ready\n"
    server.kill()
    await server.wait()


async def test_a_restarted_launcher_adopts_live_tasks_and_reports_real_exits(
    make_launcher, sandbox_root: Path
) -> None:
    # t0 must outlive the crash and the restart, which take a while on a busy machine.
    await run_and_crash(sandbox_root, "echo ran; sleep 4", "sleep 0.2; exit 7")
    failer_status = records_root_of(sandbox_root) / "t1" / "exit_status"
    await wait_until(failer_status.exists)  # t1 ended while no launcher was watching

    launcher, updates = await make_launcher()
    launcher.reconcile(["t0", "t1", "ghost"])
    await wait_until(lambda: updates.of("t1") and updates.of("ghost"))
    failed = updates.of("t1")[0]
    assert (failed.status, failed.exit_code) == (S.TASK_FAILED, 7)
    assert updates.statuses("ghost") == [S.TASK_LOST]
    assert updates.statuses("t0") == [S.TASK_RUNNING]

    final = await updates.final("t0", timeout=10)
    assert (final.status, final.exit_code) == (S.TASK_FINISHED, 0)
    assert updates.statuses("t0") == [S.TASK_RUNNING, S.TASK_FINISHED]
    assert (sandbox_root / "t0" / "stdout").read_text() == "ran\n"  # one process ever ran


async def test_a_restarted_launcher_can_kill_an_adopted_task(
    make_launcher, sandbox_root: Path
) -> None:
    await run_and_crash(sandbox_root, "echo >started; sleep 30")
    await wait_until((sandbox_root / "t0" / "started").exists)
    launcher, updates = await make_launcher()
    launcher.kill("t0")  # no reconcile first: the kill adopts it
    assert (await updates.final("t0")).status is S.TASK_KILLED

    # A third launcher still reads KILLED from the sandbox.
    later, later_updates = await make_launcher()
    later.reconcile(["t0"])
    await wait_until(lambda: later_updates.of("t0"))
    assert later_updates.statuses("t0") == [S.TASK_KILLED]


async def test_a_kill_interrupted_by_a_crash_is_finished_after_adoption(
    make_launcher, sandbox_root: Path
) -> None:
    await run_and_crash(sandbox_root, "echo >started; sleep 30")
    await wait_until((sandbox_root / "t0" / "started").exists)
    # The crashed launcher had begun to kill it.
    (records_root_of(sandbox_root) / "t0" / "killed").touch()
    launcher, updates = await make_launcher()
    launcher.reconcile(["t0"])
    assert (await updates.final("t0")).status is S.TASK_KILLED
    assert updates.statuses("t0") == [S.TASK_RUNNING, S.TASK_KILLED]


async def test_a_reused_pid_is_not_taken_for_the_task(make_launcher, sandbox_root: Path) -> None:
    sandbox = records_root_of(sandbox_root) / "old"
    sandbox.mkdir(parents=True)
    # This test process is alive, but it did not start at tick 1: not the task.
    record = {
        "pid": os.getpid(),
        "start_time": 1,
        "started_at": 0.0,
        "cpus": 1.0,
        "mem": 1.0,
        "disk": 0.0,
        "kill_grace_s": 5.0,
    }
    (sandbox / "process.json").write_text(json.dumps(record))
    launcher, updates = await make_launcher()
    launcher.reconcile(["old"])
    await wait_until(lambda: updates.of("old"))
    update = updates.of("old")[0]
    assert update.status is S.TASK_FAILED
    assert "without recording an exit status" in (update.message or "")
