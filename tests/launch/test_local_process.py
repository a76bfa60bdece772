"""The wrapper's start handshake and the exit watch, on real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from typing import TYPE_CHECKING

import pytest

from metronome.launch._launcher import HostResources
from metronome.launch._process import (
    ExitWatch,
    command_started,
    release,
    spawn,
    start_time,
)
from metronome.launch._sandbox import Sandbox, record_fields
from metronome.model import TaskStatus
from tests.launch.conftest import wait_until
from tests.support.server import wait

if TYPE_CHECKING:
    from pathlib import Path

ENV = {"PATH": "/usr/bin:/bin"}
FIELDS = record_fields(1.5, HostResources(cpus=0.5, mem=64.0, disk=0.0), 3.0, ())


def make_sandbox(tmp_path: Path) -> Sandbox:
    sandbox = Sandbox(tmp_path / "sandboxes", "p1")
    sandbox.create()
    return sandbox


def test_an_unreleased_wrapper_never_runs_its_command(tmp_path: Path) -> None:
    # What happens when the launcher dies before releasing the process: its pipe closes.
    sandbox = make_sandbox(tmp_path)
    process, _ = spawn(["/bin/sh", "-c", "touch ran"], sandbox, ENV, (), (), FIELDS)
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait() == 111
    assert not (sandbox.path / "ran").exists()
    assert not (sandbox.records / "exit_status").exists()
    assert sandbox.read_process() is None
    outcome = sandbox.outcome()
    assert outcome.status is TaskStatus.TASK_DROPPED  # its run launches a new task
    assert outcome.message == "the launcher stopped before the task started"


def test_a_released_wrapper_records_itself_then_the_exit_code(tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path)
    process, started = spawn(
        ["/bin/sh", "-c", f"cat {sandbox.records}/process.json; exit 5"],
        sandbox,
        ENV,
        (),
        (),
        FIELDS,
    )
    assert os.getpgid(process.pid) == process.pid  # its own process group
    assert started == start_time(process.pid)
    release(process, started)
    assert process.wait() == 5  # the wrapper exits as its command did
    assert (sandbox.records / "exit_status").read_text() == "5\n"
    record = sandbox.read_process()
    assert record is not None
    assert (record.pid, record.start_time) == (process.pid, started)
    assert (record.started_at, record.resources.cpus, record.kill_grace_s) == (1.5, 0.5, 3.0)
    assert sandbox.stdout.read_text() == (sandbox.records / "process.json").read_text()  # before


def test_spawn_tells_each_wrappers_start_time_as_proc_does(tmp_path: Path) -> None:
    # Mostly computed from the boot-time clock around the fork, not read: compare many.
    for n in range(50):
        process, started = spawn("true", make_sandbox(tmp_path / str(n)), ENV, (), (), FIELDS)
        assert started == start_time(process.pid)
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait() == 111


def test_a_shell_command_line_sees_what_sh_c_would_give_it(tmp_path: Path) -> None:
    # It runs in a subshell of the wrapper: no positional parameters, none of the wrapper's
    # variables, $0 as under `sh -c`, and its `exit` ends only itself.
    sandbox = make_sandbox(tmp_path)
    command = 'echo "$0|$#|$*|${go-unset}"; exit 4; echo never'
    process, started = spawn(command, sandbox, ENV, (), (), FIELDS)
    assert started is not None
    release(process, started)
    assert process.wait() == 4
    assert sandbox.stdout.read_text() == "/bin/sh|0||unset\n"
    assert (sandbox.records / "exit_status").read_text() == "4\n"


@pytest.mark.parametrize(
    "command",
    [
        "sleep 30 & wait",  # a subshell that never execs: its TERM trap is reset
        [
            "python3",
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, print); time.sleep(30)",
        ],  # an exec'd program that catches SIGTERM itself
    ],
    ids=["shell", "program-catching-sigterm"],
)
def test_a_released_command_is_seen_started(tmp_path: Path, command: str | list[str]) -> None:
    sandbox = make_sandbox(tmp_path)
    process, started = spawn(command, sandbox, ENV, (), (), FIELDS)
    assert started is not None
    try:
        assert not command_started(process.pid)  # waiting for its "go"
        release(process, started)
        wait(lambda: command_started(process.pid), 2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.parametrize("own", [True, False], ids=["own-child", "by-start-time"])
@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
async def test_the_exit_watch_fires_once_the_process_ends(
    monkeypatch: pytest.MonkeyPatch, pidfd: bool, own: bool
) -> None:
    if not pidfd:

        def no_pidfd(pid: int) -> int:
            raise OSError("pidfd_open unavailable")

        monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    process = subprocess.Popen(["sleep", "0.1"])
    started = start_time(process.pid)
    assert started is not None
    ended: list[bool] = []
    identity = None if own else started
    watch = ExitWatch(asyncio.get_running_loop(), process.pid, identity, lambda: ended.append(True))
    await asyncio.sleep(0.05)
    assert ended == []
    await wait_until(lambda: ended, timeout=2)
    process.wait()
    watch.cancel()
    assert ended == [True]


async def test_the_exit_watch_sees_a_reused_pid_as_ended() -> None:
    ended: list[bool] = []
    ExitWatch(asyncio.get_running_loop(), os.getpid(), 1, lambda: ended.append(True))
    await wait_until(lambda: ended, timeout=1)
