"""What became of a schedule's instants that did not run: missed, skipped or paused.

An instant that ran is found by its run (`scheduled_at`); the others are kept as ranges of
consecutive instants with the same outcome, so a long outage or pause of a seconds schedule is
one entry, not thousands.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

MAX_SLOT_RANGES = 1000
"""Ranges kept per schedule (the oldest go first): bounds the history record."""


class SlotOutcome(StrEnum):
    MISSED = "missed"
    """No scheduler ran it in time: the server was down, no leader, or its deadline passed."""
    SKIPPED = "skipped"
    """A run was active under FORBID."""
    PAUSED = "paused"
    """The job was paused."""


@dataclass(frozen=True, slots=True)
class SlotRange:
    """Consecutive instants of a schedule, `first` to `last`, that ended the same way."""

    first: datetime
    last: datetime
    outcome: SlotOutcome
    count: int = 1

    def extended(self, other: SlotRange) -> SlotRange:
        return dataclasses.replace(self, last=other.last, count=self.count + other.count)


@dataclass(frozen=True, slots=True)
class SlotLog:
    """The outcomes of a schedule's instants that did not run, since `since`: when it began to
    fire in its current form (created, re-enabled, or its cron or zone changed)."""

    since: datetime
    ranges: tuple[SlotRange, ...] = ()

    def extended(self, ranges: Iterable[SlotRange], previous: datetime | None) -> SlotLog:
        """The log with `ranges` (in order, after every range it holds) added. The first merges
        into the newest range when it has the same outcome and that range ends at `previous`,
        the instant handled just before it."""
        kept = list(self.ranges)
        for new in ranges:
            if kept and kept[-1].outcome is new.outcome and kept[-1].last == previous:
                kept[-1] = kept[-1].extended(new)
            else:
                kept.append(new)
            previous = None
        return dataclasses.replace(self, ranges=tuple(kept[-MAX_SLOT_RANGES:]))

    def outcome_at(self, instant: datetime) -> SlotOutcome | None:
        """The recorded outcome of `instant`, if a range holds it."""
        index = bisect_right(self.ranges, instant, key=lambda r: r.first) - 1
        if index >= 0 and instant <= self.ranges[index].last:
            return self.ranges[index].outcome
        return None
