"""A paused job: its schedules' instants are recorded as paused instead of run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

MAX_PAUSE_REASON_LENGTH = 1000
"""A note, not a log: kept with the job's history, so bounded."""


@dataclass(frozen=True, slots=True)
class Pause:
    """Who paused a job, why, since and until when (None: until resumed).

    `automatic` marks a pause the job's `pauseAfterFailures` decided; `by` is then None.
    """

    since: datetime
    by: str | None = None
    reason: str | None = None
    until: datetime | None = None
    automatic: bool = False

    def holds_at(self, instant: datetime) -> bool:
        """Whether an instant of a schedule at `instant` is paused."""
        return self.since <= instant and (self.until is None or instant < self.until)


def failures_pause(count: int, now: datetime) -> Pause:
    """The pause `pauseAfterFailures` puts on a job whose last `count` runs failed."""
    return Pause(since=now, reason=f"{count} consecutive failed runs", automatic=True)
