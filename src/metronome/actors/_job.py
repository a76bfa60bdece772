"""One actor per job: owns its spec, schedules, active runs and history.

Every change is persisted first, then published to the read view, then answered. Run actors are
its children: they tell it about their runs; it never asks them.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pykka
from pykka.typing import ActorMemberMixin, proxy_method

from metronome.actors import _backfill as backfills
from metronome.actors import _dependencies as dependencies
from metronome.actors import _pause as pausing
from metronome.actors import _reasons
from metronome.actors._dependencies import ParentFinished
from metronome.actors._firing import ScheduleFiring
from metronome.actors._pause import PauseEnded, PauseTimer
from metronome.actors._run import RunChanged, RunCrashed, RunFinished
from metronome.actors._run_children import RestartRun, RunChildren
from metronome.actors._runtime import PooledActor
from metronome.actors._schedules import Fire, ScheduleTimers
from metronome.actors._supervision import PendingWrites, RetryWrites, describe
from metronome.actors._view import JobEntry
from metronome.errors import Conflict, RunNotFound, ScheduleNotFound
from metronome.model import (
    ConcurrencyPolicy,
    EndKind,
    JobHistory,
    JobRun,
    RunEnd,
    RunStatus,
    new_run_id,
    new_task_id,
)
from metronome.storage import NoNodeError, StorageError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime
    from types import TracebackType

    from metronome.actors._context import ActorContext
    from metronome.actors._runtime import CallbackFuture
    from metronome.actors._supervisor import JobSupervisorProxy
    from metronome.model import JobSpec, Pause, RunId, RunOverrides, ScheduleSpec
    from metronome.storage import Op

logger = logging.getLogger(__name__)
_BY_MANUAL_RUN = "replaced by a manual run that respects the REPLACE policy"


@dataclass(frozen=True)
class CreateJob:
    """Asked of a new job actor by its supervisor: persist the job (see `JobActor.create`).

    A message rather than a proxy call: building a proxy introspects every attribute of the
    actor, which was the largest single cost of a job creation (docs/benchmarks.md)."""


@dataclass(frozen=True)
class _Created:
    """The outcome of a new job's write (`error` None: committed), for the job actor."""

    error: BaseException | None
    reply: pykka.Future[JobSpec]
    undo: Callable[[], None]
    """Forgets the job's dependency edges, claimed for the write."""

    def settle(self, spec: JobSpec) -> None:
        """Answer the request: the job, or the write's refusal (its claim then undone)."""
        if self.error is None:
            self.reply.set(spec)
            return
        self.undo()
        error = self.error
        self.reply.set_exception((type(error), error, error.__traceback__))


