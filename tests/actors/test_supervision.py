"""Supervision (actors/_supervision.py): a failed actor is restarted from the store by its parent,
a job that keeps failing is withdrawn with its cause, and nothing is left a zombie."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pykka
import pytest

from metronome.actors._run import RunChanged
from metronome.api._schemas import parse_job
from metronome.errors import Unavailable
from metronome.model import EndKind, RunStatus
from metronome.storage import (
    JOB_HISTORIES,
    JOB_RUNS,
    JOB_SPECS,
    JobRunRepository,
    SqliteStore,
    StorageError,
)
from tests.faults.test_run_steps import START, active, end_kind, history, job
from tests.support.faulty_store import FaultyStore, stored_run
from tests.support.system import FakeClock, advancing, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path


async def test_a_job_actor_killed_by_a_bug_is_restarted_from_the_store(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 0.3"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        store.fail_writes(under=[JOB_HISTORIES], error=RuntimeError)  # a bug, not a refusal
        await until(lambda: services.view.failure("a"))
        assert entry(services, "a").spec.id == "a"  # still served: never a 404
        with pytest.raises(Unavailable, match="Job 'a' is unavailable: its actor failed"):
            await services.ask_job("a", lambda actor: actor.trigger())
        store.heal()
        # the supervisor's restart back-off, then the task's real outcome, reconciled
        await advancing(clock, lambda: finished(services, "a") == 1)
        assert [info.id for info in history(services).successful_runs] == [run.id]
        assert services.view.failure("a") is None
        assert services.metrics.counter("jobs.restarts").count == 1
        again = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, again)


async def test_a_job_that_keeps_failing_is_withdrawn_with_its_cause_and_comes_back(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "true"))
        await create_job(services, job("b", "true"))
        await services.ask_job("a", lambda actor: actor.trigger())
        # Each restart adopts the finished run again, and fails again recording it.
        store.fail_writes(under=[f"{JOB_HISTORIES}/a"], error=RuntimeError)
        await advancing(clock, lambda: services.view.get("a") is None)  # 1, 2, 4 s back-offs
        failure = services.view.failure("a")
        assert failure is not None
        assert "withdrawn after failures" in failure
        assert "RuntimeError" in failure
        assert [e.spec.id for e in services.view.all()] == ["b"]  # left out of listings
        with pytest.raises(Unavailable, match="withdrawn after failures"):
            services.entry("a")  # a 503 naming the cause, never a 404
        with pytest.raises(Unavailable, match="withdrawn after failures"):
            await create_job(services, job("a", "true"))  # and never a 409 "already exists"
        assert services.metrics.counter("jobs.withdrawn").count == 1
        store.heal()
        clock.advance(seconds=61)  # a withdrawn job is still retried, every minute
        await until(lambda: services.view.get("a") is not None)
        await until(lambda: finished(services, "a") == 1)
        assert services.view.failure("a") is None
        assert services.view.failure("b") is None


async def test_a_failed_run_actor_is_restarted_by_its_job(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 30"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, run)
        store.fail_writes(under=[JOB_RUNS], error=RuntimeError)
        clock.advance(seconds=1)  # its delayed ACTIVE write meets the bug
        await until(lambda: services.metrics.counter("jobs.restarts").count == 1)
        store.heal()
        # The restart back-off, then the restarted actor's own (delayed) ACTIVE write.
        await advancing(
            clock, lambda: (r := stored_run(store, "a", run.id)) and r.status is RunStatus.ACTIVE
        )
        assert services.view.failure("a") is None  # the job itself never failed
        # The restarted actor owns the task again: stopping the run kills it.
        stopped = await services.ask_job("a", lambda actor: actor.stop_run(run.id))
        assert end_kind(history(services).failed_runs[0]) is EndKind.STOPPED
        assert stopped.id == run.id


async def test_a_run_whose_actor_keeps_failing_ends_lost_with_the_cause(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, job("a", "sleep 30"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, run)
        store.fail_writes(under=[JOB_RUNS], error=RuntimeError, calls=["set"])
        await advancing(clock, lambda: finished(services, "a"))  # each restart fails again
        assert services.metrics.counter("jobs.restarts").count == 4
        [lost] = history(services).failed_runs
        assert lost.id == run.id
        assert end_kind(lost) is EndKind.LOST
        assert lost.details is not None
        assert lost.details.end is not None
        assert "kept failing" in (lost.details.end.message or "")
        assert services.view.failure("a") is None


async def test_a_refused_job_creation_leaves_nothing_behind(tmp_path: Path) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        store.fail_writes(under=[JOB_SPECS])
        with pytest.raises(StorageError, match="disk is full"):
            await create_job(services, job("a", "true"))
        assert services.view.get("a") is None
        assert services.view.failure("a") is None
        store.heal()
        await create_job(services, job("a", "true"))  # the id is free: no 409
        assert entry(services, "a").spec == parse_job(job("a", "true"))


async def test_a_finished_runs_record_removed_at_load_is_retried(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, job("a", "true"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await until(lambda: finished(services, "a") == 1)
    stale = SqliteStore(tmp_path)  # the record of a finished run, as a crash can leave it
    JobRunRepository(stale).create(run)
    stale.close()
    store = FaultyStore(SqliteStore(tmp_path))
    store.fail_writes(under=[JOB_RUNS])
    async with running(tmp_path, clock, store) as services:
        await until(lambda: store.refused)
        assert not entry(services, "a").runs  # it finished: not active again
        assert stored_run(store, "a", run.id) is not None
        store.heal()
        clock.advance(seconds=5)
        await until(lambda: stored_run(store, "a", run.id) is None)
        assert finished(services, "a") == 1


async def test_a_run_status_told_before_a_deletion_does_not_bring_the_job_back(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, job("a", "sleep 30"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await active(services, run)
        current = entry(services, "a")
        deleting = current.actor.delete(stop_runs=True)
        with contextlib.suppress(pykka.ActorDeadError):  # queued behind the deletion, or too late
            current.ref.tell(RunChanged(current.runs[0]))
        await services.ask(deleting)
        await until(lambda: not current.ref.is_alive())
        assert services.view.get("a") is None  # not published again by the late status
        assert services.view.failure("a") is None
