"""Job runs, their tasks, and the per-job history of finished runs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from metronome.model._ids import JobId, RunId, ScheduleId
    from metronome.model._job import RunSpec
    from metronome.model._overrides import RunOverrides
    from metronome.model._pause import Pause
    from metronome.model._run_end import RunEnd
    from metronome.model._slots import SlotLog


class RunStatus(StrEnum):
    """STARTING -> ACTIVE -> SUCCESS | FAILED (metronome-behavior.md §3.2)."""

    STARTING = "STARTING"
    ACTIVE = "ACTIVE"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"

    @property
    def is_final(self) -> bool:
        return self in (RunStatus.SUCCESS, RunStatus.FAILED)


class TaskStatus(StrEnum):
    """Mesos task states, as the API reports them; TASK_CREATED is a task not yet placed."""

    TASK_CREATED = "TASK_CREATED"
    TASK_STAGING = "TASK_STAGING"
    TASK_STARTING = "TASK_STARTING"
    TASK_RUNNING = "TASK_RUNNING"
    TASK_FINISHED = "TASK_FINISHED"
    TASK_FAILED = "TASK_FAILED"
    TASK_KILLED = "TASK_KILLED"
    TASK_LOST = "TASK_LOST"
    TASK_ERROR = "TASK_ERROR"
    TASK_DROPPED = "TASK_DROPPED"
    """Mesos's word for a task that never started (here: its launcher stopped before releasing
    it); its run launches a new task."""

    @property
    def is_active(self) -> bool:
        return self in (TaskStatus.TASK_STAGING, TaskStatus.TASK_STARTING, TaskStatus.TASK_RUNNING)

    @property
    def is_final(self) -> bool:
        return not self.is_active and self is not TaskStatus.TASK_CREATED


@dataclass(frozen=True, slots=True)
class Task:
    """One task of a run. `completed_at` is Metronome's (set for TASK_FINISHED only); `ended_at`
    is when any final status was reached, and `exit_code` what its command exited with."""

    id: str
    status: TaskStatus
    started_at: datetime
    completed_at: datetime | None = None
    message: str | None = None
    exit_code: int | None = None
    ended_at: datetime | None = None
    running_since: datetime | None = None
    """When the run's actor first saw the task active (its `timeoutSeconds` counts from then)."""
    launcher: str | None = None
    """Identity of the launcher that holds the task (`Launcher.identity`), written before the
    task starts; None in records written before it was kept: then this instance's launcher."""
    launcher_host: str | None = None
    """The host of the instance that launched it (what an operator looks at for its outcome)."""


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run of a job. `run_spec` is the job's run spec at trigger time (a snapshot).

    A scheduled run carries its schedule and instant: (job id, schedule id, instant) identifies it,
    so a replay after a restart finds the run instead of starting a second one.
    """

    id: RunId
    job_id: JobId
    status: RunStatus
    created_at: datetime
    run_spec: RunSpec
    completed_at: datetime | None = None
    tasks: tuple[Task, ...] = ()
    schedule_id: ScheduleId | None = None
    scheduled_at: datetime | None = None
    starting_deadline_s: int | None = None
    overrides: RunOverrides | None = None
    """What the manual request changed for this run alone (already applied to `run_spec`)."""
    triggered_by: str | None = None
    """Who started a manual run, when authentication is on."""
    end: RunEnd | None = None
    """Why the run ended; None while it is active."""
    by_dependencies: bool = False
    """Started because every parent job succeeded, not by hand."""

    def details(self) -> RunDetails:
        """What the history keeps of this run once it has finished."""
        return RunDetails(
            self.end,
            self.tasks,
            self.schedule_id,
            self.scheduled_at,
            self.triggered_by,
            self.overrides,
            self.by_dependencies,
        )


@dataclass(frozen=True, slots=True)
class RunDetails:
    """What the history keeps of a finished run beyond Metronome's fields: how it was triggered,
    why it ended, and its tasks in full."""

    end: RunEnd | None
    tasks: tuple[Task, ...] = ()
    schedule_id: ScheduleId | None = None
    scheduled_at: datetime | None = None
    triggered_by: str | None = None
    overrides: RunOverrides | None = None
    by_dependencies: bool = False


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A finished run as the history keeps it; `details` is None in records written before
    histories kept them."""

    id: RunId
    created_at: datetime
    finished_at: datetime
    tasks: tuple[str, ...] = ()
    details: RunDetails | None = None

    @property
    def schedule_id(self) -> ScheduleId | None:
        """The schedule of a scheduled run (its instant's slot names the run)."""
        return None if self.details is None else self.details.schedule_id

    @property
    def scheduled_at(self) -> datetime | None:
        return None if self.details is None else self.details.scheduled_at


@dataclass(frozen=True, slots=True)
class JobHistory:
    """Counters and newest-first lists of finished runs; counters are never truncated."""

    job_id: JobId
    success_count: int = 0
    failure_count: int = 0
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    successful_runs: tuple[RunInfo, ...] = ()
    failed_runs: tuple[RunInfo, ...] = ()
    skipped_count: int = 0
    missed_count: int = 0
    schedule_marks: dict[ScheduleId, datetime] = field(default_factory=dict)
    """Per schedule, the last instant that was handled (run, skipped or missed): after a restart,
    the instants after it are the ones missed meanwhile."""
    dependency_marks: dict[JobId, datetime] = field(default_factory=dict)
    """Per parent job, the end of its latest run that this job has already answered (by a run,
    or by starting to depend on it): only a parent's later success counts."""
    consecutive_failures: int = 0
    """Runs that failed since the last success or resume (`pauseAfterFailures` counts them)."""
    pause: Pause | None = None
    """Set while the job is paused (or until its `until` passes)."""
    paused_count: int = 0
    """Scheduled instants not run because the job was paused."""
    slot_logs: dict[ScheduleId, SlotLog] = field(default_factory=dict)
    """Per schedule, the instants that did not run and why (see `SlotLog`)."""
    backfills: tuple[tuple[ScheduleId, datetime], ...] = ()
    """Past instants asked to run (a backfill) that have not started yet, oldest request first."""

    def finished_run(self, run_id: str) -> tuple[RunInfo, RunStatus] | None:
        """A finished run the history still holds, with its final status."""
        for status, runs in (
            (RunStatus.SUCCESS, self.successful_runs),
            (RunStatus.FAILED, self.failed_runs),
        ):
            for info in runs:
                if info.id == run_id:
                    return info, status
        return None

    def with_finished(self, run: JobRun, keep: int) -> JobHistory:
        """The history with a finished run recorded.

        Each run is recorded once: its job actor forgets it as it records it, and one loaded
        from the store that is in the history already is dropped, not finished. (Looking for
        it in up to 2,000 runs cost 0.1 ms per run.)

        Args:
            run: a run in a final status, with `completed_at` set.
            keep: how many runs each list keeps (newest first); counters are never truncated.
        """
        assert run.completed_at is not None
        tasks = tuple(t.id for t in run.tasks)
        info = RunInfo(run.id, run.created_at, run.completed_at, tasks, run.details())
        if run.status is RunStatus.SUCCESS:
            return dataclasses.replace(
                self,
                success_count=self.success_count + 1,
                last_success_at=run.completed_at,
                successful_runs=(info, *self.successful_runs)[:keep],
                consecutive_failures=0,
            )
        return dataclasses.replace(
            self,
            failure_count=self.failure_count + 1,
            last_failure_at=run.completed_at,
            failed_runs=(info, *self.failed_runs)[:keep],
            consecutive_failures=self.consecutive_failures + 1,
        )
