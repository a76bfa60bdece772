"""Fixtures for launcher tests: a started LocalLauncher on a temp sandbox root, and its updates."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from metronome.launch import HostResources, LocalLauncher, TaskUpdate
from metronome.launch._sandbox import records_root_of
from metronome.model import RunSpec, TaskStatus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

FINAL = (TaskStatus.TASK_FINISHED, TaskStatus.TASK_FAILED, TaskStatus.TASK_KILLED)
BIG = HostResources(cpus=1000.0, mem=1e6, disk=1e6)


def spec(**fields: Any) -> RunSpec:
    """A small run spec; `fields` override the defaults."""
    return RunSpec(**{"cpus": 0.1, "mem": 32.0, "disk": 0.0, **fields})


async def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            msg = f"condition not met within {timeout} s"
            raise AssertionError(msg)
        await asyncio.sleep(0.01)


def process_gone(pid: int) -> bool:
    """Dead or a zombie (PID 1 of this container does not reap orphans)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


class Updates:
    """Collects task updates as a run actor would receive them."""

    def __init__(self) -> None:
        self.all: list[TaskUpdate] = []

    def __call__(self, update: TaskUpdate) -> None:
        self.all.append(update)

    def of(self, task_id: str) -> list[TaskUpdate]:
        return [u for u in self.all if u.task_id == task_id]

    def statuses(self, task_id: str) -> list[TaskStatus]:
        return [u.status for u in self.of(task_id)]

    async def final(self, task_id: str, timeout: float = 5.0) -> TaskUpdate:
        await wait_until(lambda: any(u.status in FINAL for u in self.of(task_id)), timeout)
        return next(u for u in self.of(task_id) if u.status in FINAL)

    async def reached(self, task_id: str, status: TaskStatus, timeout: float = 5.0) -> None:
        await wait_until(lambda: status in self.statuses(task_id), timeout)


def kill_leftovers(root: Path) -> None:
    """Kill the process group of every task recorded for the sandboxes under `root` (test
    teardown), and remove their cgroups."""
    for record in records_root_of(root).glob("*/process.json"):
        try:
            data = json.loads(record.read_text())
        except ValueError:
            continue
        try:
            os.killpg(data["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
        for path in data.get("cgroups", ()):
            with contextlib.suppress(OSError):
                for pid in Path(path, "cgroup.procs").read_text().split():
                    os.kill(int(pid), signal.SIGKILL)
            remove_cgroup(Path(path))


def remove_cgroup(path: Path) -> None:
    """Remove a cgroup once its killed members are gone (they leave it as they are reaped)."""
    deadline = time.monotonic() + 5
    while path.is_dir() and time.monotonic() < deadline:
        try:
            path.rmdir()
        except OSError:
            time.sleep(0.02)


@pytest.fixture
def sandbox_root(tmp_path: Path) -> Path:
    return tmp_path / "sandboxes"


@pytest.fixture
async def make_launcher(
    sandbox_root: Path,
) -> AsyncIterator[Callable[..., Awaitable[tuple[LocalLauncher, Updates]]]]:
    """Builds started launchers on `sandbox_root`; stops them and kills leftover tasks after."""
    started: list[LocalLauncher] = []

    async def make(
        capacity: HostResources = BIG, attributes: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[LocalLauncher, Updates]:
        launcher = LocalLauncher(
            sandbox_root,
            hostname="node-1.example",
            attributes=attributes or {"rack": "r1"},
            capacity=capacity,
            **kwargs,
        )
        updates = Updates()
        await launcher.start(updates)
        started.append(launcher)
        return launcher, updates

    yield make
    for launcher in started:
        await launcher.stop()
    kill_leftovers(sandbox_root)
