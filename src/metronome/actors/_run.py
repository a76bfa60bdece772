"""One actor per active run: launches its task, follows its status, applies the restart policy
and the launch deadline. Its parent job actor finalizes the run (history, deletion) when told."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pykka

from metronome.actors import _reasons
from metronome.actors._runtime import PooledActor
from metronome.actors._supervision import WRITE_BACKOFF, describe, retryable, tell_later
from metronome.actors._timeouts import TaskTimeout, TimedOut, timed_out_run
from metronome.launch import TaskUpdate
from metronome.model import (
    EndKind,
    RestartPolicy,
    RunEnd,
    RunStatus,
    Task,
    TaskStatus,
    new_task_id,
)
from metronome.storage import NodeExistsError, NoNodeError, StorageError

if TYPE_CHECKING:
    from types import TracebackType

    from metronome.actors._context import ActorContext
    from metronome.actors._timers import TimerHandle
    from metronome.model import JobRun

logger = logging.getLogger(__name__)

MAX_RELAUNCH_DELAY_S = 60.0
"""Longest wait between two launches of a crash-looping ON_FAILURE run."""
ACTIVE_WRITE_DELAY_S = 1.0
"""How long a run's new ACTIVE status waits to be written. A run that ends sooner is written
once, at its end: the extra write cost about 15 % of the run throughput (docs/benchmarks.md).
Lost in a crash, the status is recovered from the launcher, which reports the task again."""
ADOPTION_GRACE_S = 10.0
"""Time a loaded run whose launch deadline passed while no server ran gets for the launcher to
report its task running, before the deadline aborts it."""


@dataclass(frozen=True)
class RunChanged:
    """Told to the job actor: the run's new persisted state."""

    run: JobRun


@dataclass(frozen=True)
class RunFinished:
    """Told to the job actor: the run ended (SUCCESS or FAILED); `aborted` if by a deadline;
    `stored` false if its record could never be written."""

    run: JobRun
    aborted: bool = False
    stored: bool = True


@dataclass(frozen=True)
class RunCrashed:
    """Told to the job actor: the run's actor failed (`cause`); the job restarts it."""

    run: JobRun
    cause: str


@dataclass(frozen=True)
class _Deadline:
    pass


@dataclass(frozen=True)
class _Relaunch:
    pass


@dataclass(frozen=True)
class _Write:
    pass


