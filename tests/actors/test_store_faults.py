"""Job and run actors while the store refuses writes: nothing dies, and nothing is lost.

The store is the real SQLite store behind `FaultyStore`, the tasks real processes, the clock
the test's own (retries wait on it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from metronome.errors import Unavailable
from metronome.model import RunStatus
from metronome.storage import (
    JOB_HISTORIES,
    JOB_RUNS,
    JobRunRepository,
    SqliteStore,
)
from tests.support.faulty_store import FaultyStore
from tests.support.system import FakeClock, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.api import Services
    from metronome.model import JobHistory, JobRun

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)


def _job(job_id: str, cmd: str, *schedules: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": job_id,
        "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0},
        "schedules": list(schedules),
    }


async def test_a_run_that_ends_while_writes_fail_is_recorded_when_the_store_heals(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", "sleep 0.3"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await until(lambda: entry(services, "a").runs[0].status is RunStatus.ACTIVE)
        store.fail_writes()
        await until(lambda: store.refused)  # the run ended; its end cannot be written
        with pytest.raises(Unavailable, match=r"refuses its writes .*disk is full"):
            await services.ask_job("a", lambda actor: actor.trigger())
        assert [r.id for r in entry(services, "a").runs] == [run.id]
        store.heal()
        clock.advance(seconds=60)
        await until(lambda: finished(services, "a") == 1)
        history = entry(services, "a").history
        assert history is not None
        assert [info.id for info in history.successful_runs] == [run.id]
        assert not entry(services, "a").runs
        again = await services.ask_job("a", lambda actor: actor.trigger())
        assert entry(services, "a").run(again.id) is not None


async def test_a_refused_status_write_is_retried_until_it_lands(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", "sleep 30"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await until(lambda: entry(services, "a").runs[0].status is RunStatus.ACTIVE)
        store.fail_writes(under=[JOB_RUNS])
        clock.advance(seconds=1)  # the delayed ACTIVE write
        await until(lambda: store.refused)
        assert _stored_run(store, run).status is RunStatus.STARTING
        store.heal()
        clock.advance(seconds=1)
        await until(lambda: _stored_run(store, run).status is RunStatus.ACTIVE)
        assert services.metrics.counter("jobs.write.failures").count >= 1
        await services.ask_job("a", lambda actor: actor.stop_run(run.id))


async def test_a_refused_skip_of_a_forbidden_instant_is_recorded_when_the_store_heals(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    schedule = {"id": "m", "cron": "* * * * *", "concurrencyPolicy": "FORBID"}
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", "sleep 30", schedule))
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        [first] = await until(lambda: entry(services, "a").runs)
        store.fail_writes(under=[JOB_HISTORIES])
        clock.set(datetime(2026, 1, 5, 10, 2, tzinfo=UTC))
        await until(lambda: store.refused)
        assert _history(services).skipped_count == 0
        store.heal()
        clock.set(datetime(2026, 1, 5, 10, 2, 10, tzinfo=UTC))
        await until(lambda: _history(services).skipped_count == 1)
        assert [r.id for r in entry(services, "a").runs] == [first.id]
        await services.ask_job("a", lambda actor: actor.stop_run(first.id))


async def test_a_scheduled_run_that_cannot_be_persisted_fails_and_the_schedule_goes_on(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", "true", {"id": "m", "cron": "* * * * *"}))
        store.fail_writes(under=[JOB_RUNS])
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        await until(lambda: _history(services).failure_count == 1)
        store.heal()
        clock.set(datetime(2026, 1, 5, 10, 2, tzinfo=UTC))
        await until(lambda: _history(services).success_count == 1)
        assert not entry(services, "a").runs


async def test_a_job_actor_killed_by_a_bug_is_restarted_from_the_store(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", "sleep 0.3"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        store.fail_writes(under=[JOB_HISTORIES], error=RuntimeError)
        await until(lambda: services.view.failure("a"))
        with pytest.raises(Unavailable, match="Job 'a' is unavailable: its actor failed"):
            await services.ask_job("a", lambda actor: actor.trigger())
        store.heal()
        clock.advance(seconds=2)  # the supervisor's restart back-off
        await until(lambda: finished(services, "a") == 1)
        assert [info.id for info in _history(services).successful_runs] == [run.id]
        assert services.view.failure("a") is None
        assert services.metrics.counter("jobs.restarts").count == 1
        again = await services.ask_job("a", lambda actor: actor.trigger())
        assert entry(services, "a").run(again.id) is not None


def _history(services: Services) -> JobHistory:
    history = entry(services, "a").history
    assert history is not None
    return history


def _stored_run(store: FaultyStore, run: JobRun) -> JobRun:
    [stored] = [r for r in JobRunRepository(store.store).load_all() if r.id == run.id]
    return stored
