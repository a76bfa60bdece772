"""Job dependencies with real store, actors and processes: when a child runs, and that a restart
neither loses nor repeats its run."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from metronome.model import JobHistory, JobId
from metronome.storage import JobHistoryRepository, SqliteStore
from tests.support.system import FakeClock, create_job, entry, finished, running, settled, until

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.api import Services

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)


def _job(job_id: str, cmd: str = "true", *parents: str) -> dict[str, Any]:
    body = {"id": job_id, "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0}}
    return {**body, "dependencies": [{"id": p} for p in parents]} if parents else body


async def _run(services: Services, job_id: str, clock: FakeClock) -> None:
    """Run the job once to its end, a second later on the clock than anything before."""
    clock.advance(seconds=1)
    done = finished(services, job_id)
    await services.ask(entry(services, job_id).actor.trigger())
    await until(lambda: finished(services, job_id) == done + 1)


async def test_a_child_runs_once_every_parent_succeeded_since(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a"))
        await create_job(services, _job("b"))
        await create_job(services, _job("c", "true", "a", "b"))
        await _run(services, "a", clock)
        await _run(services, "a", clock)  # twice: still one child run owed
        await settled(services, "a", "c")
        assert finished(services, "c") == 0 and not entry(services, "c").runs
        await _run(services, "b", clock)
        await until(lambda: finished(services, "c") == 1)
        await _run(services, "a", clock)  # b has not succeeded again since
        await _run(services, "a", clock)
        await settled(services, "a", "c")
        assert finished(services, "c") == 1 and not entry(services, "c").runs
        await _run(services, "b", clock)
        await until(lambda: finished(services, "c") == 2)
        assert entry(services, "c").history.success_count == 2


async def test_a_failed_parent_holds_the_child_back(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "exit 3"))
        await create_job(services, _job("c", "true", "a"))
        await _run(services, "a", clock)
        assert entry(services, "a").history.failure_count == 1
        await settled(services, "a", "c")
        assert finished(services, "c") == 0 and not entry(services, "c").runs


async def test_parent_runs_before_the_dependency_do_not_count(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a"))
        await create_job(services, _job("b"))
        await _run(services, "a", clock)
        await _run(services, "b", clock)
        await create_job(services, _job("c", "true", "a", "b"))
        await create_job(services, _job("d"))
        await _run(services, "b", clock)  # the child was told, but a's success is older
        await settled(services, "b", "c")
        assert finished(services, "c") == 0 and not entry(services, "c").runs
        await _run(services, "a", clock)
        await until(lambda: finished(services, "c") == 1)
        # Depending on another job later: its past does not count either.
        spec = entry(services, "c").spec
        changed = dataclasses.replace(spec, dependencies=(*spec.dependencies, JobId("d")))
        await services.ask(entry(services, "c").actor.update(changed, keep_schedules=True))
        await _run(services, "a", clock)
        await _run(services, "b", clock)
        await settled(services, "a", "b", "c")
        assert finished(services, "c") == 1 and not entry(services, "c").runs
        await _run(services, "d", clock)
        await until(lambda: finished(services, "c") == 2)


async def test_a_parent_success_no_one_was_told_of_runs_the_child_after_a_restart(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a"))
        await create_job(services, _job("c", "true", "a"))
    # As if a's run ended and its history was written just before the server died, before the
    # child heard of it.
    store = SqliteStore(tmp_path)
    try:
        histories = JobHistoryRepository(store)
        history = histories.load(JobId("a")) or JobHistory(job_id=JobId("a"))
        ended = START + timedelta(minutes=1)
        histories.save(dataclasses.replace(history, success_count=1, last_success_at=ended))
    finally:
        store.close()
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "c") == 1)
        assert entry(services, "c").history.dependency_marks == {"a": ended}
    async with running(tmp_path, clock) as services:  # and it is not run a second time
        await settled(services, "c")
        assert finished(services, "c") == 1 and not entry(services, "c").runs


async def test_a_child_run_active_at_a_restart_is_adopted_not_repeated(tmp_path: Path) -> None:
    clock = FakeClock(START)
    marker = tmp_path / "launches"
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a"))
        await create_job(services, _job("c", f"echo x >> {marker}; sleep 1", "a"))
        await _run(services, "a", clock)
        await until(marker.exists)  # its task runs: a stop now leaves it running
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "c") == 1, timeout_s=15)
        await _run(services, "c", clock)
    assert marker.read_text() == "x\nx\n"  # the dependency run once, the manual run once


async def test_deleting_a_child_stops_its_run_and_starts_no_other(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a"))
        await create_job(services, _job("c", "sleep 30", "a"))
        await _run(services, "a", clock)
        await until(lambda: entry(services, "c").runs)
        await _run(services, "a", clock)  # due again once the active run is gone
        await settled(services, "a", "c")
        started = services.metrics.counter("jobs.started").count
        await services.ask(entry(services, "c").actor.delete(stop_runs=True))
        assert services.metrics.counter("jobs.started").count == started
        assert services.view.get("c") is None