class RunActor(PooledActor):
    """Drives one run from STARTING to its end. Never asks its parent; tells it instead."""

    def __init__(
        self,
        context: ActorContext,
        run: JobRun,
        *,
        job: pykka.ActorRef[Any],
        persisted: bool = True,
        restored: bool = False,
    ) -> None:
        """`restored`: loaded from the store at start, so an earlier instance may have run it."""
        super().__init__(context.pool)
        self._persisted = persisted
        self._restored = restored
        self._context = context
        self._run = run
        self._job = job
        self._key = (run.job_id, run.id)
        self._deadline: TimerHandle | None = None
        self._relaunch: TimerHandle | None = None
        self._write: TimerHandle | None = None
        """The pending write of a status that is not yet persisted (see `_save_later`)."""
        self._failures = 0
        self._timeout = TaskTimeout(context, self.actor_ref)
        self._write_failures = 0
        """Refused writes in a row; the pending write is retried with `WRITE_BACKOFF`."""
        context.router.open_run(self._key, self.actor_ref)

    def on_start(self) -> None:
        run = self._run
        if not self._persisted and not self._create():
            return
        held = self._context.launcher.identity
        foreign = [t for t in run.tasks if not t.status.is_final and t.launcher not in (None, held)]
        if foreign:
            self._out_of_reach(foreign[0])
            return
        created = [t.id for t in run.tasks if t.status is TaskStatus.TASK_CREATED]
        live = [t.id for t in run.tasks if t.status.is_active]
        for task_id in (*created, *live):
            self._context.router.add_task(self._key, task_id)
        if run.status is RunStatus.STARTING:  # armed before the run can be seen queued
            self._arm_deadline()
        if created:  # persisted but perhaps never handed over: launching again is idempotent
            for task_id in created:
                self._context.launcher.launch(task_id, run.run_spec)
        if live:
            for task in run.tasks:
                if task.status.is_active:
                    self._timeout.arm(run, task)
            self._context.launcher.reconcile(live)
        if not created and not live:
            self._launch()

    def _out_of_reach(self, task: Task) -> None:
        """End a restored run whose live task another launcher holds (another instance's data
        dir): launching it here would run it twice, and this launcher cannot reconcile it."""
        logger.warning(
            "Run %s.%s: task %s is held by launcher %s on host %s, out of this instance's reach;"
            " not started again, the run's outcome is unknown",
            self._run.job_id, self._run.id, task.id, task.launcher, task.launcher_host,
        )  # fmt: skip
        self._finish(_reasons.outcome_unknown(self._run, task, self._context.clock()))

    def _create(self) -> bool:
        """Persist a scheduled run before anything launches; False (and the run ends) if the
        store refuses it."""
        try:
            self._context.runs.create(self._run)
        except NodeExistsError:
            pass  # written by this run's previous actor, which failed before it could say so
        except StorageError:
            logger.exception(
                "Run %s.%s: cannot persist it; it fails", self._run.job_id, self._run.id
            )
            now = self._context.clock()
            end = RunEnd(EndKind.NOT_STORED, message="the run's record could not be written")
            failed = _reasons.ended(self._run, RunStatus.FAILED, now, end)
            self._context.router.close_run(self._key)
            self._tell_job(RunFinished(failed, aborted=True, stored=False))
            self.stop()
            return False
        logger.info(
            "Run %s.%s started (schedule %s, %s)",
            self._run.job_id, self._run.id, self._run.schedule_id, self._run.scheduled_at,
        )  # fmt: skip
        self._tell_job(RunChanged(self._run))  # tells the job the record exists
        return True

    def on_stop(self) -> None:
        for handle in (self._deadline, self._relaunch, self._write):
            if handle is not None:
                handle.cancel()
        self._timeout.cancel()

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Tell the job, which restarts this run's actor (actors/_supervision.py)."""
        self.on_stop()
        self._tell_job(RunCrashed(self._run, describe(exception_value)))

    def on_receive(self, message: Any) -> None:
        if isinstance(message, TaskUpdate):
            self._on_update(message)
        elif isinstance(message, _Deadline):
            self._on_deadline()
        elif isinstance(message, TimedOut):
            self._on_timeout(message.task_id)
        elif isinstance(message, _Relaunch):
            self._launch()
        elif isinstance(message, _Write):
            self._write = None
            self._save(self._run)
        else:
            super().on_receive(message)

    def _launch(self) -> None:
        task_id = new_task_id(self._run.job_id, self._run.id)
        if not self._context.router.add_task(self._key, task_id):
            return  # the run was stopped meanwhile
        task = self._context.new_task(task_id, self._context.clock())
        # A task starts only once its record is written: a launch the store refuses (a full
        # disk, or a deposed leader's fenced write) is tried again later, never run unrecorded.
        if not self._save(
            dataclasses.replace(self._run, tasks=(*self._run.tasks, task)), retry=False
        ):
            self._write_failures += 1
            delay_s = WRITE_BACKOFF.delay_s(self._write_failures)
            self._relaunch = tell_later(self._context, delay_s, self.actor_ref, _Relaunch())
            return
        self._context.launcher.launch(task_id, self._run.run_spec)
        logger.debug("Run %s.%s: launching task %s", self._run.job_id, self._run.id, task_id)

    def _on_update(self, update: TaskUpdate) -> None:
        tasks = self._run.tasks
        index = next((i for i, t in enumerate(tasks) if t.id == update.task_id), None)
        if index is None or tasks[index].status.is_final:
            return  # an update for a task this run no longer tracks, or a late duplicate
        previous = tasks[index]
        task = _reasons.updated_task(previous, update)
        if update.status.is_active and previous.running_since is None:
            task = dataclasses.replace(task, running_since=self._context.clock())
            self._timeout.arm(self._run, task)
        run = dataclasses.replace(self._run, tasks=(*tasks[:index], task, *tasks[index + 1 :]))
        if update.status.is_active:
            self._on_active(run, previous)
        elif update.status is TaskStatus.TASK_FINISHED:
            end = _reasons.task_end(previous.status, update)
            self._finish(_reasons.ended(run, RunStatus.SUCCESS, update.timestamp, end))
        elif update.status is TaskStatus.TASK_DROPPED:
            # It never ran, so it is neither a failure nor a restart: the run's task starts now
            # (still bound by the run's launch deadline).
            logger.warning(
                "Run %s.%s: task %s never started (%s); launching a new one",
                run.job_id, run.id, update.task_id, update.message,
            )  # fmt: skip
            self._run = run
            self._launch()
        else:
            self._on_task_failed(run, update, previous.status)

    def _on_active(self, run: JobRun, previous: Task) -> None:
        if run.status is RunStatus.STARTING:
            if self._deadline is not None:
                self._deadline.cancel()
            self._save_later(dataclasses.replace(run, status=RunStatus.ACTIVE))
        elif previous.status is TaskStatus.TASK_CREATED:
            self._save(run)  # a relaunched task of an ACTIVE run is running
        else:
            self._run = run  # STAGING -> RUNNING: not worth a write; reconcile recovers it
            self._tell_job(RunChanged(run))

    def _on_task_failed(self, run: JobRun, update: TaskUpdate, previous: TaskStatus) -> None:
        now = self._context.clock()
        restart = run.run_spec.restart
        deadline_s = restart.active_deadline_s
        if restart.policy is RestartPolicy.ON_FAILURE and (
            deadline_s is None or now < run.created_at + timedelta(seconds=deadline_s)
        ):
            self._failures += 1
            delay_s = min(2.0 ** (self._failures - 1), MAX_RELAUNCH_DELAY_S)
            logger.info(
                "Run %s.%s: task %s ended %s (%s); relaunching in %.0f s",
                run.job_id, run.id, update.task_id, update.status, update.message, delay_s,
            )  # fmt: skip
            self._save(run)
            self._relaunch = self._context.timers.call_at(
                now + timedelta(seconds=delay_s), lambda: self.actor_ref.tell(_Relaunch())
            )
            return
        end = _reasons.task_end(previous, update)
        if restart.policy is RestartPolicy.ON_FAILURE:
            end = _reasons.past_restart_deadline(end, deadline_s)
        self._finish(_reasons.ended(run, RunStatus.FAILED, now, end))

    def _on_deadline(self) -> None:
        if self._run.status is not RunStatus.STARTING:
            return
        logger.warning(
            "Run %s.%s: no task running within its launch deadline; aborting",
            self._run.job_id, self._run.id,
        )  # fmt: skip
        for task_id in self._context.router.close_run(self._key):
            self._context.launcher.kill(task_id)
        now = self._context.clock()
        end = _reasons.launch_deadline(self._run)
        self._finish(_reasons.ended(self._run, RunStatus.FAILED, now, end), aborted=True)

    def _on_timeout(self, task_id: str) -> None:
        failed = timed_out_run(self._run, task_id, self._context.clock())
        if failed is None:
            return
        logger.warning(
            "Run %s.%s: task %s outran timeoutSeconds=%s; killing it",
            failed.job_id, failed.id, task_id, failed.run_spec.timeout_s,
        )  # fmt: skip
        for each in self._context.router.close_run(self._key):
            self._context.launcher.kill(each)
        self._context.metrics.counter("jobs.timedout").inc()
        self._finish(failed)

    def _arm_deadline(self) -> None:
        """Abort if no task runs in time: maxLaunchDelay, or a schedule's
        startingDeadlineSeconds."""
        run = self._run
        limits = [run.run_spec.max_launch_delay_s]
        if run.starting_deadline_s is not None:
            limits.append(run.starting_deadline_s)
        due = run.created_at + timedelta(seconds=min(limits))
        now = self._context.clock()
        if due <= now and self._restored:  # passed while no server ran: hear if the task runs
            due = now + timedelta(seconds=ADOPTION_GRACE_S)
        self._deadline = self._context.timers.call_at(due, lambda: self.actor_ref.tell(_Deadline()))

    def _finish(self, run: JobRun, *, aborted: bool = False) -> None:
        self._run = run
        self._context.router.close_run(self._key)
        logger.info(
            "Run %s.%s finished %s after %.1f s",
            run.job_id, run.id, run.status,
            ((run.completed_at or run.created_at) - run.created_at).total_seconds(),
        )  # fmt: skip
        self._tell_job(RunFinished(run, aborted=aborted))
        self.stop()

    def _save(self, run: JobRun, *, retry: bool = True) -> bool:
        """Persist the run, then tell the job; True if the store took it. A refused write is
        retried with back-off (`retry`), or left to the caller. A run deleted meanwhile
        (stopped) ends this actor."""
        if self._write is not None:  # this write carries the pending status too
            self._write.cancel()
            self._write = None
        try:
            self._context.runs.update(run)
        except NoNodeError:
            self.stop()
            return False
        except StorageError as exc:
            if not retryable(exc):
                raise
            self._refused(run, exc, retry=retry)
            return False
        if self._write_failures:
            logger.info("Run %s.%s: its state is persisted again", run.job_id, run.id)
            self._write_failures = 0
        self._run = run
        self._tell_job(RunChanged(run))
        return True

    def _refused(self, run: JobRun, exc: StorageError, *, retry: bool) -> None:
        """Log the first refusal of a series, count each; with `retry`, keep following the run
        and write its state again later (the job shows the state the store holds meanwhile)."""
        self._context.metrics.counter("jobs.write.failures").inc()
        if not self._write_failures:
            logger.warning(
                "Run %s.%s: cannot persist its state (%s); retrying with back-off",
                run.job_id, run.id, exc,
            )  # fmt: skip
        if retry:
            self._run = run
            self._write_failures += 1
            delay_s = WRITE_BACKOFF.delay_s(self._write_failures)
            self._write = tell_later(self._context, delay_s, self.actor_ref, _Write())

    def _save_later(self, run: JobRun) -> None:
        """Tell the job the run's new state now and persist it in `ACTIVE_WRITE_DELAY_S`, unless
        the run ends (or is written) first."""
        self._run = run
        self._tell_job(RunChanged(run))
        if self._write is None:
            due = self._context.clock() + timedelta(seconds=ACTIVE_WRITE_DELAY_S)
            self._write = self._context.timers.call_at(due, lambda: self.actor_ref.tell(_Write()))

    def _tell_job(self, message: RunChanged | RunFinished | RunCrashed) -> None:
        try:
            self._job.tell(message)
        except pykka.ActorDeadError:  # it failed: restarted from the store, it adopts the run
            logger.debug("Run %s.%s: its job is restarting; %r dropped", *self._key, message)
