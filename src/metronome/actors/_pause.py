"""Pausing a job (plain helper of the job actor, on its thread).

While a job is paused its schedules' instants are recorded as paused (counted, marks advanced)
instead of run, and no dependency run starts; manual runs still start, since someone asked.
The pause is kept in the job's history record, so it survives a restart or a fail-over, and a
pause with an `until` ends by a timer on the shared `TimerService`. `pauseAfterFailures` pauses
the job when that many runs in a row have failed; a resume starts that count again.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from metronome.model import failures_pause

if TYPE_CHECKING:
    from datetime import datetime

    import pykka

    from metronome.actors._context import ActorContext
    from metronome.actors._timers import TimerHandle
    from metronome.model import JobHistory, JobSpec, Pause

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PauseEnded:
    """Told to the job actor by its timer: the `until` of `pause` has come."""

    pause: Pause


class PauseTimer:
    """The one armed end of a job's pause."""

    __slots__ = ("_context", "_handle", "_job")  # one per job

    def __init__(self, context: ActorContext, job: pykka.ActorRef[Any]) -> None:
        self._context = context
        self._job = job
        self._handle: TimerHandle | None = None

    def arm(self, pause: Pause | None) -> None:
        self.cancel()
        if pause is not None and pause.until is not None:
            message = PauseEnded(pause)
            self._handle = self._context.timers.call_at(
                pause.until, lambda: self._job.tell(message)
            )

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


def paused_at(history: JobHistory, instant: datetime) -> bool:
    """Whether the job's instant at `instant` is paused."""
    return history.pause is not None and history.pause.holds_at(instant)


def with_pause(history: JobHistory, pause: Pause | None) -> JobHistory:
    """The history paused with `pause`, or resumed (None): a resume restarts the failure count."""
    if pause is None:
        return dataclasses.replace(history, pause=None, consecutive_failures=0)
    return dataclasses.replace(history, pause=pause)


def with_paused_instants(history: JobHistory, count: int) -> JobHistory:
    return dataclasses.replace(history, paused_count=history.paused_count + count)


def after_failures(spec: JobSpec, history: JobHistory, now: datetime) -> JobHistory:
    """The history with the pause `pauseAfterFailures` asks for, if its count is reached."""
    limit = spec.pause_after_failures
    if limit is None or history.pause is not None or history.consecutive_failures < limit:
        return history
    logger.warning("Job %s: %d runs in a row failed; pausing it", spec.id, limit)
    return with_pause(history, failures_pause(limit, now))
