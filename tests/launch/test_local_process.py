"""The wrapper's start handshake and the exit watch, on real processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
from typing import TYPE_CHECKING

import pytest

from metronome.launch._process import ExitWatch, abandon, release, spawn, start_time
from metronome.launch._sandbox import Sandbox
from tests.launch.conftest import wait_until

if TYPE_CHECKING:
    from pathlib import Path

ENV = {"PATH": "/usr/bin:/bin"}


def make_sandbox(tmp_path: Path) -> Sandbox:
    sandbox = Sandbox(tmp_path, "p1")
    sandbox.create()
    return sandbox


def test_an_unreleased_wrapper_never_runs_its_command(tmp_path: Path) -> None:
    # What happens when the launcher dies before recording the process: its pipe closes.
    sandbox = make_sandbox(tmp_path)
    process = spawn(["/bin/sh", "-c", "touch ran"], sandbox, ENV, None)
    abandon(process)
    assert process.returncode == 111
    assert not (sandbox.path / "ran").exists()
    assert not (sandbox.path / "exit_status").exists()


def test_a_released_wrapper_records_the_exit_code(tmp_path: Path) -> None:
    sandbox = make_sandbox(tmp_path)
    process = spawn(["/bin/sh", "-c", "exit 5"], sandbox, ENV, None)
    assert os.getpgid(process.pid) == process.pid  # its own process group
    release(process)
    assert process.wait() == 0
    assert (sandbox.path / "exit_status").read_text() == "5\n"


@pytest.mark.parametrize("pidfd", [True, False], ids=["pidfd", "polling"])
async def test_the_exit_watch_fires_once_the_process_ends(
    monkeypatch: pytest.MonkeyPatch, pidfd: bool
) -> None:
    if not pidfd:
        def no_pidfd(pid: int) -> int:
            raise OSError("pidfd_open unavailable")

        monkeypatch.setattr(os, "pidfd_open", no_pidfd)
    process = subprocess.Popen(["sleep", "0.1"])
    started = start_time(process.pid)
    assert started is not None
    ended: list[bool] = []
    watch = ExitWatch(asyncio.get_running_loop(), process.pid, started, lambda: ended.append(True))
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
