"""Backfills: past instants of a schedule run once each on request (plain helpers of the job
actor, on its thread).

The instants asked for wait in the job's history record (`JobHistory.backfills`), so a restart
neither loses nor repeats them; each leaves the queue in the same commit that creates its run.
An instant that already has a run (active, or in the history) or is already queued is not
queued again. The schedule's concurrency policy decides how many run at once: ALLOW starts
them all, FORBID and REPLACE one at a time (the next when the job has no active run), oldest
first, never stopping a run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metronome.model import ConcurrencyPolicy

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from datetime import datetime

    from metronome.model import JobHistory, JobRun, JobSpec, ScheduleId, ScheduleSpec

MAX_BACKFILL = 1000
"""Most instants one request, and one job's queue, may hold."""


@dataclass(frozen=True)
class Backfill:
    """What a backfill request became: the instants queued, and those already run or queued."""

    queued: tuple[datetime, ...]
    ignored: tuple[datetime, ...]


def requested(
    history: JobHistory,
    runs: Iterable[JobRun],
    schedule_id: ScheduleId,
    instants: Iterable[datetime],
) -> tuple[JobHistory, Backfill]:
    """`history` with the instants that are new queued, and what became of each."""
    done = {(run.schedule_id, run.scheduled_at) for run in runs}
    done.update(_finished(history))
    done.update(history.backfills)
    queued: list[datetime] = []
    ignored: list[datetime] = []
    for instant in instants:
        (ignored if (schedule_id, instant) in done else queued).append(instant)
    backfills = (*history.backfills, *((schedule_id, instant) for instant in queued))
    answer = Backfill(tuple(queued), tuple(ignored))
    return dataclasses.replace(history, backfills=backfills), answer


def startable(
    spec: JobSpec, history: JobHistory, active: bool
) -> Iterator[tuple[ScheduleSpec | None, datetime, JobHistory]]:
    """The queued instants that may start now, each with the history that no longer queues it
    (None for the schedule: it was deleted, and the instant is only dropped). `active` says
    whether the job has a run; the caller MUST start each run before taking the next item."""
    for schedule_id, instant in history.backfills:
        schedule = spec.schedule(schedule_id)
        if (
            schedule is not None
            and active
            and schedule.concurrency_policy is not (ConcurrencyPolicy.ALLOW)
        ):
            continue
        rest = tuple(b for b in history.backfills if b != (schedule_id, instant))
        history = dataclasses.replace(history, backfills=rest)
        yield schedule, instant, history
        active = active or schedule is not None


def _finished(history: JobHistory) -> Iterator[tuple[ScheduleId | None, datetime | None]]:
    for info in (*history.successful_runs, *history.failed_runs):
        yield info.schedule_id, info.scheduled_at
