"""Fixtures for the Mesos launcher: an in-process fake Mesos cluster on loopback, launchers on
it."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from metronome.fakemesos import AgentSpec, FakeMesos, Settings
from metronome.launch import MemoryFrameworkIdStore, MesosLauncher, MesosSettings
from tests.launch.conftest import Updates

if TYPE_CHECKING:
    import ssl
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

FAST = {"heartbeat_interval_s": 0.3, "allocation_interval_s": 0.02, "update_retry_s": 0.3,
        "update_retry_max_s": 1.0, "kill_grace_s": 0.5}  # fmt: skip
QUICK = {"revive_interval_s": 0.05, "backoff_max_s": 0.2, "reconcile_retry_s": 0.3,
         "failover_timeout_s": 30.0, "decline_offer_s": 30.0}  # fmt: skip


@pytest.fixture
async def make_fake(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[FakeMesos]]]:
    """Starts fake clusters (agents `agent-<i>` with `rack: rack-<i>` by default); stops them
    after."""
    started: list[FakeMesos] = []

    async def make(
        agents: list[AgentSpec] | None = None,
        masters: int = 1,
        ssl_context: ssl.SSLContext | None = None,
        **settings: Any,
    ) -> FakeMesos:
        agents = agents or [
            AgentSpec(f"agent-{i}", attributes={"rack": f"rack-{i}"}) for i in range(3)
        ]
        fake = FakeMesos(
            Settings(tmp_path / "agents", **{**FAST, **settings}), agents, masters=masters,
            ssl_context=ssl_context,
        )  # fmt: skip
        started.append(await fake.start())
        return fake

    yield make
    for fake in started:
        await fake.stop()


@pytest.fixture
async def make_launcher() -> AsyncIterator[Callable[..., Awaitable[tuple[MesosLauncher, Updates]]]]:
    """Builds started MesosLaunchers; `ids` lets a second one fail over to the first's framework."""
    started: list[MesosLauncher] = []

    async def make(
        fake: FakeMesos, ids: MemoryFrameworkIdStore | None = None, **settings: Any
    ) -> tuple[MesosLauncher, Updates]:
        master = settings.pop("master", ",".join(fake.addresses))
        launcher = MesosLauncher(
            MesosSettings(master=master, **{**QUICK, **settings}), ids or MemoryFrameworkIdStore()
        )
        updates = Updates()
        await launcher.start(updates)
        started.append(launcher)
        return launcher, updates

    yield make
    for launcher in started:
        await launcher.stop()


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    cert, key = directory / "master.pem", directory / "master.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def pids_of(fake: FakeMesos, task_id: str) -> list[int]:
    return [
        t.process.pid for t in fake.master.all_tasks() if t.id == task_id and t.process is not None
    ]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
