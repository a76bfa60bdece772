"""`--max-launch-rate`: herd control for scheduled instants.

A top-of-the-hour burst of due jobs is spread over time: each fired instant takes the next free
slot, `1 / rate` seconds after the one before. A slot never lies past the instant's latest start
(its `startingDeadlineSeconds`, less a margin for the launch itself): an instant whose slot would
come later fires at its latest start, beside the rate, so the cap never costs a run.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

LAUNCH_MARGIN_S = 5.0
"""Time kept, before an instant's deadline, for its run to be created and its task started."""


class LaunchRate:
    """The slots of scheduled instants; shared by every job (called on the timer thread)."""

    def __init__(self, per_second: float | None = None) -> None:
        self._step = None if per_second is None else timedelta(seconds=1 / per_second)
        self._next: datetime | None = None
        self._lock = threading.Lock()

    def slot(self, now: datetime, instant: datetime, deadline_s: float) -> datetime:
        """When the instant due at `now` may fire: now without a cap, else the next free slot
        or its latest start, whichever is sooner."""
        if self._step is None:
            return now
        margin = timedelta(seconds=min(LAUNCH_MARGIN_S, deadline_s / 2))
        latest = max(now, instant + timedelta(seconds=deadline_s) - margin)
        with self._lock:
            free = now if self._next is None else max(now, self._next)
            if free > latest:
                return latest  # the deadline wins; the slots behind it do not move
            self._next = free + self._step
            return free
