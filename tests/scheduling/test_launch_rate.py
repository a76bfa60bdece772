"""`--max-launch-rate`: a burst of due instants is spread, and every instant still fires inside
its starting deadline; the slots alone, then the whole service on an injected clock."""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from metronome.actors import LaunchRate
from metronome.config import Settings
from metronome.metrics import MetricsRegistry
from metronome.server import start_services
from metronome.storage import SqliteStore
from tests.support.jobs import job_body
from tests.support.system import FakeClock, create_job, entry, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from metronome.api import Services

T = datetime(2026, 1, 5, 10, 1, tzinfo=UTC)


def _s(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


def test_slots_follow_the_rate() -> None:
    rate = LaunchRate(4)
    assert [rate.slot(T, T, 900) for _ in range(5)] == [_s(0), _s(0.25), _s(0.5), _s(0.75), _s(1)]
    assert rate.slot(_s(10), _s(10), 900) == _s(10)  # an idle gate has no backlog


def test_the_deadline_wins_over_the_rate() -> None:
    rate = LaunchRate(1)
    assert [rate.slot(T, T, 900) for _ in range(3)] == [_s(0), _s(1), _s(2)]
    # 10 s deadline, less a 5 s margin: the slot at 3 s is fine; one past 5 s goes at 5 s.
    assert rate.slot(T, T, 10) == _s(3)
    assert rate.slot(T, T, 10) == _s(4)
    assert rate.slot(T, T, 10) == _s(5)
    assert rate.slot(T, T, 10) == _s(5)  # beside the rate; the slots behind it do not move
    assert rate.slot(T, T, 900) == _s(6)
    assert rate.slot(T, T, 2) == _s(1)  # a short deadline keeps half of it as the margin


def test_without_a_cap_every_instant_fires_at_once() -> None:
    rate = LaunchRate()
    assert {rate.slot(T, T, 900) for _ in range(100)} == {T}


@asynccontextmanager
async def _running(data_dir: Path, clock: FakeClock, rate: float) -> AsyncIterator[Services]:
    settings = Settings(
        data_dir=data_dir, hostname="test", actor_threads=4, cpus=8, mem=8192, max_launch_rate=rate
    )
    async with AsyncExitStack() as stack:
        store = SqliteStore(data_dir)
        stack.callback(store.close)
        yield await start_services(settings, stack, store, MetricsRegistry(), clock.now)


async def test_a_burst_is_spread_and_the_urgent_instant_keeps_its_deadline(
    tmp_path: Path,
) -> None:
    clock = FakeClock(T - timedelta(seconds=30))
    ids = [f"a{i}" for i in range(5)]
    async with _running(tmp_path, clock, rate=1) as services:
        for job_id, deadline_s in [*((i, 900) for i in ids), ("urgent", 2)]:
            schedule = {"id": "m", "cron": "* * * * *", "startingDeadlineSeconds": deadline_s}
            await create_job(
                services, {**job_body(job_id, cmd="sleep 30"), "schedules": [schedule]}
            )

        def started() -> int:
            return sum(len(entry(services, i).runs) for i in (*ids, "urgent"))

        # One launch a second; "urgent" (its slot would be 5 s late) fires at 1 s, inside its
        # 2 s deadline less the margin, beside a1.
        for second, expected in [(0, 1), (1, 3), (2, 4), (3, 5), (4, 6)]:
            clock.set(_s(second))
            await until(lambda e=expected: started() == e)
        created = {i: entry(services, i).runs[0].created_at for i in (*ids, "urgent")}
        assert created == {**{f"a{n}": _s(n) for n in range(5)}, "urgent": _s(1)}
        assert {entry(services, i).runs[0].scheduled_at for i in created} == {T}
        lateness = services.metrics.timer("jobs.trigger.lateness").snapshot()
        assert lateness.max == 4.0
        for job_id in created:
            await services.ask(
                entry(services, job_id).actor.stop_run(entry(services, job_id).runs[0].id)
            )


async def test_instants_a_restart_owes_are_spread_too(tmp_path: Path) -> None:
    clock = FakeClock(T - timedelta(seconds=30))
    ids = [f"a{i}" for i in range(4)]
    async with _running(tmp_path, clock, rate=1) as services:
        for job_id in ids:
            schedule = {"id": "m", "cron": "* * * * *"}
            await create_job(
                services, {**job_body(job_id, cmd="sleep 30"), "schedules": [schedule]}
            )
    back = T + timedelta(minutes=4, seconds=10)  # 10:05 is owed by each job, 10 s late
    clock.set(back)
    async with _running(tmp_path, clock, rate=1) as services:

        def started() -> int:
            return sum(len(entry(services, i).runs) for i in ids)

        for second, expected in [(0, 1), (1, 2), (2, 3), (3, 4)]:
            clock.set(back + timedelta(seconds=second))
            await until(lambda e=expected: started() == e)
        runs = [entry(services, i).runs[0] for i in ids]
        assert sorted(run.created_at for run in runs) == [
            back + timedelta(seconds=n) for n in range(4)
        ]
        assert {run.scheduled_at for run in runs} == {T + timedelta(minutes=4)}
        assert sum(entry(services, i).history.missed_count for i in ids) == 4 * 4  # 10:01-10:04
        clock.set(T + timedelta(minutes=5))  # the next instant is armed as usual, and spread
        await until(lambda: started() == 5)
        clock.set(T + timedelta(minutes=5, seconds=3))
        await until(lambda: started() == 8)
        for job_id in ids:
            for run in entry(services, job_id).runs:
                await services.ask(entry(services, job_id).actor.stop_run(run.id))
