"""An acknowledged run whose task never started (issue 19): the server stopped between spawning
the task's wrapper and releasing it, so the wrapper gave up. The run never ran: it is launched
once when the next server adopts it, not recorded FAILED."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metronome.api._schemas import parse_job
from metronome.launch import UNRELEASED_MESSAGE
from metronome.launch._sandbox import FAILED_FILE
from metronome.model import JobRun, RunStatus, Task, TaskStatus, new_run_id, new_task_id
from metronome.storage import JobRunRepository, SqliteStore
from tests.faults.test_run_steps import START, history, job
from tests.support.system import FakeClock, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path


async def test_a_run_whose_wrapper_gave_up_before_it_started_is_launched_once(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    marker = tmp_path / "launches"
    body = job("a", f"echo x >> {marker}")
    async with running(tmp_path, clock) as services:
        await create_job(services, body)
    # What a server killed between spawn and release leaves: the acknowledged run's record with
    # its created task, and the sandbox in which the wrapper recorded that it gave up.
    spec = parse_job(body)
    run_id = new_run_id(START)
    task = Task(new_task_id(spec.id, run_id), TaskStatus.TASK_CREATED, START)
    run = JobRun(run_id, spec.id, RunStatus.STARTING, START, spec.run, tasks=(task,))
    store = SqliteStore(tmp_path)
    JobRunRepository(store).create(run)
    store.close()
    sandbox = tmp_path / "sandboxes" / task.id
    sandbox.mkdir(parents=True)
    (sandbox / FAILED_FILE).write_text(UNRELEASED_MESSAGE)

    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "a") == 1)
        assert [info.id for info in history(services).successful_runs] == [run.id]
        assert history(services).failure_count == 0
        assert marker.read_text() == "x\n"  # launched once
        assert not entry(services, "a").runs
