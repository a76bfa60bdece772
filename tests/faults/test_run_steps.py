"""A store failure at each persisted step of a run's life: nothing dies, nothing is lost.

The store is the real SQLite store behind `FaultyStore`, the tasks real processes, the clock
the test's own (retries and relaunch delays wait on it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from metronome.errors import Unavailable
from metronome.model import EndKind, RunStatus
from metronome.storage import JOB_HISTORIES, JOB_RUNS, SqliteStore, StorageError
from tests.support.faulty_store import FaultyStore, stored_history, stored_run
from tests.support.system import FakeClock, advancing, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.api import Services
    from metronome.model import JobHistory, JobRun, RunInfo

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)


def job(job_id: str, cmd: str, *schedules: dict[str, Any], **run: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0, **run},
        "schedules": list(schedules),
    }


def history(services: Services, job_id: str = "a") -> JobHistory:
    found = entry(services, job_id).history
    assert found is not None
    return found


def end_kind(info: RunInfo) -> EndKind:
    assert info.details is not None
    assert info.details.end is not None
    return info.details.end.kind


async def active(services: Services, run: JobRun) -> None:
    """Wait until the run's task runs (released by the launcher, so the test may stop)."""
    await until(
        lambda: (r := entry(services, run.job_id).run(run.id)) and r.status is RunStatus.ACTIVE
    )


async def test_a_run_that_ends_while_writes_fail_is_recorded_when_the_store_heals(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 0.3"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, run)
        store.fail_writes()
        await until(lambda: store.refused)  # the run ended; its end cannot be written
        with pytest.raises(Unavailable, match=r"refuses its writes .*disk is full"):
            await services.ask_job("a", lambda actor: actor.trigger())
        assert [r.id for r in entry(services, "a").runs] == [run.id]  # as the store says
        store.heal()
        await advancing(clock, lambda: finished(services, "a") == 1)  # the retry's back-off
        assert [info.id for info in history(services).successful_runs] == [run.id]
        assert not entry(services, "a").runs
        assert stored_run(store, "a", run.id) is None
        stored = stored_history(store, "a")
        assert stored is not None
        assert [info.id for info in stored.successful_runs] == [run.id]
        again = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, again)


async def test_a_manual_run_the_store_refuses_is_a_503_that_starts_nothing(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    marker = tmp_path / "launches"
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", f"echo x >> {marker}"))
        store.fail_writes(under=[JOB_RUNS])
        with pytest.raises(StorageError, match="disk is full"):
            await services.ask_job("a", lambda actor: actor.trigger())
        assert not entry(services, "a").runs
        store.heal()
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await until(lambda: finished(services, "a") == 1)
        assert [info.id for info in history(services).successful_runs] == [run.id]
        assert marker.read_text() == "x\n"  # the refused run never launched


async def test_a_refused_status_write_is_retried_until_it_lands(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 30"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, run)
        store.fail_writes(under=[JOB_RUNS])
        clock.advance(seconds=1)  # the delayed ACTIVE write
        await until(lambda: store.refused)
        stored = stored_run(store, "a", run.id)
        assert stored is not None
        assert stored.status is RunStatus.STARTING
        store.heal()
        await advancing(
            clock, lambda: (r := stored_run(store, "a", run.id)) and r.status is RunStatus.ACTIVE
        )
        assert services.metrics.counter("jobs.write.failures").count >= 1
        await services.ask_job("a", lambda actor: actor.stop_run(run.id))


async def test_a_relaunch_starts_only_once_its_task_is_written(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    marker = tmp_path / "launches"
    restart = {"policy": "ON_FAILURE", "activeDeadlineSeconds": 3600}
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", f"echo x >> {marker}; exit 3", restart=restart))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        store.fail_writes(under=[JOB_RUNS])
        await until(lambda: store.refused)  # the failed task's status
        assert marker.read_text() == "x\n"
        for _ in range(3):  # the relaunch delay, then the back-off of its refused writes
            refused = store.refused
            clock.advance(seconds=30)
            await until(lambda: store.refused > refused)  # noqa: B023 - read at once
        assert marker.read_text() == "x\n"  # nothing starts unrecorded
        store.heal()
        await advancing(clock, lambda: marker.read_text() == "x\nx\n")
        stored = stored_run(store, "a", run.id)
        assert stored is not None
        assert len(stored.tasks) == 2  # the relaunched task was written before it started
        await services.ask_job("a", lambda actor: actor.stop_run(run.id))


async def test_stopping_a_run_while_writes_fail_is_a_503_that_kills_nothing(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 30"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, run)
        store.fail_writes()
        with pytest.raises(StorageError, match="disk is full"):
            await services.ask_job("a", lambda actor: actor.stop_run(run.id))
        with pytest.raises(StorageError, match="disk is full"):
            await services.ask_job("a", lambda actor: actor.delete(stop_runs=True))
        store.heal()
        current = entry(services, "a").run(run.id)
        assert current is not None
        assert current.status is RunStatus.ACTIVE  # its task still runs
        stopped = await services.ask_job("a", lambda actor: actor.stop_run(run.id))
        assert stopped.end.kind is EndKind.STOPPED
        assert [info.id for info in history(services).failed_runs] == [run.id]


async def test_a_finish_whose_answer_was_lost_is_recorded_once(tmp_path: Path) -> None:
    """A ZooKeeper write that times out may have landed: its retry must neither fail on the
    run record it already deleted nor record the run twice."""
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 0.3"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, run)
        store.lose_answers(under=[JOB_HISTORIES])
        await until(lambda: store.refused)
        assert stored_run(store, "a", run.id) is None  # it landed
        store.heal()
        await advancing(clock, lambda: finished(services, "a") == 1)
        assert [info.id for info in history(services).successful_runs] == [run.id]
        stored = stored_history(store, "a")
        assert stored is not None
        assert [info.id for info in stored.successful_runs] == [run.id]
        assert services.view.failure("a") is None  # no restart was needed
        assert services.metrics.counter("jobs.restarts").count == 0


async def test_a_dependency_run_the_store_refuses_starts_when_it_heals(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("p", "true"))
        await create_job(services, {**job("c", "true"), "dependencies": [{"id": "p"}]})
        store.fail_writes(under=[f"{JOB_RUNS}/c"])
        await services.ask_job("p", lambda actor: actor.trigger())
        await until(lambda: finished(services, "p") == 1)
        await until(lambda: store.refused)  # the child's run, owed by its parent's success
        assert not entry(services, "c").runs
        store.heal()
        await advancing(clock, lambda: finished(services, "c") == 1)
        assert history(services, "c").success_count == 1
        assert services.view.failure("c") is None  # retried, not restarted
