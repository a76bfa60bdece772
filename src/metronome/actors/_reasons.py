"""How a run's end is told apart: the `RunEnd` its actors record (model/_run_end.py).

Pure functions of a run and the update that ended it, so the run and job actors only say which
end happened, and the rules are tested without processes.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from metronome.model import EndKind, RunEnd, RunStatus, TaskStatus

if TYPE_CHECKING:
    from datetime import datetime

    from metronome.launch import TaskUpdate
    from metronome.model import JobRun, Task

SHELL_SIGNAL_BASE = 128
"""A shell reports a command killed by signal N as exit status 128 + N."""
_MAX_SIGNAL = 64
_NEVER_RAN = frozenset({TaskStatus.TASK_CREATED, TaskStatus.TASK_STAGING, TaskStatus.TASK_STARTING})


def updated_task(task: Task, update: TaskUpdate) -> Task:
    """The task with its new status; a final status records its exit code and end time.

    `completed_at` stays Metronome's: set for TASK_FINISHED only (metronome-behavior.md §3.3).
    """
    final = update.status.is_final
    return dataclasses.replace(
        task,
        status=update.status,
        completed_at=update.timestamp if update.status is TaskStatus.TASK_FINISHED else None,
        message=update.message,
        exit_code=update.exit_code if final else task.exit_code,
        ended_at=update.timestamp if final else None,
    )


def task_end(previous: TaskStatus, update: TaskUpdate) -> RunEnd:
    """Why a task ended, from its final update and the status it had before."""
    code, message = update.exit_code, update.message
    if update.status is TaskStatus.TASK_FINISHED:
        return RunEnd(EndKind.SUCCEEDED, exit_code=code)
    if code is not None and SHELL_SIGNAL_BASE < code <= SHELL_SIGNAL_BASE + _MAX_SIGNAL:
        signal = code - SHELL_SIGNAL_BASE
        return RunEnd(EndKind.SIGNALED, exit_code=code, signal=signal, message=message)
    if code is not None:
        return RunEnd(EndKind.EXITED, exit_code=code, message=message)
    if update.status is TaskStatus.TASK_KILLED:
        return RunEnd(EndKind.KILLED, message=message)
    if previous in _NEVER_RAN and update.status is not TaskStatus.TASK_LOST:
        return RunEnd(EndKind.FAILED_TO_START, message=message)
    return RunEnd(EndKind.LOST, message=message)


def past_restart_deadline(end: RunEnd, deadline_s: int | None) -> RunEnd:
    """The end of an ON_FAILURE run whose task failed after `activeDeadlineSeconds`."""
    detail = f"relaunching stopped after activeDeadlineSeconds ({deadline_s} s)"
    message = detail if end.message is None else f"{detail}; the task: {end.message}"
    return dataclasses.replace(end, kind=EndKind.RESTART_DEADLINE, message=message)


def launch_deadline(run: JobRun) -> RunEnd:
    limit_s = run.run_spec.max_launch_delay_s
    which = "maxLaunchDelay"
    if run.starting_deadline_s is not None and run.starting_deadline_s < limit_s:
        limit_s, which = run.starting_deadline_s, "startingDeadlineSeconds"
    return RunEnd(EndKind.LAUNCH_DEADLINE, message=f"no task ran within {which} ({limit_s} s)")


def outcome_unknown(run: JobRun, task: Task, at: datetime) -> JobRun:
    """The run, FAILED, whose live `task` another launcher holds: never started again here, and
    neither killed nor reported lost (it may well be running), so its outcome is unknown."""
    message = (
        f"task {task.id} was started by launcher {task.launcher} on host {task.launcher_host},"
        " which this instance cannot reach; its outcome is unknown"
    )
    unknown = dataclasses.replace(task, status=TaskStatus.TASK_LOST, message=message, ended_at=at)
    tasks = tuple(unknown if t.id == task.id else t for t in run.tasks)
    end = RunEnd(EndKind.OUTCOME_UNKNOWN, message=message)
    return ended(dataclasses.replace(run, tasks=tasks), RunStatus.FAILED, at, end)


def ended(run: JobRun, status: RunStatus, at: datetime, end: RunEnd) -> JobRun:
    """The run in its final status. Tasks that were not final are killed with it."""
    tasks = tuple(
        t
        if t.status.is_final
        else dataclasses.replace(t, status=TaskStatus.TASK_KILLED, ended_at=at)
        for t in run.tasks
    )
    return dataclasses.replace(run, status=status, completed_at=at, tasks=tasks, end=end)
