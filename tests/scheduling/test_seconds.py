"""Seconds in schedules: six-field cron (seconds first), `@every`, and the nicknames, with the
same DST rules as five fields; checked against croniter in UTC and hand-worked tables."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from metronome.scheduling import Cron, CronError, Every, parse_cron

CHICAGO = ZoneInfo("America/Chicago")
ROME = ZoneInfo("Europe/Rome")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _times(expression: str, after: str, until: str, tz: ZoneInfo = CHICAGO) -> list[datetime]:
    return list(parse_cron(expression).fire_times(utc(after), utc(until), tz))


# --- six fields ------------------------------------------------------------------------------


def test_six_fields_put_seconds_first() -> None:
    cron = parse_cron("*/20 5 * * * *")
    assert isinstance(cron, Cron)
    assert cron.fields.seconds == (0, 20, 40)
    assert cron.fields.minutes == (5,)
    assert cron.next_after(utc("2026-01-05T10:05:20Z"), UTC) == utc("2026-01-05T10:05:40Z")
    assert cron.next_after(utc("2026-01-05T10:05:40Z"), UTC) == utc("2026-01-05T11:05:00Z")


def test_five_fields_keep_their_meaning_and_fire_at_second_zero() -> None:
    cron = parse_cron("5 * * * *")
    assert isinstance(cron, Cron)
    assert cron.fields.seconds == (0,)
    assert cron.fields.minutes == (5,)
    assert cron.next_after(utc("2026-01-05T10:05:00.5Z"), UTC) == utc("2026-01-05T11:05:00Z")


def test_next_after_is_strict_within_a_second() -> None:
    cron = parse_cron("* * * * * *")
    assert cron.next_after(utc("2026-01-05T10:00:00Z"), UTC) == utc("2026-01-05T10:00:01Z")
    assert cron.next_after(utc("2026-01-05T10:00:00.999Z"), UTC) == utc("2026-01-05T10:00:01Z")
    assert len(_times("* * * * * *", "2026-01-05T10:00:00Z", "2026-01-05T11:00:00Z")) == 3600


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("60 * * * * *", "second 60 is out of range 0-59"),
        ("*/0 * * * * *", 'second step in "*/0" must be at least 1'),
        ("x * * * * *", 'second "x" is not valid'),
        ("0 60 * * * *", "minute 60 is out of range 0-59"),
        ("0 0 0 31 2 *", "day-of-month 31 never occurs in February"),
        ("0 0 0 * * * 2030", "a year field is not supported"),
        (
            "* * * *",
            "it has 4 fields, expected 5 (minute hour day-of-month month day-of-week) or 6",
        ),
    ],
)
def test_six_field_errors_name_the_field(expression: str, problem: str) -> None:
    with pytest.raises(CronError, match=r"^Invalid cron expression ") as caught:
        parse_cron(expression)
    assert problem in str(caught.value)


def test_six_fields_agree_with_croniter_in_utc() -> None:
    rng = random.Random(16)
    start = utc("2026-01-05T10:00:00Z")
    for _ in range(100):
        expression = " ".join(
            [
                rng.choice(["*", "*/7", "5,35", "10-20/3", str(rng.randrange(60))]),
                rng.choice(["*", "*/15", str(rng.randrange(60))]),
                rng.choice(["*", "*/6", "9-17"]),
                rng.choice(["*", "1,15", "*/10"]),
                rng.choice(["*", "1-6"]),
                "*",
            ]
        )
        oracle = croniter(expression, start, ret_type=datetime, second_at_beginning=True)
        ours = parse_cron(expression)
        after = start
        for _ in range(20):
            expected = oracle.get_next(datetime)
            after = ours.next_after(after, UTC)
            assert after == expected, expression


# --- the same DST rules ------------------------------------------------------------------------

# America/Chicago: 2026-03-08 02:00 CST -> 03:00 CDT (08:00Z), 2026-11-01 02:00 CDT -> 01:00 CST.


def test_a_time_in_a_spring_gap_fires_once_at_its_end() -> None:
    # Every second of 02:xx is skipped: all of them fire once, together, at 03:00 CDT.
    assert _times("*/10 * 2 * * *", "2026-03-08T00:00:00Z", "2026-03-09T00:00:00Z") == [
        utc("2026-03-08T08:00:00Z")
    ]
    assert _times("15 30 2 * * *", "2026-03-07T12:00:00Z", "2026-03-09T00:00:00Z") == [
        utc("2026-03-08T08:00:00Z")
    ]


def test_a_fixed_hour_in_a_fall_back_overlap_fires_once() -> None:
    assert _times("45 30 1 * * *", "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z") == [
        utc("2026-11-01T06:30:45Z")  # 01:30:45 CDT, not again at 01:30:45 CST
    ]


def test_a_wildcard_hour_keeps_real_time_through_the_overlap() -> None:
    fires = _times("*/30 * * * * *", "2026-11-01T05:00:00Z", "2026-11-01T08:00:00Z")
    assert len(fires) == 3 * 3600 // 30  # the repeated hour fires on both passes
    assert all(b - a == timedelta(seconds=30) for a, b in itertools.pairwise(fires))


def test_seconds_fire_count_over_dst_days() -> None:
    fall = _times("0 */30 * * * *", "2026-11-01T05:00:00Z", "2026-11-02T06:00:00Z")
    assert len(fall) == 25 * 2  # a 25-hour local day
    spring = _times("0 */30 * * * *", "2026-03-08T06:00:00Z", "2026-03-09T05:00:00Z")
    assert len(spring) == 23 * 2


# --- @every ------------------------------------------------------------------------------------


def test_every_counts_from_the_epoch_so_instants_do_not_depend_on_creation() -> None:
    every = parse_cron("@every 30s")
    assert every == Every("@every 30s", 30)
    assert every.next_after(utc("2026-01-05T10:00:07Z"), UTC) == utc("2026-01-05T10:00:30Z")
    assert every.next_after(utc("2026-01-05T10:00:30Z"), UTC) == utc("2026-01-05T10:01:00Z")


@pytest.mark.parametrize(
    ("expression", "interval_s"),
    [
        ("@every 1s", 1),
        ("@every 5m", 300),
        ("@every 2h", 7200),
        ("@every 1h30m", 5400),
        ("@every 1d", 86400),
        ("@every 1d2h3m4s", 93784),
        ("  @EVERY\t90M ", 5400),
        ("@every 366d", 366 * 86400),
    ],
)
def test_every_durations(expression: str, interval_s: int) -> None:
    every = parse_cron(expression)
    assert isinstance(every, Every)
    assert every.interval_s == interval_s


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("@every", "expected @every followed by a duration such as 30s"),
        ("@every 30", "expected @every followed by a duration"),
        ("@every 30x", "expected @every followed by a duration"),
        ("@every 1.5h", "expected @every followed by a duration"),
        ("@every 30s 5", "expected @every followed by a duration"),
        ("@every s", "expected @every followed by a duration"),
        ("@every m30s", "expected @every followed by a duration"),
        ("@everyx 30s", "expected @every followed by a duration"),
        ("@every 0s", "the interval must be from 1s to 366d"),
        ("@every 367d", "the interval must be from 1s to 366d"),
        ("@every " + " " * 260 + "30s", "at most 256 are allowed"),
    ],
)
def test_every_errors(expression: str, problem: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expression)
    assert problem in str(caught.value)


def test_every_ignores_the_wall_clock_across_dst() -> None:
    # Elapsed time: 02:00-03:00 CST does not exist, and @every 1h still fires 24 times that day.
    fires = _times("@every 1h", "2026-03-08T06:00:00Z", "2026-03-09T06:00:00Z")
    assert len(fires) == 24
    assert fires == _times("@every 1h", "2026-03-08T06:00:00Z", "2026-03-09T06:00:00Z", ROME)


# --- nicknames ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nickname", "fields"),
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@Daily", "0 0 * * *"),
    ],
)
def test_nicknames_stand_for_their_five_fields(nickname: str, fields: str) -> None:
    ours, theirs = parse_cron(nickname), parse_cron(fields)
    assert isinstance(ours, Cron) and isinstance(theirs, Cron)
    assert ours.expression == nickname  # the schedule keeps what the user wrote
    assert ours.fields == theirs.fields
    after = utc("2026-03-07T12:00:00Z")
    assert ours.next_after(after, ROME) == theirs.next_after(after, ROME)


def test_daily_follows_the_zone_across_dst() -> None:
    fires = _times("@daily", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z", ROME)
    assert fires == [
        utc("2026-03-27T23:00:00Z"),
        utc("2026-03-28T23:00:00Z"),  # midnight CET
        utc("2026-03-29T22:00:00Z"),  # midnight CEST, after the change
        utc("2026-03-30T22:00:00Z"),
    ]


@pytest.mark.parametrize("expression", ["@reboot", "@hourly 5", "@", "@day"])
def test_unknown_nicknames_are_rejected(expression: str) -> None:
    with pytest.raises(CronError, match="unknown nickname; use one of @yearly, @annually"):
        parse_cron(expression)
