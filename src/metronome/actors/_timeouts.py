"""`run.timeoutSeconds`: the time limit of a run's running task (plain helper of a run actor).

The limit counts from the moment the run actor first saw the task active (`Task.running_since`,
persisted with the run), so time spent waiting for placement does not count and a task adopted
after a restart keeps the limit it started with. When the limit passes, the run actor kills the
task (SIGTERM, then SIGKILL after `taskKillGracePeriodSeconds`) and ends the run FAILED at once,
without a relaunch, whatever its restart policy.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from metronome.actors import _reasons
from metronome.model import EndKind, RunEnd, RunStatus, TaskStatus

if TYPE_CHECKING:
    from datetime import datetime

    import pykka

    from metronome.actors._context import ActorContext
    from metronome.actors._timers import TimerHandle
    from metronome.model import JobRun, Task


@dataclass(frozen=True)
class TimedOut:
    """Told to the run actor by its timer: `task_id` has run for its whole time limit."""

    task_id: str


class TaskTimeout:
    """The one armed time limit of a run (a run has one task running at a time)."""

    def __init__(self, context: ActorContext, run_actor: pykka.ActorRef[Any]) -> None:
        self._context = context
        self._run_actor = run_actor
        self._handle: TimerHandle | None = None

    def arm(self, run: JobRun, task: Task) -> None:
        """Limit `task`, which is active, if the run's spec has a time limit."""
        limit_s = run.run_spec.timeout_s
        if limit_s is None or task.running_since is None:
            return
        self.cancel()
        message = TimedOut(task.id)
        due = task.running_since + timedelta(seconds=limit_s)
        self._handle = self._context.timers.call_at(due, lambda: self._run_actor.tell(message))

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def timeout_message(limit_s: int) -> str:
    """The failed task's message; it starts with "timeout" so every view of the run says so."""
    return f"timeout: the task ran longer than timeoutSeconds={limit_s} and was killed"


def timed_out_run(run: JobRun, task_id: str, now: datetime) -> JobRun | None:
    """The run ended FAILED by its task's time limit; None if that task is no longer active."""
    task = next((t for t in run.tasks if t.id == task_id), None)
    if task is None or not task.status.is_active or run.run_spec.timeout_s is None:
        return None
    message = timeout_message(run.run_spec.timeout_s)
    killed = dataclasses.replace(task, status=TaskStatus.TASK_KILLED, message=message, ended_at=now)
    tasks = tuple(killed if t.id == task_id else t for t in run.tasks)
    end = RunEnd(EndKind.TIMED_OUT, message=message)
    return _reasons.ended(dataclasses.replace(run, tasks=tasks), RunStatus.FAILED, now, end)
