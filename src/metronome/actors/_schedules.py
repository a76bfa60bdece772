"""A job's schedules in time: which instant each fires next, and what a fired instant means.

Plain helper of the job actor (runs on its thread). Each enabled schedule has one timer on the
shared `TimerService`; a fired timer tells the job actor a `Fire`. Every change re-arms all of the
job's timers under a new generation, so a timer armed before the change is recognised and dropped.

Marks: per schedule, the last instant handled (run, skipped, paused or missed), kept in the
job's history record. After a restart the instants after the mark are the ones missed meanwhile:
those the schedule's `catchUp` keeps (by default the latest) run late if still inside
`startingDeadlineSeconds`, the others are counted as missed (or paused, under a pause).

Slot logs: what became of each instant that did not run, as ranges (model/_slots.py), written
with the marks; `with_marks` starts a schedule's log afresh when its timing changes.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from metronome.model import CATCH_UP_ALL_LIMIT, CatchUpPolicy, SlotLog, SlotOutcome, SlotRange
from metronome.scheduling import parse_cron, parse_timezone

if TYPE_CHECKING:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import pykka

    from metronome.actors._context import ActorContext
    from metronome.actors._timers import TimerHandle
    from metronome.model import JobHistory, JobRun, JobSpec, Pause, ScheduleId, ScheduleSpec
    from metronome.scheduling import Recurrence

Marks = dict["ScheduleId", "datetime"]


@dataclass(frozen=True)
class Fire:
    """A schedule's instant has come (told by a timer to the job actor). A `late` one is an
    instant a restart owes, spread by `--max-launch-rate`: its schedule's next instant is
    armed already, and the job's changes meanwhile do not make it stale."""

    schedule_id: ScheduleId
    instant: datetime
    generation: int
    late: bool = False


@dataclass(frozen=True)
class CatchUp:
    """What a restart owes: instants to run late, counts of missed and paused ones, the
    advanced marks, and per schedule the ranges of instants that will not run."""

    late: list[tuple[ScheduleSpec, datetime]]
    missed: int
    paused: int
    marks: Marks
    ranges: dict[ScheduleId, list[SlotRange]]

    def applied_to(self, history: JobHistory) -> JobHistory:
        """`history` with the outcomes recorded, the counters added and the marks advanced."""
        for schedule_id, ranges in self.ranges.items():
            history = _logged(history, schedule_id, ranges)
        return dataclasses.replace(
            history,
            schedule_marks=self.marks,
            missed_count=history.missed_count + self.missed,
            paused_count=history.paused_count + self.paused,
        )


