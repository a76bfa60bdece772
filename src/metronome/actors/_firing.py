"""A job's schedules firing: what each fired instant does to the job (metronome-behavior.md §3.4).

Mixed into the job actor and run on its thread. A fired instant runs, unless the job is paused at
it (recorded PAUSED) or a run is active under FORBID (recorded SKIPPED); under REPLACE the active
runs end first. Either way the schedule's mark moves in memory at once, so a timer armed next never
replays the instant even while the store refuses the write that records it (`PendingWrites`
retries it). After a restart, `_catch_up` settles the instants missed meanwhile
(actors/_schedules.py says which run late and which are counted); `_fire_late` runs those owed.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from metronome.actors import _pause as pausing
from metronome.model import ConcurrencyPolicy, EndKind, RunEnd, SlotOutcome

if TYPE_CHECKING:
    from datetime import datetime

    from metronome.actors._context import ActorContext
    from metronome.actors._schedules import CatchUp, Fire, ScheduleTimers
    from metronome.actors._supervision import PendingWrites
    from metronome.model import JobHistory, JobRun, JobSpec, RunId, ScheduleId, ScheduleSpec

logger = logging.getLogger(__name__)


class ScheduleFiring:
    """The job actor's handling of its schedules' instants; what it needs of the job actor is
    declared here, and the job actor defines it."""

    _context: ActorContext
    _spec: JobSpec
    _history: JobHistory
    _runs: dict[RunId, JobRun]
    _schedules: ScheduleTimers
    _pending: PendingWrites

    if TYPE_CHECKING:

        def _start_run(self, now: datetime, schedule: ScheduleSpec, instant: datetime) -> JobRun:
            """Start a scheduled run of `instant` (its actor persists it)."""

        def _abort(self, run_id: RunId, end: RunEnd, *, requested: bool) -> JobRun:
            """End an active run FAILED now."""

        def _save_history(self, history: JobHistory) -> None:
            """Persist `history` and hold it."""

        def _publish(self) -> None:
            """Publish the job to the read view."""

    def _catch_up(self) -> CatchUp:
        """Settle what the instants missed while no instance ran owe (counts, slot outcomes,
        advanced marks); the caller fires the late ones (`_fire_late`) once its timers are armed."""
        marks = self._schedules.restore(self._history, tuple(self._runs.values()))
        catch_up = self._schedules.catch_up(self._spec, marks, self._history.pause)
        if catch_up.missed:
            logger.warning(
                "Job %s: %d scheduled instants were missed", self._spec.id, catch_up.missed
            )
            self._context.metrics.counter("jobs.missed").inc(catch_up.missed)
        if catch_up.applied_to(self._history) != self._history:
            # The marks hold in memory at once (as a fire's do), so the timers armed below never
            # replay a missed instant even while the store refuses the write.
            self._history = dataclasses.replace(self._history, schedule_marks=catch_up.marks)
            self._pending.run("save the missed instants", lambda: self._record_caught_up(catch_up))
        return catch_up

    def _fire_late(self, catch_up: CatchUp) -> None:
        for schedule, instant in catch_up.late:
            if not self._schedules.deferred(schedule, instant):
                self._fire(schedule, instant)

    def _on_fire(self, fire: Fire) -> None:
        schedule = self._schedules.accept(self._spec, fire)
        if schedule is not None:
            self._fire(schedule, fire.instant)

    def _fire(self, schedule: ScheduleSpec, instant: datetime) -> None:
        """Apply the schedule's concurrency policy to its instant (metronome-behavior.md §3.4)."""
        now = self._context.clock()
        self._context.metrics.timer("jobs.trigger.lateness").update(
            max((now - instant).total_seconds(), 0.0)
        )
        if pausing.paused_at(self._history, instant):
            logger.info("Job %s: %s not run (the job is paused)", self._spec.id, instant)
            self._context.metrics.counter("jobs.paused").inc()
            self._pending.run(
                f"record the paused {instant}",
                lambda: self._not_run(schedule, instant, SlotOutcome.PAUSED),
            )
            return
        policy = schedule.concurrency_policy
        if self._runs and policy is ConcurrencyPolicy.FORBID:
            logger.info("Job %s: skipping %s (a run is active, FORBID)", self._spec.id, instant)
            self._context.metrics.counter("jobs.skipped").inc()
            self._pending.run(
                f"record the skipped {instant}",
                lambda: self._not_run(schedule, instant, SlotOutcome.SKIPPED),
            )
            return
        if policy is ConcurrencyPolicy.REPLACE:
            for run_id in list(self._runs):
                self._abort(run_id, RunEnd(EndKind.REPLACED, by=schedule.id), requested=False)
        self._history = self._schedules.marked(self._history, schedule.id, instant)
        self._start_run(now, schedule, instant)

    def _record_caught_up(self, catch_up: CatchUp) -> None:
        """Record what a restart owed (counts, slot outcomes), keeping the marks as they are
        now: they were advanced in memory at once, perhaps further by fires since."""
        marks = self._history.schedule_marks
        history = catch_up.applied_to(self._history)
        self._save_history(dataclasses.replace(history, schedule_marks=marks))

    def _not_run(self, schedule: ScheduleSpec, instant: datetime, why: SlotOutcome) -> None:
        """Record a fired instant that did not run: skipped (FORBID) or paused."""
        if why is SlotOutcome.PAUSED:
            history = pausing.with_paused_instants(self._history, 1)
        else:
            history = dataclasses.replace(
                self._history, skipped_count=self._history.skipped_count + 1
            )
        self._save_history(self._schedules.not_run(history, schedule.id, instant, why))
        self._publish()

    def _rearm(self) -> None:
        marks = self._schedules.rearm(self._spec, self._history.schedule_marks)
        if self._schedules.with_marks(self._history, self._spec, marks) != self._history:
            self._pending.run("save the schedules' marks", lambda: self._save_marks(marks))

    def _save_marks(self, marks: dict[ScheduleId, datetime]) -> None:
        """Save the armed schedules' marks (a reset one starts a new slot log), never moving
        back one that a fire advanced since."""
        current = self._history.schedule_marks
        merged = {sid: max(mark, current.get(sid, mark)) for sid, mark in marks.items()}
        history = self._schedules.with_marks(self._history, self._spec, merged)
        if history != self._history:
            self._save_history(history)
