"""Running, ending and killing tasks with the local launcher (real processes)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest

from metronome.launch import LaunchError, LocalLauncher, TaskUpdate, _process
from metronome.launch._sandbox import records_root_of
from metronome.model import Constraint, ConstraintOperator, TaskStatus
from tests.launch.conftest import BIG, Updates, process_gone, spec, wait_until

if TYPE_CHECKING:
    from pathlib import Path

S = TaskStatus


async def test_exit_0_goes_staging_running_finished(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("t1", spec(cmd="echo hello; echo oops >&2"))
    final = await updates.final("t1")
    assert updates.statuses("t1") == [S.TASK_STAGING, S.TASK_RUNNING, S.TASK_FINISHED]
    assert final.exit_code == 0
    assert final.timestamp.tzinfo is not None
    assert (sandbox_root / "t1" / "stdout").read_text() == "hello\n"
    assert (sandbox_root / "t1" / "stderr").read_text() == "oops\n"


async def test_exit_3_fails_with_its_exit_code(make_launcher) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("t3", spec(cmd="exit 3"))
    final = await updates.final("t3")
    assert (final.status, final.exit_code) == (S.TASK_FAILED, 3)
    assert updates.statuses("t3") == [S.TASK_STAGING, S.TASK_RUNNING, S.TASK_FAILED]


async def test_exec_in_the_command_does_not_fool_the_wrapper(make_launcher) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("ex", spec(cmd="exec sh -c 'exit 4'"))
    assert (await updates.final("ex")).exit_code == 4


async def test_args_are_executed_without_a_shell(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("a1", spec(args=("echo", "$HOME", "*", "a b")))
    assert (await updates.final("a1")).status is S.TASK_FINISHED
    assert (sandbox_root / "a1" / "stdout").read_text() == "$HOME * a b\n"


async def test_env_and_sandbox_variables_reach_the_task(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher()
    cmd = 'echo "$GREETING|$MESOS_TASK_ID|$MESOS_SANDBOX|$PWD|$HOST"; env | grep -c . >count'
    launcher.launch("e1", spec(cmd=cmd, env={"GREETING": "hi there"}))
    assert (await updates.final("e1")).status is S.TASK_FINISHED
    sandbox = sandbox_root / "e1"
    line = (sandbox / "stdout").read_text().strip()
    assert line == f"hi there|e1|{sandbox}|{sandbox}|node-1.example"
    # A minimal environment, not the server's (PATH HOME HOST MESOS_x3 GREETING, + sh's PWD,
    # + USER and LOGNAME of the unprivileged user it runs as under a root server).
    assert int((sandbox / "count").read_text()) <= 11


async def test_a_missing_program_fails_with_127(make_launcher) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("nf", spec(args=("/no/such/program",)))
    final = await updates.final("nf")
    assert (final.status, final.exit_code) == (S.TASK_FAILED, 127)


async def test_kill_ends_the_whole_process_group(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("k1", spec(cmd="sleep 30 & echo $! >child; wait", task_kill_grace_period_s=3))
    child = sandbox_root / "k1" / "child"
    await wait_until(lambda: child.exists() and child.read_text().strip())
    pid = int(child.read_text())
    began = time.monotonic()
    launcher.kill("k1")
    final = await updates.final("k1")
    assert final.status is S.TASK_KILLED
    assert time.monotonic() - began < 3  # SIGTERM sufficed, no wait for the grace period
    assert process_gone(pid)
    assert updates.statuses("k1") == [S.TASK_STAGING, S.TASK_RUNNING, S.TASK_KILLED]


async def test_a_task_ignoring_sigterm_is_killed_after_the_grace(
    make_launcher, sandbox_root: Path
) -> None:
    launcher, updates = await make_launcher()
    cmd = "trap '' TERM; echo $$ >pid; sleep 30"
    launcher.launch("k2", spec(cmd=cmd, task_kill_grace_period_s=0.3))
    pid_file = sandbox_root / "k2" / "pid"
    await wait_until(lambda: pid_file.exists() and pid_file.read_text().strip())
    pid = int(pid_file.read_text())
    began = time.monotonic()
    launcher.kill("k2")
    assert (await updates.final("k2")).status is S.TASK_KILLED
    assert time.monotonic() - began >= 0.3
    assert process_gone(pid)


async def test_a_kill_right_at_the_start_is_not_lost(sandbox_root: Path) -> None:
    # Killed as soon as RUNNING is reported, the task must still end by SIGTERM, not after the
    # grace period (a SIGTERM during the wrapper's fork of its command would be lost).
    launcher = LocalLauncher(sandbox_root, hostname="h", attributes={}, capacity=BIG)
    updates = Updates()

    def kill_when_running(update: TaskUpdate) -> None:  # the run actor's reflex
        updates(update)
        if update.status is S.TASK_RUNNING:
            launcher.kill(update.task_id)

    await launcher.start(kill_when_running)
    try:
        for i in range(50):
            began = time.monotonic()
            launcher.launch(f"r{i}", spec(cmd="sleep 30", task_kill_grace_period_s=5))
            assert (await updates.final(f"r{i}")).status is S.TASK_KILLED
            assert time.monotonic() - began < 2
    finally:
        await launcher.stop()


async def test_kill_of_a_queued_task_removes_it_from_the_queue(make_launcher) -> None:
    launcher, updates = await make_launcher(attributes={"rack": "r1"})
    elsewhere = Constraint("rack", ConstraintOperator.IS, "r9")
    launcher.launch("q1", spec(cmd="true", constraints=(elsewhere,)))
    await wait_until(lambda: launcher.queued() == ["q1"])
    launcher.kill("q1")
    assert (await updates.final("q1")).status is S.TASK_KILLED
    assert updates.statuses("q1") == [S.TASK_KILLED]
    assert launcher.queued() == []
    launcher.reconcile(["q1"])
    await wait_until(lambda: len(updates.of("q1")) == 2)
    assert updates.of("q1")[-1].status is S.TASK_KILLED


async def test_a_kill_while_the_process_is_spawned_never_runs_the_command(
    make_launcher, sandbox_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The spawn thread cannot be interrupted: the wrapper it makes must get EOF, not "go".
    spawning, go_on = threading.Event(), threading.Event()
    spawn = _process.spawn

    def slow_spawn(*args: Any) -> Any:
        spawning.set()
        go_on.wait(5)
        return spawn(*args)

    monkeypatch.setattr(_process, "spawn", slow_spawn)
    launcher, updates = await make_launcher()
    try:
        launcher.launch("s1", spec(cmd="touch ran"))
        assert await asyncio.to_thread(spawning.wait, 5)
        launcher.kill("s1")
        assert (await updates.final("s1")).status is S.TASK_KILLED
    finally:
        go_on.set()
    failed = records_root_of(sandbox_root) / "s1" / "failed"
    await wait_until(failed.exists)
    assert failed.read_text() == "the launcher stopped before the task started"
    assert not (sandbox_root / "s1" / "ran").exists()


async def test_calls_from_another_thread_reach_the_loop(make_launcher) -> None:
    launcher, updates = await make_launcher()
    await asyncio.to_thread(launcher.launch, "th", spec(cmd="sleep 30", task_kill_grace_period_s=1))
    await updates.reached("th", S.TASK_RUNNING)
    await asyncio.to_thread(launcher.reconcile, ["th"])
    await wait_until(lambda: len(updates.of("th")) == 3)
    assert updates.statuses("th")[-1] is S.TASK_RUNNING
    # A SIGTERM sent this close to the start can be lost; the SIGKILL after 1 s still ends it.
    await asyncio.to_thread(launcher.kill, "th")
    assert (await updates.final("th", timeout=3)).status is S.TASK_KILLED


async def test_a_second_launch_of_the_same_id_starts_nothing(
    make_launcher, sandbox_root: Path
) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("d1", spec(cmd="echo run"))
    await updates.final("d1")
    launcher.launch("d1", spec(cmd="echo run"))
    await wait_until(lambda: len(updates.of("d1")) == 4)
    assert updates.of("d1")[-1].status is S.TASK_FINISHED
    assert (sandbox_root / "d1" / "stdout").read_text() == "run\n"


async def test_unusable_before_start_and_invalid_ids_are_refused(sandbox_root: Path) -> None:
    launcher = LocalLauncher(sandbox_root, hostname="h", attributes={}, capacity=BIG)
    with pytest.raises(LaunchError):
        launcher.launch("x", spec(cmd="true"))
    await launcher.start(lambda update: None)
    with pytest.raises(LaunchError):
        launcher.launch("../escape", spec(cmd="true"))
    await launcher.stop()
