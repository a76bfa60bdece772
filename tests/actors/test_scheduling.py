"""Schedules firing on an injected clock, with real store, actors and processes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.model import RunStatus
from tests.support.system import (
    FakeClock,
    create_job,
    entry,
    failures,
    finished,
    running,
    settled,
    until,
)

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.api import Services

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)


def _job(job_id: str, cmd: str, *schedules: dict[str, Any], **run: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0, **run},
        "schedules": list(schedules),
    }


def _every_minute(schedule_id: str = "m", **fields: Any) -> dict[str, Any]:
    return {"id": schedule_id, "cron": "* * * * *", **fields}


async def test_fires_at_the_instant_itself(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "sleep 30", _every_minute()))
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        [run] = await until(lambda: entry(services, "a").runs)
        assert run.created_at == datetime(2026, 1, 5, 10, 1, tzinfo=UTC)  # no 60 s minimum delay
        assert run.scheduled_at == run.created_at
        assert run.schedule_id == "m"
        lateness = services.metrics.timer("jobs.trigger.lateness").snapshot()
        assert lateness.count == 1
        assert lateness.max == 0.0


async def test_every_enabled_schedule_fires_and_disabled_ones_do_not(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        schedules = (
            _every_minute("one"),
            {"id": "two", "cron": "*/2 * * * *"},
            _every_minute("off", enabled=False),
        )
        await create_job(services, _job("a", "sleep 30", *schedules))
        clock.set(datetime(2026, 1, 5, 10, 2, tzinfo=UTC))  # 10:01 is late but still due
        runs = await until(
            lambda: len(entry(services, "a").runs) == 3 and entry(services, "a").runs
        )
        fired = sorted((run.schedule_id, run.scheduled_at.minute) for run in runs)
        assert fired == [("one", 1), ("one", 2), ("two", 2)]


async def test_schedule_changes_take_effect_at_once(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "true", _every_minute(enabled=False)))
        actor = entry(services, "a").actor
        [disabled] = entry(services, "a").spec.schedules
        enabled = dataclasses.replace(disabled, cron="*/5 * * * *", enabled=True)
        await services.ask(actor.update_schedule(enabled))
        await _tick(services, clock, datetime(2026, 1, 5, 10, 1, tzinfo=UTC), "a")
        assert finished(services, "a") == 0 and not entry(services, "a").runs
        clock.set(datetime(2026, 1, 5, 10, 5, tzinfo=UTC))
        await until(lambda: finished(services, "a") == 1)
        await services.ask(actor.delete_schedule("m"))
        await _tick(services, clock, datetime(2026, 1, 5, 10, 10, tzinfo=UTC), "a")
        assert finished(services, "a") == 1 and not entry(services, "a").runs


async def test_forbid_skips_and_records_the_instant(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "sleep 30", _every_minute(concurrencyPolicy="FORBID")))
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        [first] = await until(lambda: entry(services, "a").runs)
        clock.set(datetime(2026, 1, 5, 10, 2, tzinfo=UTC))
        await until(lambda: entry(services, "a").history.skipped_count == 1)
        assert [run.id for run in entry(services, "a").runs] == [first.id]
        assert services.metrics.counter("jobs.skipped").count == 1


async def test_replace_stops_the_active_run_and_starts_a_new_one(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(
            services, _job("a", "sleep 30", _every_minute(concurrencyPolicy="REPLACE"))
        )
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        [first] = await until(lambda: entry(services, "a").runs)
        clock.set(datetime(2026, 1, 5, 10, 2, tzinfo=UTC))
        [second] = await until(
            lambda: [r for r in entry(services, "a").runs if r.id != first.id] or None
        )
        assert [run.id for run in entry(services, "a").runs] == [second.id]
        history = entry(services, "a").history
        assert [info.id for info in history.failed_runs] == [first.id]


async def test_allow_runs_concurrently(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "sleep 30", _every_minute()))
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        await until(lambda: len(entry(services, "a").runs) == 1)
        clock.set(datetime(2026, 1, 5, 10, 2, tzinfo=UTC))
        await until(lambda: len(entry(services, "a").runs) == 2)


async def test_starting_deadline_aborts_a_run_that_cannot_start(tmp_path: Path) -> None:
    clock = FakeClock(START)
    nowhere = {"constraints": [{"attribute": "rack", "operator": "IS", "value": "none"}]}
    async with running(tmp_path, clock) as services:
        schedule = _every_minute(startingDeadlineSeconds=30)
        await create_job(services, _job("a", "true", schedule, placement=nowhere))
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        [run] = await until(lambda: entry(services, "a").runs)
        assert run.status is RunStatus.STARTING
        await until(lambda: services.queued_runs() == [("a", run.id)])
        clock.set(datetime(2026, 1, 5, 10, 1, 31, tzinfo=UTC))
        await until(lambda: failures(services, "a") == 1)
        assert not entry(services, "a").runs
        assert services.queued_runs() == []
        assert services.metrics.counter("jobs.aborted").count == 1


async def test_missed_instants_run_once_late_or_are_counted(tmp_path: Path) -> None:
    clock = FakeClock(START)
    schedule = _every_minute(startingDeadlineSeconds=90)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "true", schedule))
    clock.set(datetime(2026, 1, 5, 10, 5, 30, tzinfo=UTC))  # down for five instants
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "a") == 1)
        history = entry(services, "a").history
        assert history.missed_count == 4
        [late] = history.successful_runs
        assert late.created_at == clock.now()  # 10:05 ran, 30 s late, inside its deadline
        assert services.metrics.counter("jobs.missed").count == 4
    async with running(tmp_path, clock) as services:  # a replay finds nothing more to do
        await settled(services, "a")  # its start (the catch-up) is done
        assert finished(services, "a") == 1 and not entry(services, "a").runs
        assert entry(services, "a").history.missed_count == 4


async def test_an_instant_older_than_its_deadline_is_only_counted(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "true", _every_minute(startingDeadlineSeconds=10)))
    clock.set(datetime(2026, 1, 5, 10, 3, 30, tzinfo=UTC))
    async with running(tmp_path, clock) as services:
        await until(lambda: entry(services, "a").history.missed_count == 3)
        await settled(services, "a")  # a late run would have started with the catch-up
        assert finished(services, "a") == 0 and not entry(services, "a").runs


async def test_a_persisted_scheduled_run_is_not_started_again(tmp_path: Path) -> None:
    clock = FakeClock(START)
    marker = tmp_path / "launches"
    async with running(tmp_path, clock) as services:
        schedule = {"id": "h", "cron": "0 * * * *", "startingDeadlineSeconds": 3600}
        await create_job(services, _job("a", f"echo x >> {marker}; sleep 3", schedule))
        clock.set(datetime(2026, 1, 5, 11, 0, tzinfo=UTC))
        await until(marker.exists)  # its task runs: a stop now leaves it running
    clock.set(datetime(2026, 1, 5, 11, 10, tzinfo=UTC))
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "a") == 1)
        assert entry(services, "a").history.missed_count == 0
        assert marker.read_text().count("x") == 1


async def test_dst_gap_fires_at_the_first_instant_after_it(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2019, 3, 31, 0, 50, tzinfo=UTC))  # 01:50 CET in Rome
    async with running(tmp_path, clock) as services:
        schedule = {"id": "d", "cron": "30 2 * * *", "timezone": "Europe/Rome"}
        await create_job(services, _job("a", "sleep 30", schedule))
        clock.set(datetime(2019, 3, 31, 1, 0, tzinfo=UTC))  # 03:00 CEST: 02:30 did not exist
        [run] = await until(lambda: entry(services, "a").runs)
        assert run.scheduled_at == datetime(2019, 3, 31, 1, 0, tzinfo=UTC)


async def _tick(services: Services, clock: FakeClock, instant: datetime, *job_ids: str) -> None:
    """Move the clock to `instant` (on a minute) and wait until each job's actor has handled
    every timer due by then.

    A probe job due at `instant`, created now, has the last timer due: the timer thread tells
    due timers in order of instant, then of arming. Once the probe has run, every earlier `Fire`
    is in its job's mailbox, and an ask to that job waits behind it. (Waiting for the probe's end,
    not its start, leaves no launch in flight when the test stops the service.)
    """
    probe = f"probe-{instant:%H%M}"
    schedule = {"id": "p", "cron": f"{instant.minute} {instant.hour} * * *"}
    await create_job(services, _job(probe, "true", schedule))
    clock.set(instant)
    await until(lambda: finished(services, probe))
    await settled(services, *job_ids)