class JobActor(PooledActor, ScheduleFiring):
    """Owns one job. `runs` and `history` are what the store holds for it when loaded; its
    schedules' instants are handled by `ScheduleFiring` (actors/_firing.py)."""

    first_in_pool = True
    """A fire, a request or a run's end is never queued behind the work of run actors: when
    10,000 jobs fire together, the last fire waited for the first runs' writes and launches."""

    def __init__(
        self,
        context: ActorContext,
        spec: JobSpec,
        *,
        supervisor: JobSupervisorProxy,
        runs: tuple[JobRun, ...] = (),
        history: JobHistory | None = None,
        loaded: bool = False,
    ) -> None:
        super().__init__(context.pool)
        self._context = context
        self._spec = spec
        self._supervisor = supervisor
        self._runs: dict[RunId, JobRun] = {run.id: run for run in runs}
        self._unconfirmed: dict[RunId, None] = {}
        """Scheduled runs whose actor has not yet written their record (a dict as a set: an
        empty set costs 216 bytes on each idle job, an empty dict 64)."""
        self._history = history or JobHistory(job_id=spec.id)
        self._schedules = ScheduleTimers(context, self.actor_ref)
        self._pause_timer = PauseTimer(context, self.actor_ref)
        self._entry: JobEntry | None = None
        self._loaded = loaded
        self._pending = PendingWrites(context, self.actor_ref, f"Job {spec.id}")
        """Writes the store refused, retried with back-off (actors/_supervision.py)."""
        self._children = RunChildren(context, spec.id, self.actor_ref)
        self._deleted = False
        self._held: list[Any] | None = None
        """Messages that arrived while the creation's write was on its way."""

    # -- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        if self._loaded:
            self._load()

    def _load(self) -> None:
        """Take over a job loaded from the store: adopt its runs, catch up missed instants."""
        history = self._history
        for run in list(self._runs.values()):
            if any(info.id == run.id for info in (*history.successful_runs, *history.failed_runs)):
                logger.info("Run %s.%s already finished; removing its record", run.job_id, run.id)
                self._pending.run(
                    f"remove the record of finished run {run.id}",
                    functools.partial(self._remove_record, run.id),
                )
                del self._runs[run.id]
                continue
            self._children.spawn(run, restored=True)
        catch_up = self._catch_up()
        self._pause_timer.arm(self._history.pause)
        self._rearm()
        self._publish()
        self._fire_late(catch_up)
        self._start_backfills()

    def create(self) -> pykka.Future[JobSpec]:
        """Hand the new job's write to the store; the future returned answers once it is
        committed and the job published, or with the store's refusal (the actor then stops and
        the supervisor forgets it). The actor's thread is not held while the write waits: what
        arrives meanwhile (a schedule firing) waits in `_held` for the outcome.

        A job with schedules or dependencies is written with its first history (the schedules'
        and the parents' marks) in one commit: one round trip, and never a job without them.
        """
        reply: pykka.Future[JobSpec] = self._create_future()
        try:
            undo = self._context.dependencies.claim(self._spec, new=True)
        except Exception:
            self._abandon()
            raise
        try:
            self._held = []
            self._persist_creation(lambda error: self._committed(_Created(error, reply, undo)))
        except Exception:
            undo()
            self._abandon()
            raise
        return reply

    def _persist_creation(self, done: Callable[[BaseException | None], None]) -> None:
        marks = self._schedules.rearm(self._spec, {})
        create = self._context.specs.create_ops(self._spec)
        history = dependencies.with_baseline(self._context.view, self._spec, self._history)
        if marks or history is not self._history:
            history = self._schedules.with_marks(history, self._spec, marks)
            self._history = history
            self._context.histories.create_then(history, done, also=create)
        else:
            self._context.specs.create_then(self._spec, done)

    def _committed(self, created: _Created) -> None:
        """On the store's thread: the outcome goes to the actor, or, if it stopped meanwhile
        (its leadership ended), straight to the waiting request."""

        def handled(told: pykka.Future[Any]) -> None:
            try:
                told.get(timeout=0)
            except pykka.ActorDeadError:  # it stopped before it read the outcome
                created.settle(self._spec)

        try:
            told = self.actor_ref.ask(created, block=False)
        except pykka.ActorDeadError:
            created.settle(self._spec)
            return
        cast("CallbackFuture", told).add_done_callback(handled)

    def _on_created(self, created: _Created) -> None:
        held, self._held = self._held or [], None
        if created.error is not None:
            self._abandon()
            created.settle(self._spec)
            return
        logger.info("Created job %s", self._spec.id)
        self._publish()
        created.settle(self._spec)
        for message in held:  # timer fires and the like, for which a later turn is as good
            self.actor_ref.tell(message)

    def _abandon(self) -> None:
        """The creation failed: the job never existed."""
        self._schedules.disarm()
        self._supervisor.forget(self._spec.id)
        self.stop()

    def on_stop(self) -> None:
        self._schedules.disarm()
        self._pause_timer.cancel()
        self._pending.cancel()

    def on_failure(
        self,
        exception_type: type[BaseException] | None,
        exception_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Hand the failure to the supervisor, which restarts this job from the store. Its run
        actors stop with it (the restarted job adopts their tasks again); its timers are
        disarmed; the view says why the job cannot be served meanwhile."""
        self.on_stop()
        self._children.stop_all()
        cause = describe(exception_value)
        self._context.view.mark_failed(self._spec.id, f"its actor failed ({cause}); restarting")
        self._supervisor.job_failed(self._spec.id, cause)

    def on_receive(self, message: Any) -> Any:
        if self._deleted:
            return None  # told before the deletion, read after it: nothing left to do or publish
        if isinstance(message, CreateJob):
            return self.create()
        if isinstance(message, _Created):
            self._on_created(message)
            return None
        if self._held is not None:  # the creation's write is on its way
            self._held.append(message)
            return None
        if isinstance(message, RunChanged):
            self._on_run_changed(message.run)
        elif isinstance(message, RunFinished):
            self._on_run_finished(message.run, aborted=message.aborted, stored=message.stored)
        elif isinstance(message, Fire):
            self._on_fire(message)
        elif isinstance(message, ParentFinished):
            self._start_owed_run()
        elif isinstance(message, PauseEnded):
            if message.pause == self._history.pause:  # not a pause replaced meanwhile
                self.resume()
        elif isinstance(message, RetryWrites):
            self._pending.retry()
            self._publish()
        elif isinstance(message, RunCrashed):
            self._on_run_crashed(message)
        elif isinstance(message, RestartRun):
            self._restart_run(message.run_id)
        else:
            super().on_receive(message)
        return None

    # -- the job and its schedules -----------------------------------------------------------

    def update(self, spec: JobSpec, *, keep_schedules: bool) -> JobSpec:
        """Replace the job; `keep_schedules` keeps the stored schedules (PUT /v1/jobs/{id})."""
        self._pending.ensure_clear()
        if keep_schedules:
            spec = spec.with_schedules(self._spec.schedules)
        self._save(spec)
        logger.info("Updated job %s", spec.id)
        self._start_owed_run()
        return spec

    def delete(self, *, stop_runs: bool = False) -> JobSpec:
        """Delete the job with its runs and history.

        Raises:
            Conflict: the job has active runs and `stop_runs` is false.
        """
        self._pending.ensure_clear()
        if self._runs and not stop_runs:
            msg = "There are active job runs. Override with stopCurrentJobRuns=true"
            raise Conflict(msg)
        with self._context.dependencies.released(self._spec.id):  # 409 while it has children
            self._context.specs.delete(self._spec.id)  # with its runs: first, so a 503 kills none
        self._deleted = True
        for run_id in list(self._runs):
            self._children.kill(run_id)
            self._context.metrics.counter("jobs.failed").inc()
            self._context.metrics.counter("jobs.aborted").inc()
        self._context.view.withdraw(self._spec.id)
        self._supervisor.forget(self._spec.id)
        logger.info("Deleted job %s", self._spec.id)
        self.stop()
        return self._spec

    def add_schedule(self, schedule: ScheduleSpec) -> ScheduleSpec:
        self._pending.ensure_clear()
        if self._spec.schedule(schedule.id) is not None:
            msg = f"A schedule with id {schedule.id} already exists"
            raise Conflict(msg)
        self._save(self._spec.with_schedules((*self._spec.schedules, schedule)))
        return schedule

    def update_schedule(self, schedule: ScheduleSpec) -> ScheduleSpec:
        self._pending.ensure_clear()
        if self._spec.schedule(schedule.id) is None:
            raise ScheduleNotFound(schedule.id)
        schedules = tuple(schedule if s.id == schedule.id else s for s in self._spec.schedules)
        self._save(self._spec.with_schedules(schedules))
        return schedule

    def delete_schedule(self, schedule_id: str) -> ScheduleSpec:
        self._pending.ensure_clear()
        schedule = self._spec.schedule(schedule_id)
        if schedule is None:
            raise ScheduleNotFound(schedule_id)
        self._save(
            self._spec.with_schedules(tuple(s for s in self._spec.schedules if s is not schedule))
        )
        return schedule

    def pause(self, pause: Pause) -> Pause:
        """Pause the job's schedules (replacing any pause it has) until `pause.until`."""
        self._save_history(pausing.with_pause(self._history, pause))
        self._pause_timer.arm(pause)
        logger.info("Job %s paused by %s: %s", self._spec.id, pause.by, pause.reason)
        self._publish()
        return pause

    def resume(self) -> None:
        """End the job's pause, if it has one; its failure count starts again."""
        if self._history.pause is None:
            return
        self._save_history(pausing.with_pause(self._history, None))
        self._pause_timer.cancel()
        logger.info("Job %s resumed", self._spec.id)
        self._publish()
        self._run_if_parents_succeeded()

    def backfill(self, schedule_id: str, instants: tuple[datetime, ...]) -> backfills.Backfill:
        """Run the schedule's past `instants` once each (see `_backfill`).

        Raises:
            ScheduleNotFound: the job has no such schedule.
            Conflict: the job's queue would hold more than `MAX_BACKFILL` instants.
        """
        schedule = self._spec.schedule(schedule_id)
        if schedule is None:
            raise ScheduleNotFound(schedule_id)
        history, answer = backfills.requested(
            self._history, self._runs.values(), schedule.id, instants
        )
        if len(history.backfills) > backfills.MAX_BACKFILL:
            limit = backfills.MAX_BACKFILL
            msg = f"Job {self._spec.id} would have more than {limit} instants to backfill"
            raise Conflict(msg)
        if answer.queued:
            self._save_history(history)
            logger.info(
                "Job %s: %d instants of %s to backfill",
                self._spec.id,
                len(answer.queued),
                schedule.id,
            )
            self._publish()
            self._start_backfills()
        return answer

    def _start_backfills(self) -> None:
        for schedule, instant, history in backfills.startable(
            self._spec, self._history, bool(self._runs)
        ):
            if schedule is None:
                self._save_history(history)
            else:
                self._start_run(self._context.clock(), schedule, instant, history=history)

    # -- runs ------------------------------------------------------------------------------

    def trigger(
        self,
        overrides: RunOverrides | None = None,
        *,
        respect_concurrency: bool = False,
        by: str | None = None,
    ) -> JobRun:
        """Start a run now, with `overrides` for it alone. A manual run has no deadline and
        ignores the concurrency policy unless asked to respect it; `by` is who asked, when
        authentication is on.

        Raises:
            Conflict: asked to respect a FORBID policy while a run is active.
        """
        self._pending.ensure_clear()
        if respect_concurrency and self._runs:
            policy = self._spec.manual_concurrency_policy()
            if policy is ConcurrencyPolicy.FORBID:
                msg = f"Job {self._spec.id} has an active run and its concurrency policy is FORBID"
                raise Conflict(msg)
            if policy is ConcurrencyPolicy.REPLACE:
                for run_id in list(self._runs):
                    self._abort(run_id, RunEnd(EndKind.REPLACED, message=_BY_MANUAL_RUN))
        return self._start_run(self._context.clock(), overrides=overrides, triggered_by=by)

    def stop_run(self, run_id: str, by: str | None = None) -> JobRun:
        """Stop an active run: its tasks are killed and it ends FAILED at once.

        Raises:
            RunNotFound: no active run with that id.
        """
        self._pending.ensure_clear()
        if run_id not in self._runs:
            raise RunNotFound(run_id)
        return self._abort(cast("RunId", run_id), RunEnd(EndKind.STOPPED, by=by))

    def _start_run(
        self,
        now: datetime,
        schedule: ScheduleSpec | None = None,
        instant: datetime | None = None,
        *,
        overrides: RunOverrides | None = None,
        history: JobHistory | None = None,
        triggered_by: str | None = None,
        by_dependencies: bool = False,
    ) -> JobRun:
        run_id = new_run_id(now)
        # The first task's id is persisted with the run, so the run actor can launch it without
        # another write and a restart still finds (and adopts) it.
        task = self._context.new_task(new_task_id(self._spec.id, run_id), now)
        run = JobRun(
            id=run_id,
            job_id=self._spec.id,
            status=RunStatus.STARTING,
            created_at=now,
            run_spec=overrides.applied_to(self._spec.run) if overrides else self._spec.run,
            tasks=(task,),
            schedule_id=schedule.id if schedule else None,
            scheduled_at=instant,
            starting_deadline_s=schedule.starting_deadline_s if schedule else None,
            overrides=overrides,
            triggered_by=triggered_by,
            by_dependencies=by_dependencies,
        )
        if schedule is None or history is not None:
            self._persist_with(run, history)
            logger.info("Run %s.%s started", run.job_id, run.id)
            self._children.spawn(run)
        else:
            # A scheduled run is persisted (and logged) by its own actor before it launches, so
            # this actor is free for the next instant at once: 1,000 jobs due together do not
            # queue behind each other's writes. Lost before it is written, the instant is simply
            # replayed.
            self._children.spawn(run, persisted=False)
            self._unconfirmed[run.id] = None
        self._runs[run.id] = run
        self._context.metrics.counter("jobs.started").inc()
        self._publish()
        return run

    def _persist_with(self, run: JobRun, history: JobHistory | None) -> None:
        """A manual run is on disk before its 201; a dependency run, with `history` (its
        parents' new marks) in the same commit, so it is neither lost nor run twice; a
        backfill run likewise, with its instant taken off the queue."""
        if history is None:
            self._context.runs.create(run)
        else:
            self._save_history(history, also=[self._context.runs.create_op(run)])

    def _on_run_crashed(self, crashed: RunCrashed) -> None:
        """Restart a failed run actor from its record; end a run whose actor keeps failing."""
        run_id = crashed.run.id
        if run_id in self._runs and not self._children.crashed(run_id, crashed.cause):
            end = RunEnd(EndKind.LOST, message=f"its actor kept failing: {crashed.cause}")
            self._abort(run_id, end, requested=False)

    def _restart_run(self, run_id: RunId) -> None:
        """Start the run's actor again from its record (its status there may be older than
        the one the failed actor told; the launcher reports its tasks again)."""
        run = self._runs.get(run_id)
        if run is None or run_id in self._children:
            return  # ended or restarted meanwhile
        if run_id in self._unconfirmed:  # its record may not exist yet: the actor writes it
            self._children.spawn(run, persisted=False)
            return
        try:
            stored = self._context.runs.load(self._spec.id, run_id)
        except StorageError as exc:
            self._on_run_crashed(RunCrashed(run, f"cannot read its record: {exc}"))
            return
        if stored is None:
            logger.warning("Run %s.%s: its record is gone; it ends", self._spec.id, run_id)
            end = RunEnd(EndKind.LOST, message="its record was deleted while its actor failed")
            self._abort(run_id, end, requested=False)
            return
        self._runs[run_id] = stored
        self._children.spawn(stored, restored=True)

    def _abort(self, run_id: RunId, end: RunEnd, *, requested: bool = True) -> JobRun:
        """End an active run FAILED now: record it, kill its tasks, forget it.

        A `requested` abort (an API call) is recorded first, so a write the store refuses (a
        503) has changed nothing; any other (a REPLACE instant, a run actor that keeps failing)
        kills at once and records the end when the store takes it.
        """
        stopped = _reasons.ended(self._runs[run_id], RunStatus.FAILED, self._context.clock(), end)
        # A record still being written is cleaned up at the next start (it is in the history).
        stored = run_id not in self._unconfirmed
        self._unconfirmed.pop(run_id, None)
        if requested:
            self._record_finished(stopped, aborted=True, stored=stored)
            self._children.kill(run_id)
        else:
            self._children.kill(run_id)
            self._on_run_finished(stopped, aborted=True, stored=stored)
        return stopped

    def _on_run_changed(self, run: JobRun) -> None:
        self._unconfirmed.pop(run.id, None)
        if run.id in self._runs:
            self._runs[run.id] = run
            self._publish()

    def _on_run_finished(self, run: JobRun, *, aborted: bool, stored: bool = True) -> None:
        """Record the run's end; a refused write is retried until the store takes it, and the
        run stays active (as the store says) meanwhile."""
        self._unconfirmed.pop(run.id, None)
        self._pending.run(
            f"record the end of run {run.id} ({run.status})",
            lambda: self._record_finished(run, aborted=aborted, stored=stored),
        )

    def _record_finished(self, run: JobRun, *, aborted: bool, stored: bool) -> None:
        if run.id not in self._runs:
            return  # already finished (stopped while its task ended)
        history = self._history.with_finished(run, self._context.history_count)
        history = pausing.after_failures(self._spec, history, self._context.clock())
        paused_now = history.pause is not self._history.pause
        if run.schedule_id is not None and run.scheduled_at is not None:
            history = self._schedules.marked(history, run.schedule_id, run.scheduled_at)
        # One commit: a crash cannot leave the run both active and in the history.
        try:
            also = [self._context.runs.delete_op(run.job_id, run.id)] if stored else []
            self._save_history(history, also=also)
        except NoNodeError:
            if not stored:
                raise
            # The record is gone: an earlier attempt landed though its answer was lost (a
            # ZooKeeper write that timed out). Its history is what this one writes.
            self._save_history(history)
        del self._runs[run.id]
        self._children.ended(run.id)
        metrics = self._context.metrics
        if paused_now:
            metrics.counter("jobs.autopaused").inc()
        if run.status is RunStatus.SUCCESS:
            metrics.counter("jobs.succeeded").inc()
        else:
            metrics.counter("jobs.failed").inc()
            if aborted:
                metrics.counter("jobs.aborted").inc()
        self._publish()
        dependencies.tell_children(self._context, self._spec.id)
        self._start_owed_run()
        self._start_backfills()

    def _start_owed_run(self) -> None:
        """Start a dependency run if one is due; its write is retried like any other (the
        parents' successes are persisted, so it is owed until it lands)."""
        self._pending.run(
            "start the run its parents' successes owe", self._run_if_parents_succeeded
        )

    def _run_if_parents_succeeded(self) -> None:
        """Start a dependency run if one is due (never beside an active run of this job)."""
        if self._runs or pausing.paused_at(self._history, self._context.clock()):
            return
        due = dependencies.due(self._context, self._spec, self._history)
        if due is not None:
            logger.info("Job %s: every parent succeeded; starting a run", self._spec.id)
            self._start_run(self._context.clock(), history=due, by_dependencies=True)

    # -- persistence and publication -----------------------------------------------------------

    def _remove_record(self, run_id: RunId) -> None:
        with contextlib.suppress(NoNodeError):  # an earlier attempt landed
            self._context.runs.delete(self._spec.id, run_id)

    def _save(self, spec: JobSpec) -> None:
        with self._context.dependencies.claimed(spec):
            history = dependencies.with_baseline(self._context.view, spec, self._history)
            if history is not self._history:
                self._save_history(history)
            self._context.specs.update(spec)
        self._spec = spec
        self._rearm()
        self._publish()

    def _save_history(self, history: JobHistory, *, also: Sequence[Op] = ()) -> None:
        self._context.histories.save(history, also=also)
        self._history = history

    def _publish(self) -> None:
        entry = JobEntry(self._spec, self.actor_ref, tuple(self._runs.values()), self._history)
        if self._entry is not None:
            entry.carry_over(self._entry)
        self._entry = entry
        self._context.view.publish(entry)


class JobActorProxy(ActorMemberMixin, pykka.ActorProxy[JobActor]):
    update = proxy_method(JobActor.update)
    delete = proxy_method(JobActor.delete)
    add_schedule = proxy_method(JobActor.add_schedule)
    update_schedule = proxy_method(JobActor.update_schedule)
    delete_schedule = proxy_method(JobActor.delete_schedule)
    trigger = proxy_method(JobActor.trigger)
    pause = proxy_method(JobActor.pause)
    backfill = proxy_method(JobActor.backfill)
    resume = proxy_method(JobActor.resume)
    stop_run = proxy_method(JobActor.stop_run)


__all__ = ["CreateJob", "JobActor", "JobActorProxy"]
