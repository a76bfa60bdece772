"""A restored run whose task another launcher holds is never started again (issue 19).

Two data dirs stand for two hosts: the store is shared, the task records are not. The first
instance starts a task and stops (its task outlives it); the next, on the other data dir, must
neither launch nor reconcile it, and ends the run with an unknown outcome that says why. On
the same data dir the task is adopted as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metronome.launch._identity import local_identity
from metronome.model import EndKind, TaskStatus
from metronome.storage import SqliteStore
from tests.faults.test_run_steps import START, end_kind, history, job
from tests.support.system import FakeClock, create_job, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.model import JobRun


async def _start_task(first: Path, store_dir: Path, marker: Path) -> JobRun:
    """Trigger a run on the instance of data dir `first`; stop that instance once its task has
    started (it has written no running status yet: its clock never moves)."""
    cmd = f"echo start >> {marker}; sleep 1; echo end >> {marker}"
    async with running(first, FakeClock(START), SqliteStore(store_dir)) as services:
        await create_job(services, job("a", cmd, user="root"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await until(lambda: marker.exists())
    return run


async def test_a_task_of_another_data_dir_is_never_started_again(tmp_path: Path) -> None:
    first, second, marker = tmp_path / "host-a", tmp_path / "host-b", tmp_path / "marker"
    run = await _start_task(first, first, marker)
    async with running(second, FakeClock(START), SqliteStore(first)) as services:
        await until(lambda: finished(services, "a") == 1)
        [info] = history(services).failed_runs
        assert info.id == run.id
        assert end_kind(info) is EndKind.OUTCOME_UNKNOWN
        assert info.details is not None
        [task] = info.details.tasks
        expected = (
            f"task {task.id} was started by launcher {local_identity(first)} on host test,"
            " which this instance cannot reach; its outcome is unknown"
        )
        assert info.details.end is not None
        assert info.details.end.message == expected
        assert task.status is TaskStatus.TASK_LOST
        assert not (second / "sandboxes").exists() or not any((second / "sandboxes").iterdir())
    await until(lambda: marker.read_text() == "start\nend\n")  # the first task ran, once
    assert local_identity(first) != local_identity(second)


async def test_a_task_of_the_same_data_dir_is_adopted(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    run = await _start_task(tmp_path, tmp_path, marker)
    async with running(tmp_path, FakeClock(START), SqliteStore(tmp_path)) as services:
        await until(lambda: finished(services, "a") == 1)
        assert [info.id for info in history(services).successful_runs] == [run.id]
    assert marker.read_text() == "start\nend\n"
