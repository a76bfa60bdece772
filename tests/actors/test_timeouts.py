"""`run.timeoutSeconds` on an injected clock, with real store, actors and processes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.launch._process import is_alive
from metronome.launch._sandbox import Sandbox
from metronome.model import RunStatus
from metronome.storage._codec import decode_run
from tests.support.system import FakeClock, create_job, entry, failures, running, until

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.api import Services
    from metronome.model import JobRun

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
# Records that SIGTERM came, then ignores it: only the SIGKILL after the grace period ends it.
STUBBORN = "trap 'echo term > got-term' TERM; while true; do sleep 0.05; done"


def _job(cmd: str, **run: Any) -> dict[str, Any]:
    return {"id": "a", "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0, **run}}


async def _running_run(services: Services) -> JobRun:
    run = await services.ask(entry(services, "a").actor.trigger())
    return await until(
        lambda: next(
            (r for r in entry(services, "a").runs if r.id == run.id and r.tasks[0].running_since),
            None,
        )
    )


def _sandbox(tmp_path: Path, run: JobRun) -> Sandbox:
    return Sandbox(tmp_path / "sandboxes", run.tasks[0].id)


def _stored_run(tmp_path: Path, run: JobRun) -> JobRun:
    """The run's record as the store holds it (read beside the server, as WAL allows)."""
    path = f"/state/job-runs/{run.job_id}/{run.id}"
    with sqlite3.connect(tmp_path / "metronome.db") as db:
        [(data,)] = db.execute("SELECT data FROM nodes WHERE path = ?", (path,)).fetchall()
    return decode_run(data, path)


def _process_ended(sandbox: Sandbox) -> bool:
    record = sandbox.read_process()
    return record is not None and not is_alive(record.pid, record.start_time)


async def test_a_task_outrunning_its_limit_gets_sigterm_then_sigkill(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        body = _job(STUBBORN, timeoutSeconds=60, taskKillGracePeriodSeconds=0.5)
        await create_job(services, body)
        run = await _running_run(services)
        sandbox = _sandbox(tmp_path, run)
        await until(lambda: sandbox.read_process())
        clock.advance(seconds=59)
        await until(lambda: entry(services, "a").runs[0].status is RunStatus.ACTIVE)
        assert not _process_ended(sandbox)
        clock.advance(seconds=2)
        await until(lambda: failures(services, "a") == 1)
        assert not entry(services, "a").runs
        assert services.metrics.counter("jobs.timedout").count == 1
        await until(lambda: _process_ended(sandbox))
        assert (sandbox.path / "got-term").read_text() == "term\n"


async def test_the_limit_counts_from_when_the_task_runs_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("sleep 600", timeoutSeconds=60))
        run = await _running_run(services)
        assert run.tasks[0].running_since == START
        clock.advance(seconds=2)  # the ACTIVE status (with the task's start) is written
        await until(lambda: _stored_run(tmp_path, run).tasks[0].running_since == START)
    sandbox = _sandbox(tmp_path, run)
    assert not _process_ended(sandbox)  # tasks outlive the server
    clock.advance(seconds=30)
    async with running(tmp_path, clock) as services:
        [adopted] = entry(services, "a").runs
        assert adopted.tasks[0].running_since == START
        clock.advance(seconds=29)  # 61 s after the task started
        await until(lambda: failures(services, "a") == 1)
        await until(lambda: _process_ended(sandbox))


async def test_a_job_without_a_limit_is_not_killed(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("sleep 600"))
        run = await _running_run(services)
        clock.advance(days=30)
        # A second run, started after the jump, is running: the first one had its chance to go.
        await _running_run(services)
        assert run.id in [r.id for r in entry(services, "a").runs]
        assert not _process_ended(_sandbox(tmp_path, run))
        for each in entry(services, "a").runs:
            await services.ask(entry(services, "a").actor.stop_run(each.id))