class ScheduleTimers:
    """A job's armed timers, one per enabled schedule: each tells the job actor when it is due."""

    __slots__ = ("_armed", "_context", "_generation", "_handles", "_job")  # one per job

    def __init__(self, context: ActorContext, job: pykka.ActorRef[Any]) -> None:
        self._context = context
        self._job = job
        self._handles: dict[ScheduleId, TimerHandle] = {}
        self._armed: dict[ScheduleId, ScheduleSpec] = {}
        self._generation = 0

    def restore(self, history: JobHistory, runs: tuple[JobRun, ...]) -> Marks:
        """Marks as stored, advanced to the instants of scheduled runs that were persisted after
        the history was last saved: those instants were handled."""
        marks = dict(history.schedule_marks)
        for run in runs:
            if run.schedule_id is not None and run.scheduled_at is not None:
                marks = _advanced(marks, run.schedule_id, run.scheduled_at)
        return marks

    def catch_up(self, spec: JobSpec, marks: Marks, pause: Pause | None) -> CatchUp:
        """What the instants after each mark, up to now, owe under the schedule's `catchUp`;
        those `pause` holds are paused, not missed."""
        now = self._context.clock()
        late: list[tuple[ScheduleSpec, datetime]] = []
        ranges: dict[ScheduleId, list[SlotRange]] = {}
        missed, paused, marks = 0, 0, dict(marks)
        for schedule in spec.schedules:
            mark = marks.get(schedule.id)
            if not schedule.enabled or mark is None:
                continue
            owed = _owed(schedule, mark, now, pause)
            if owed is None:
                continue
            marks[schedule.id] = owed.last
            late.extend((schedule, instant) for instant in owed.late)
            ranges[schedule.id] = owed.ranges
            missed += sum(r.count for r in owed.ranges if r.outcome is SlotOutcome.MISSED)
            paused += sum(r.count for r in owed.ranges if r.outcome is SlotOutcome.PAUSED)
        return CatchUp(late, missed, paused, marks, ranges)

    def rearm(self, spec: JobSpec, marks: Marks) -> Marks:
        """Arm every enabled schedule; returns the marks of the armed schedules.

        A schedule that is new, re-enabled, or whose cron or zone changed starts from now: the
        instants before it existed in that form were never due.
        """
        first = self._generation == 0
        self.disarm()
        now = self._context.clock()
        armed: dict[ScheduleId, ScheduleSpec] = {}
        new_marks: Marks = {}
        self._generation += 1
        for schedule in spec.schedules:
            if not schedule.enabled:
                continue
            mark = marks.get(schedule.id)
            previous = self._armed.get(schedule.id)
            if mark is None or (not first and not _same_timing(previous, schedule)):
                mark = now
            new_marks[schedule.id] = mark
            armed[schedule.id] = schedule
            self._arm(schedule, _cron(schedule).next_after(max(mark, now), _zone(schedule)))
        self._armed = armed
        return new_marks

    def accept(self, spec: JobSpec, fire: Fire) -> ScheduleSpec | None:
        """The schedule a fired timer stands for, with its next instant armed; None if stale."""
        if fire.generation != self._generation and not fire.late:
            return None
        schedule = spec.schedule(fire.schedule_id)
        if schedule is None or not schedule.enabled:
            return None
        if not fire.late:
            self._arm(schedule, _next_after(schedule.cron, schedule.timezone, fire.instant))
        return schedule

    def deferred(self, schedule: ScheduleSpec, instant: datetime) -> bool:
        """Whether an instant a restart owes waits for its slot under `--max-launch-rate` (it
        then comes as a late `Fire`); False: it fires now."""
        now = self._context.clock()
        slot = self._context.launch_rate.slot(now, instant, schedule.starting_deadline_s)
        if slot <= now:
            return False
        fire = Fire(schedule.id, instant, self._generation, late=True)
        self._context.timers.call_at(slot, lambda: self._job.tell(fire))
        return True

    def marked(self, history: JobHistory, schedule_id: ScheduleId, instant: datetime) -> JobHistory:
        return dataclasses.replace(
            history, schedule_marks=_advanced(history.schedule_marks, schedule_id, instant)
        )

    def not_run(
        self, history: JobHistory, schedule_id: ScheduleId, instant: datetime, why: SlotOutcome
    ) -> JobHistory:
        """`history` with a fired instant that did not run recorded, and marked."""
        history = _logged(history, schedule_id, [SlotRange(instant, instant, why)])
        return self.marked(history, schedule_id, instant)

    def with_marks(self, history: JobHistory, spec: JobSpec, marks: Marks) -> JobHistory:
        """`history` with the marks `rearm` returned for `spec`. A schedule whose mark it reset
        (new, re-enabled, or its timing changed) starts a new slot log: the instants of its
        earlier form are not its instants. Logs of schedules the job no longer has go."""
        ids = {schedule.id for schedule in spec.schedules}
        logs = {i: log for i, log in history.slot_logs.items() if i in ids}
        for schedule_id, mark in marks.items():
            if history.schedule_marks.get(schedule_id) != mark or schedule_id not in logs:
                logs[schedule_id] = SlotLog(since=mark)
        return dataclasses.replace(history, schedule_marks=marks, slot_logs=logs)

    def disarm(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles = {}

    def _arm(self, schedule: ScheduleSpec, instant: datetime) -> None:
        fire = Fire(schedule.id, instant, self._generation)
        deadline_s = schedule.starting_deadline_s
        handle = self._context.timers.call_at(instant, lambda: self._due(fire, deadline_s))
        self._handles[schedule.id] = handle

    def _due(self, fire: Fire, deadline_s: int) -> None:
        """On the timer thread: tell the job now, or at its slot under `--max-launch-rate` (a
        re-arm meanwhile makes that `Fire` stale, and the job drops it)."""
        now = self._context.clock()
        slot = self._context.launch_rate.slot(now, fire.instant, deadline_s)
        if slot <= now:
            self._job.tell(fire)
        else:
            self._context.timers.call_at(slot, lambda: self._job.tell(fire))


@dataclass(frozen=True)
class _Owed:
    last: datetime
    late: list[datetime]
    ranges: list[SlotRange]
    """The instants that will not run (missed or paused), as ranges in order."""


def _owed(
    schedule: ScheduleSpec, mark: datetime, now: datetime, pause: Pause | None
) -> _Owed | None:
    """What the schedule's instants in (mark, now] owe; None when there are none.

    Instants inside `startingDeadlineSeconds` are a suffix of them, so keeping the newest
    `keep` that are inside it (and not paused) is the rule of each policy (LATEST keeps one,
    NONE none). The walk keeps runs of paused and of other instants; at its end the kept ones,
    the newest of the others, come off the latter and the rest of those were missed.
    """
    keep = _KEEP[schedule.catch_up or CatchUpPolicy.LATEST]
    deadline = timedelta(seconds=schedule.starting_deadline_s)
    recent: deque[datetime] = deque(maxlen=keep)
    tail: deque[datetime] = deque(maxlen=keep + 1)  # the newest instants not paused
    runs: list[list[Any]] = []  # [first, last, paused, count], in order
    for instant in _cron(schedule).fire_times(mark, now, _zone(schedule)):
        paused = pause is not None and pause.holds_at(instant)
        if runs and runs[-1][2] is paused:
            runs[-1][1] = instant
            runs[-1][3] += 1
        else:
            runs.append([instant, instant, paused, 1])
        if not paused:
            tail.append(instant)
            if now - instant <= deadline:
                recent.append(instant)
    if not runs:
        return None
    last = runs[-1][1]
    late = len(recent)
    for index in range(len(runs) - 1, -1, -1):
        if late == 0:
            break
        if runs[index][2]:
            continue
        if runs[index][3] <= late:
            late -= runs[index][3]
            del runs[index]
        else:
            runs[index][1] = tail[-len(recent) - 1]  # the newest one before the kept ones
            runs[index][3] -= late
            late = 0
    ranges = [
        SlotRange(first, end, SlotOutcome.PAUSED if paused else SlotOutcome.MISSED, count)
        for first, end, paused, count in runs
    ]
    return _Owed(last, list(recent), ranges)


def _logged(history: JobHistory, schedule_id: ScheduleId, ranges: list[SlotRange]) -> JobHistory:
    """`history` with `ranges` of the schedule's instants added to its slot log (one is
    started at the schedule's mark for a schedule that has none yet)."""
    if not ranges:
        return history
    mark = history.schedule_marks.get(schedule_id)
    since = mark if mark is not None else ranges[0].first - timedelta(microseconds=1)
    log = history.slot_logs.get(schedule_id) or SlotLog(since=since)
    logs = {**history.slot_logs, schedule_id: log.extended(ranges, mark)}
    return dataclasses.replace(history, slot_logs=logs)


_KEEP = {CatchUpPolicy.NONE: 0, CatchUpPolicy.LATEST: 1, CatchUpPolicy.ALL: CATCH_UP_ALL_LIMIT}


def _advanced(marks: Marks, schedule_id: ScheduleId, instant: datetime) -> Marks:
    current = marks.get(schedule_id)
    return {**marks, schedule_id: instant if current is None else max(current, instant)}


def _same_timing(previous: ScheduleSpec | None, schedule: ScheduleSpec) -> bool:
    return previous is not None and (previous.cron, previous.timezone) == (
        schedule.cron,
        schedule.timezone,
    )


@functools.lru_cache(maxsize=256)
def _next_after(cron: str, timezone: str, instant: datetime) -> datetime:
    """The instant after a fired one: the same for every job of the cron that fired with it, so
    a burst of 10,000 computes it once (the search was 7 % of such a burst's GIL time)."""
    return parse_cron(cron).next_after(instant, parse_timezone(timezone))


def _cron(schedule: ScheduleSpec) -> Recurrence:
    return parse_cron(schedule.cron)


def _zone(schedule: ScheduleSpec) -> ZoneInfo:
    return parse_timezone(schedule.timezone)
