"""What a schedule's instants missed while no scheduler ran owe: which run late under each
`catchUp`, and the ranges of the others (missed or paused), against a brute-force reading."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from metronome.actors._schedules import _owed
from metronome.model import CatchUpPolicy, Pause, ScheduleSpec, SlotOutcome, SlotRange

MARK = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def _m(minute: int) -> datetime:
    return MARK + timedelta(minutes=minute)


def _schedule(policy: CatchUpPolicy | None, deadline_s: int) -> ScheduleSpec:
    return ScheduleSpec("m", "* * * * *", starting_deadline_s=deadline_s, catch_up=policy)


def _expected(
    policy: CatchUpPolicy | None, deadline_s: int, now: datetime, pause: Pause | None
) -> tuple[list[datetime], list[SlotRange]]:
    """Each instant classified on its own, then grouped: the rule, written plainly."""
    instants = [_m(i) for i in range(1, 11)]
    held = {i for i in instants if pause is not None and pause.holds_at(i)}
    inside = [i for i in instants if i not in held and now - i <= timedelta(seconds=deadline_s)]
    keep = {CatchUpPolicy.NONE: 0, CatchUpPolicy.ALL: 100}.get(policy or CatchUpPolicy.LATEST, 1)
    late = inside[len(inside) - keep :] if keep else []
    outcomes = [
        (i, SlotOutcome.PAUSED if i in held else None if i in late else SlotOutcome.MISSED)
        for i in instants
    ]
    ranges = []
    for outcome, group in itertools.groupby(outcomes, key=lambda pair: pair[1]):
        members = [i for i, _ in group]
        if outcome is not None:
            ranges.append(SlotRange(members[0], members[-1], outcome, len(members)))
    return late, ranges


PAUSES = [
    None,
    Pause(since=_m(4), until=_m(7)),  # holds 4, 5, 6
    Pause(since=_m(6), until=_m(8)),  # holds 6, 7: splits the instants inside a deadline
    Pause(since=_m(9)),  # holds 9, 10: the newest
    Pause(since=MARK),  # holds every one
]


@pytest.mark.parametrize("pause", PAUSES)
@pytest.mark.parametrize("deadline_s", [10, 60, 330, 3600])
@pytest.mark.parametrize("policy", [None, *CatchUpPolicy])
def test_owed_matches_the_rule(
    policy: CatchUpPolicy | None, deadline_s: int, pause: Pause | None
) -> None:
    now = _m(10) + timedelta(seconds=30)
    owed = _owed(_schedule(policy, deadline_s), MARK, now, pause)
    assert owed is not None
    late, ranges = _expected(policy, deadline_s, now, pause)
    assert (owed.last, owed.late, owed.ranges) == (_m(10), late, ranges)


def test_nothing_owed_without_instants() -> None:
    assert _owed(_schedule(None, 60), MARK, MARK + timedelta(seconds=59), None) is None
