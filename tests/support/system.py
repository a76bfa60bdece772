"""The whole service in-process (no HTTP) on a clock the test moves, for scheduling tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from metronome.api._schemas import parse_job
from metronome.config import Settings
from metronome.errors import RunNotFound
from metronome.metrics import MetricsRegistry
from metronome.server import start_services
from metronome.storage import SqliteStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable
    from pathlib import Path

    from metronome.actors import JobEntry
    from metronome.api import Services
    from metronome.storage import Store


class FakeClock:
    """A wall clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = instant


@asynccontextmanager
async def running(
    data_dir: Path, clock: FakeClock, store: Store | None = None
) -> AsyncIterator[Services]:
    """The service on `data_dir` (or on `store`, which it closes), stopped cleanly at the end
    (running tasks outlive it)."""
    # Tasks as root: these tests' commands leave markers in the test's temp dir, root's alone
    # (tests/isolation covers the unprivileged default).
    settings = Settings(
        data_dir=data_dir, hostname="test", actor_threads=4, cpus=8, mem=8192, task_user="root"
    )
    async with AsyncExitStack() as stack:
        store = store or SqliteStore(data_dir)
        stack.callback(store.close)
        yield await start_services(settings, stack, store, MetricsRegistry(), clock.now)


async def create_job(services: Services, body: dict[str, Any]) -> None:
    await services.ask(services.supervisor.create_job(parse_job(body)))


async def until(condition: Callable[[], Any], timeout_s: float = 10.0) -> Any:
    """Poll `condition` without blocking the loop; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            msg = f"condition not met within {timeout_s} s"
            raise AssertionError(msg)
        await asyncio.sleep(0.02)
    return value


def entry(services: Services, job_id: str) -> JobEntry:
    found = services.view.get(job_id)
    assert found is not None, f"job {job_id} not in the view"
    return found


def finished(services: Services, job_id: str) -> int:
    return successes(services, job_id) + failures(services, job_id)


def successes(services: Services, job_id: str) -> int:
    """0 until the job's actor has published its history (after a restart, it loads it)."""
    history = entry(services, job_id).history
    return 0 if history is None else history.success_count


def failures(services: Services, job_id: str) -> int:
    history = entry(services, job_id).history
    return 0 if history is None else history.failure_count


async def settled(services: Services, *job_ids: str) -> None:
    """Each job's actor, in turn, has handled the mail sent to it so far (its start included):
    an ask waits behind it, as a mailbox is FIFO."""
    for job_id in job_ids:
        with contextlib.suppress(RunNotFound):
            await services.ask(entry(services, job_id).actor.stop_run("settle"))


async def advancing(clock: FakeClock, condition: Callable[[], Any], steps: int = 60) -> Any:
    """Move the clock a second at a time until `condition` holds (back-offs wait on it)."""
    for _ in range(steps):
        with contextlib.suppress(AssertionError):
            return await until(condition, timeout_s=0.5)
        clock.advance(seconds=1)
    msg = f"condition not met within {steps} s of the test's clock"
    raise AssertionError(msg)
