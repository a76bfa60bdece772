"""A store failure at each persisted step of a schedule's firing: the scheduled run's record,
an instant skipped under FORBID, a run replaced under REPLACE, the marks of a new schedule,
and the instants counted missed at a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from metronome.api._schemas import parse_job
from metronome.model import EndKind, RunStatus
from metronome.storage import JOB_HISTORIES, JOB_RUNS, SqliteStore
from tests.faults.test_run_steps import START, active, end_kind, history, job
from tests.support.faulty_store import FaultyStore, stored_history
from tests.support.system import FakeClock, create_job, entry, running, until

if TYPE_CHECKING:
    from pathlib import Path

EVERY_MINUTE = {"id": "m", "cron": "* * * * *"}


def at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 1, 5, 10, minute, second, tzinfo=UTC)


async def test_a_scheduled_run_that_cannot_be_persisted_fails_and_the_schedule_goes_on(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "true", EVERY_MINUTE))
        store.fail_writes(under=[JOB_RUNS])
        clock.set(at(1))
        await until(lambda: history(services).failure_count == 1)
        [failed] = history(services).failed_runs
        assert end_kind(failed) is EndKind.NOT_STORED
        store.heal()
        clock.set(at(2))
        await until(lambda: history(services).success_count == 1)
        assert not entry(services, "a").runs


async def test_a_refused_skip_of_a_forbidden_instant_is_recorded_when_the_store_heals(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    schedule = {**EVERY_MINUTE, "concurrencyPolicy": "FORBID"}
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 30", schedule))
        clock.set(at(1))
        [first] = await until(lambda: entry(services, "a").runs)
        store.fail_writes(under=[JOB_HISTORIES])
        clock.set(at(2))
        await until(lambda: store.refused)
        assert history(services).skipped_count == 0  # as the store says
        store.heal()
        clock.set(at(2, 10))  # past the retry's back-off
        await until(lambda: history(services).skipped_count == 1)
        stored = stored_history(store, "a")
        assert stored is not None
        assert stored.skipped_count == 1
        assert stored.schedule_marks["m"] == at(2)
        assert [r.id for r in entry(services, "a").runs] == [first.id]
        await services.ask_job("a", lambda actor: actor.stop_run(first.id))


async def test_a_replaced_run_is_killed_at_once_and_recorded_when_the_store_heals(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    schedule = {**EVERY_MINUTE, "concurrencyPolicy": "REPLACE"}
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 30", schedule))
        clock.set(at(1))
        [first] = await until(lambda: entry(services, "a").runs)
        await until(lambda: entry(services, "a").runs[0].status is RunStatus.ACTIVE)
        store.fail_writes(under=[JOB_HISTORIES])
        clock.set(at(2))
        await until(lambda: len(entry(services, "a").runs) == 2)  # the new run started
        store.heal()
        clock.set(at(2, 10))
        await until(lambda: history(services).failure_count == 1)
        [replaced] = history(services).failed_runs
        assert replaced.id == first.id
        assert end_kind(replaced) is EndKind.REPLACED
        [second] = entry(services, "a").runs
        await active(services, second)
        await services.ask_job("a", lambda actor: actor.stop_run(second.id))


async def test_the_mark_of_a_new_schedule_is_saved_when_the_store_heals(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "true"))
        store.fail_writes(under=[JOB_HISTORIES])
        schedule = parse_job(job("a", "true", EVERY_MINUTE)).schedules[0]
        await services.ask_job("a", lambda actor: actor.add_schedule(schedule))
        assert store.refused  # the spec is written; its mark is not yet
        stored = stored_history(store, "a")
        assert stored is None or "m" not in stored.schedule_marks
        store.heal()
        clock.advance(seconds=5)
        await until(lambda: (h := stored_history(store, "a")) and "m" in h.schedule_marks)


async def test_missed_instants_counted_while_writes_fail_are_saved_when_the_store_heals(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    schedule = {**EVERY_MINUTE, "startingDeadlineSeconds": 30}
    async with running(tmp_path, clock) as services:
        await create_job(services, job("a", "true", schedule))
    clock.set(at(5, 40))  # instants 10:01 to 10:05 were missed, and are past their deadline
    store = FaultyStore(SqliteStore(tmp_path))
    store.fail_writes(under=[JOB_HISTORIES])
    async with running(tmp_path, clock, store) as services:
        await until(lambda: store.refused)
        assert history(services).missed_count == 0  # as the store says
        store.heal()
        clock.advance(seconds=5)
        await until(lambda: history(services).missed_count == 5)
        stored = stored_history(store, "a")
        assert stored is not None
        assert stored.missed_count == 5
        assert stored.schedule_marks["m"] == at(5)
        assert not entry(services, "a").runs  # none of them ran
