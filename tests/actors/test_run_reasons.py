"""Why runs end, as the actors record it: the pure rules, then scheduled runs on a moved clock
with the real store, actors and processes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from metronome.actors._reasons import task_end
from metronome.launch import TaskUpdate
from metronome.launch._sandbox import UNRELEASED_MESSAGE, Sandbox
from metronome.model import (
    EndKind,
    JobId,
    JobRun,
    RunEnd,
    RunStatus,
    Task,
    TaskStatus,
    new_run_id,
    new_task_id,
)
from metronome.storage import JobRunRepository, SqliteStore
from tests.support.system import FakeClock, create_job, entry, failures, running, successes, until

if TYPE_CHECKING:
    from pathlib import Path

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
AT = datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)


def _update(status: TaskStatus, code: int | None = None, message: str | None = None) -> TaskUpdate:
    return TaskUpdate("t", status, AT, message, code)


@pytest.mark.parametrize(
    ("previous", "update", "expected"),
    [
        (
            TaskStatus.TASK_RUNNING,
            _update(TaskStatus.TASK_FINISHED, 0),
            RunEnd(EndKind.SUCCEEDED, 0),
        ),
        (
            TaskStatus.TASK_RUNNING,
            _update(TaskStatus.TASK_FAILED, 3, "exited with status 3"),
            RunEnd(EndKind.EXITED, 3, message="exited with status 3"),
        ),
        (
            TaskStatus.TASK_RUNNING,
            _update(TaskStatus.TASK_FAILED, 137, "exited with status 137"),
            RunEnd(EndKind.SIGNALED, 137, 9, "exited with status 137"),
        ),
        (
            TaskStatus.TASK_STAGING,
            _update(TaskStatus.TASK_FAILED, None, "cannot fetch http://x"),
            RunEnd(EndKind.FAILED_TO_START, message="cannot fetch http://x"),
        ),
        (
            TaskStatus.TASK_RUNNING,
            _update(TaskStatus.TASK_KILLED, None, "killed by the agent"),
            RunEnd(EndKind.KILLED, message="killed by the agent"),
        ),
        (
            TaskStatus.TASK_STAGING,
            _update(TaskStatus.TASK_LOST, None, "unknown task"),
            RunEnd(EndKind.LOST, message="unknown task"),
        ),
        (
            TaskStatus.TASK_RUNNING,
            _update(TaskStatus.TASK_FAILED, None, "ended without an exit status"),
            RunEnd(EndKind.LOST, message="ended without an exit status"),
        ),
    ],
)
def test_a_tasks_end_is_told_apart(
    previous: TaskStatus, update: TaskUpdate, expected: RunEnd
) -> None:
    assert task_end(previous, update) == expected


_RES = {"cpus": 0.01, "mem": 32, "disk": 0}


def _job(job_id: str, cmd: str, schedule: dict[str, Any], **run: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "run": {"cmd": cmd, **_RES, **run},
        "schedules": [{"id": "m", "cron": "* * * * *", **schedule}],
    }


async def test_a_replaced_run_says_so_and_keeps_its_trigger(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "sleep 30", {"concurrencyPolicy": "REPLACE"}))
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        [first] = await until(lambda: entry(services, "a").runs)
        clock.set(datetime(2026, 1, 5, 10, 2, tzinfo=UTC))
        history = await until(
            lambda: entry(services, "a").history.failed_runs and entry(services, "a").history
        )
        [info] = history.failed_runs
        assert info.id == first.id
        assert info.details is not None
        assert info.details.end == RunEnd(EndKind.REPLACED, by="m")
        assert info.details.schedule_id == "m"
        assert info.details.scheduled_at == datetime(2026, 1, 5, 10, 1, tzinfo=UTC)
        [task] = info.details.tasks
        assert task.status is TaskStatus.TASK_KILLED
        assert task.ended_at == datetime(2026, 1, 5, 10, 2, tzinfo=UTC)


async def test_a_starting_deadline_is_named_in_the_reason(tmp_path: Path) -> None:
    clock = FakeClock(START)
    nowhere = {"constraints": [{"attribute": "rack", "operator": "IS", "value": "none"}]}
    async with running(tmp_path, clock) as services:
        job = _job("a", "true", {"startingDeadlineSeconds": 30}, placement=nowhere)
        await create_job(services, job)
        clock.set(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))
        await until(lambda: entry(services, "a").runs)
        clock.set(datetime(2026, 1, 5, 10, 1, 31, tzinfo=UTC))
        await until(lambda: failures(services, "a") == 1)
        [info] = entry(services, "a").history.failed_runs
        assert info.details is not None
        assert info.details.end == RunEnd(
            EndKind.LAUNCH_DEADLINE, message="no task ran within startingDeadlineSeconds (30 s)"
        )


async def test_a_task_never_released_is_launched_again_not_failed(tmp_path: Path) -> None:
    """The launcher stopped between spawning a task's wrapper and releasing it: the wrapper
    recorded that it never ran. After a restart the run gets a new task instead of failing."""
    clock = FakeClock(START)
    marker = tmp_path / "ran"
    async with running(tmp_path, clock) as services:
        await create_job(services, {"id": "a", "run": {"cmd": f"echo x >> {marker}", **_RES}})
        spec = entry(services, "a").spec
    run_id, task_id = new_run_id(AT), new_task_id(JobId("a"), new_run_id(AT))
    task = Task(task_id, TaskStatus.TASK_STAGING, AT)
    run = JobRun(run_id, JobId("a"), RunStatus.STARTING, AT, spec.run, tasks=(task,))
    store = SqliteStore(tmp_path)
    try:
        JobRunRepository(store).create(run)
    finally:
        store.close()
    sandbox = Sandbox(tmp_path / "sandboxes", task_id)
    sandbox.record_failure(UNRELEASED_MESSAGE)
    async with running(tmp_path, clock) as services:
        await until(lambda: successes(services, "a") == 1)
        [info] = entry(services, "a").history.successful_runs
        assert info.details is not None
        assert [t.status for t in info.details.tasks] == [
            TaskStatus.TASK_DROPPED,
            TaskStatus.TASK_FINISHED,
        ]
    assert marker.read_text() == "x\n"
