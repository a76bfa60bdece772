"""Cron parsing, time zones, and fire instants across DST, checked against hand-worked tables,
a brute-force minute-by-minute oracle, and croniter."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from metronome.scheduling import Cron, CronError, parse_cron, parse_timezone

if TYPE_CHECKING:
    from collections.abc import Callable

ROME = ZoneInfo("Europe/Rome")
CHICAGO = ZoneInfo("America/Chicago")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- parsing -------------------------------------------------------------------------------------

LONGEST_VALID = "0" * 248 + " * * * *"

VALID = [
    "* * * * *",
    "*/2 * * * *",
    "*/5 * * * *",
    "0 0 * * 5",
    "20 0 * * *",
    "1 2 3 4 5",
    "* * */1 * 3",
    "55 23 * * *",
    "0 9 1-7 * 1",
    "1-30/2 * * * *",
    "5/15 * * * *",
    "0 0 31 2-3 *",
    "0 0 29 2 *",
    "0 0 20-31 2 *",
    "0 12 * JAN-MAR,dec sun",
    "0 0 * * mon-FRI",
    "0 0 * * 7",
    "0 0 * * 0-7",
    "  0\t0 * * *  ",
    LONGEST_VALID,
]


@pytest.mark.parametrize("expression", VALID)
def test_valid_expressions_parse(expression: str) -> None:
    assert parse_cron(expression).expression == expression


@pytest.mark.parametrize(
    ("expression", "minutes", "hours", "days", "months", "weekdays"),
    [
        (
            "*/15 9-17/4 1,15 JAN-MAR mon-fri",
            (0, 15, 30, 45),
            (9, 13, 17),
            (1, 15),
            (1, 2, 3),
            (1, 2, 3, 4, 5),
        ),
        ("5/20 0 * * 7", (5, 25, 45), (0,), tuple(range(1, 32)), tuple(range(1, 13)), (0,)),
        ("0 0 * * 5-7", (0,), (0,), tuple(range(1, 32)), tuple(range(1, 13)), (0, 5, 6)),
        ("0 0 * * */2", (0,), (0,), tuple(range(1, 32)), tuple(range(1, 13)), (0, 2, 4, 6)),
        ("59 23 31 12 SAT", (59,), (23,), (31,), (12,), (6,)),
    ],
)
def test_fields_expand(
    expression: str,
    minutes: tuple[int, ...],
    hours: tuple[int, ...],
    days: tuple[int, ...],
    months: tuple[int, ...],
    weekdays: tuple[int, ...],
) -> None:
    fields = parse_cron(expression).fields
    assert fields.minutes == minutes
    assert fields.hours == hours
    assert fields.days_of_month == days
    assert fields.months == months
    assert fields.days_of_week == weekdays


@pytest.mark.parametrize(
    ("expression", "repeating"),
    [
        ("*/15 * * * *", set(range(24))),
        ("0 */6 * * *", {0, 6, 12, 18}),
        ("*/10 1-3,5 * * *", {1, 2, 3}),
        ("30 2 * * *", set()),
        ("30 1,2 * * *", set()),
        ("0 2-2 * * *", set()),
    ],
)
def test_hours_written_as_wildcard_range_or_step_repeat(
    expression: str, repeating: set[int]
) -> None:
    assert parse_cron(expression).fields.repeating_hours == repeating


REJECTED = [
    ("60 * * * *", "minute 60 is out of range 0-59"),
    ("* 24 * * *", "hour 24 is out of range 0-23"),
    ("* * 0 * *", "day-of-month 0 is out of range 1-31"),
    ("* * 32 * *", "day-of-month 32 is out of range 1-31"),
    ("* * * 13 *", "month 13 is out of range 1-12"),
    ("* * * 0 *", "month 0 is out of range 1-12"),
    ("* * * * 8", "day-of-week 8 is out of range 0-7"),
    ("wrong cron", "it has 2 fields, expected 5"),
    ("* * * *", "it has 4 fields, expected 5"),
    ("", "it is empty"),
    ("   ", "it is empty"),
    ("0" * 249 + " * * * *", "it has 257 characters, at most 256"),
    ("@reboot", "unknown nickname; use one of @yearly"),
    (
        "0 0 0 * * * 2030",
        "it has 7 fields, expected 5 (minute hour day-of-month month day-of-week)"
        " or 6 (second minute hour day-of-month month day-of-week); a year field is not supported",
    ),
    ("0 0 31 2 *", "day-of-month 31 never occurs in February"),
    ("0 0 30 2 *", "day-of-month 30 never occurs in February"),
    ("0 0 31 4,6,9,11 *", "day-of-month 31 never occurs in April, June, September or November"),
    ("0 0 30-31 2 *", "day-of-month 30-31 never occurs in February"),
    ("0 0 31 APR *", "day-of-month 31 never occurs in April"),
    ("0 0 L * *", 'day-of-month "L" is not valid'),
    ("0 0 15W * *", 'day-of-month "15W" is not valid'),
    ("0 0 ? * *", 'day-of-month "?" is not valid'),
    ("0 0 * * 1#2", 'day-of-week "1#2" is not valid'),
    ("H * * * *", 'minute "H" is not valid'),
    ("-1 * * * *", 'minute "-1" is not valid'),
    ("5- * * * *", 'minute "5-" is not valid'),
    ("\uff11 * * * *", 'minute "\uff11" is not valid'),
    ("* * * FOO *", "names JAN-DEC"),
    ("* * * * FOO", "names SUN-SAT"),
    ("* * * * JAN", 'day-of-week "JAN" is not valid'),
    ("5-3 * * * *", 'minute range "5-3" goes backwards'),
    ("*/0 * * * *", 'minute step in "*/0" must be at least 1'),
    ("*/x * * * *", 'minute "*/x" is not valid'),
    ("1,,2 * * * *", 'minute field "1,,2" has an empty list item'),
]


@pytest.mark.parametrize(("expression", "problem"), REJECTED)
def test_invalid_expressions_are_rejected_naming_the_problem(expression: str, problem: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_cron(expression)
    assert problem in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_rejection_message_quotes_the_expression() -> None:
    with pytest.raises(CronError, match=r'^Invalid cron expression "wrong cron": '):
        parse_cron("wrong cron")


@pytest.mark.parametrize("value", [None, 5, b"* * * * *"])
def test_non_string_expression_is_a_cron_error(value: object) -> None:
    with pytest.raises(CronError, match="expected a string"):
        parse_cron(value)  # type: ignore[arg-type]


def test_parsing_is_cached_and_crons_are_hashable_values() -> None:
    cron = parse_cron("*/7 * * * *")
    assert parse_cron("*/7 * * * *") is cron
    assert len({cron, parse_cron("*/7 * * * *"), parse_cron("*/8 * * * *")}) == 2
    with pytest.raises(AttributeError):
        cron.expression = "* * * * *"  # type: ignore[misc]


# --- time zones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["America/Chicago", "Europe/Rome", "UTC", "Etc/GMT+1", "Pacific/Fiji"]
)
def test_iana_time_zones_are_found(name: str) -> None:
    assert parse_timezone(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("", '""'),
        ("Foo/Bar", '"Foo/Bar"'),
        ("utc", '"utc"'),
        ("+01:00", '"+01:00"'),
        ("../../../etc/passwd", '"../../../etc/passwd"'),
        ("/usr/share/zoneinfo/UTC", '"/usr/share/zoneinfo/UTC"'),
        ("localtime", '"localtime"'),
        ("Europe/Rome\x00", '"Europe/Rome\\u0000"'),
        ("x" * 100_000, '"' + "x" * 64 + '..."'),
    ],
)
def test_unknown_time_zones_are_rejected(name: str, shown: str) -> None:
    with pytest.raises(CronError) as caught:
        parse_timezone(name)
    assert str(caught.value) == f"No time zone found with this id: {shown}"


def test_non_string_time_zone_is_a_cron_error() -> None:
    with pytest.raises(CronError, match="No time zone found with this id: NoneType"):
        parse_timezone(None)  # type: ignore[arg-type]


# --- next_after ----------------------------------------------------------------------------------

NEXT_AFTER = [
    # Metronome's regression cases (metronome-behavior.md §2.3, §3.5).
    ("55 23 * * *", ROME, "2019-03-30T23:54:59Z", "2019-03-31T21:55:00Z"),
    ("55 23 * * *", ROME, "2019-03-30T22:55:00Z", "2019-03-31T21:55:00Z"),
    ("* * * * 3", UTC, "2017-10-02T10:00:00Z", "2017-10-04T00:00:00Z"),
    ("* * * * 1", UTC, "2017-04-25T00:00:00Z", "2017-05-01T00:00:00Z"),
    ("* * * * 1", UTC, "2017-07-28T00:00:00Z", "2017-07-31T00:00:00Z"),
    ("* * * * 1", UTC, "2017-12-27T00:00:00Z", "2018-01-01T00:00:00Z"),
    ("* * * * 1", UTC, "2018-04-29T00:00:00Z", "2018-04-30T00:00:00Z"),
    ("* * * * 1", UTC, "2018-09-30T00:00:00Z", "2018-10-01T00:00:00Z"),
    ("* * * * 1", UTC, "2018-12-26T00:00:00Z", "2018-12-31T00:00:00Z"),
    ("0 0 20-31 2 *", UTC, "2017-10-02T00:00:00Z", "2018-02-20T00:00:00Z"),
    ("0 0 29 2 *", UTC, "2017-10-02T00:00:00Z", "2020-02-29T00:00:00Z"),
    ("* * * * *", ZoneInfo("Pacific/Fiji"), "2018-01-13T14:00:00Z", "2018-01-13T14:01:00Z"),
    # Strictly after, whole minutes, any input offset.
    ("*/5 * * * *", UTC, "2024-05-01T10:03:30Z", "2024-05-01T10:05:00Z"),
    ("*/5 * * * *", UTC, "2024-05-01T10:05:00Z", "2024-05-01T10:10:00Z"),
    ("*/5 * * * *", UTC, "2024-05-01T10:04:59.999999Z", "2024-05-01T10:05:00Z"),
    ("0 0 1 1 *", UTC, "2024-12-31T23:59:59.999999Z", "2025-01-01T00:00:00Z"),
    ("0 0 1 1 *", UTC, "2025-01-01T05:00:00+05:00", "2026-01-01T00:00:00Z"),
    # Day-of-month AND day-of-week (Metronome's rule, not Vixie's OR).
    ("0 9 1-7 * 1", UTC, "2024-01-02T00:00:00Z", "2024-02-05T09:00:00Z"),
    ("0 9 1-7 * 1-5", UTC, "2024-06-01T00:00:00Z", "2024-06-03T09:00:00Z"),
    ("0 0 13 * FRI", UTC, "2024-01-01T00:00:00Z", "2024-09-13T00:00:00Z"),
    ("0 0 29 2 MON", UTC, "2024-03-01T00:00:00Z", "2044-02-29T00:00:00Z"),
    ("0 0 31 2-3 *", UTC, "2024-01-01T00:00:00Z", "2024-03-31T00:00:00Z"),
    # Wall clock of the schedule's zone.
    ("0 9 * * *", CHICAGO, "2024-07-01T00:00:00Z", "2024-07-01T14:00:00Z"),
    ("0 9 * * *", CHICAGO, "2024-01-01T00:00:00Z", "2024-01-01T15:00:00Z"),
    ("0 9 * * *", ROME, "2024-01-01T00:00:00Z", "2024-01-01T08:00:00Z"),
    ("0 9 * * *", ZoneInfo("Etc/GMT+1"), "2024-01-01T00:00:00Z", "2024-01-01T10:00:00Z"),
    ("0 0 * * 1", ZoneInfo("Pacific/Auckland"), "2024-01-07T00:00:00Z", "2024-01-07T11:00:00Z"),
    ("0 0 * * *", timezone(timedelta(hours=-3)), "2024-01-01T00:00:00Z", "2024-01-01T03:00:00Z"),
]


@pytest.mark.parametrize(("expression", "tz", "after", "expected"), NEXT_AFTER)
def test_next_after(expression: str, tz: ZoneInfo, after: str, expected: str) -> None:
    instant = parse_cron(expression).next_after(datetime.fromisoformat(after), tz)
    assert instant == utc(expected)
    assert instant.tzinfo is UTC


# --- DST ------------------------------------------------------------------------------------------

DST_ONCE = [
    # Spring forward: 02:30 does not exist; it fires when the gap ends (03:00 summer time).
    ("30 2 * * *", "Europe/Rome", "2019-03-31", "2019-03-31T01:00Z"),
    ("30 2 * * *", "Europe/Rome", "2024-03-31", "2024-03-31T01:00Z"),
    ("30 2 * * *", "America/Chicago", "2019-03-10", "2019-03-10T08:00Z"),
    ("30 2 * * *", "America/Chicago", "2024-03-10", "2024-03-10T08:00Z"),
    # Fall back: 02:30 (Rome) and 01:30 (Chicago) happen twice; a fixed hour fires at the first.
    ("30 2 * * *", "Europe/Rome", "2019-10-27", "2019-10-27T00:30Z"),
    ("30 2 * * *", "Europe/Rome", "2024-10-27", "2024-10-27T00:30Z"),
    ("30 1 * * *", "America/Chicago", "2019-11-03", "2019-11-03T06:30Z"),
    ("30 1 * * *", "America/Chicago", "2024-11-03", "2024-11-03T06:30Z"),
]


@pytest.mark.parametrize(("expression", "zone", "local_day", "expected"), DST_ONCE)
def test_fixed_hour_fires_once_on_a_dst_day(
    expression: str, zone: str, local_day: str, expected: str
) -> None:
    tz = ZoneInfo(zone)
    midnight = datetime.fromisoformat(local_day).replace(tzinfo=tz)
    next_midnight = (midnight + timedelta(days=1)).replace(tzinfo=tz)
    cron = parse_cron(expression)
    assert list(cron.fire_times(midnight, next_midnight, tz)) == [utc(expected)]
    assert cron.next_after(midnight, tz) == utc(expected)


DST_TRANSITIONS = [
    ("Europe/Rome", "2019-03-31T01:00Z"),
    ("Europe/Rome", "2019-10-27T01:00Z"),
    ("Europe/Rome", "2024-03-31T01:00Z"),
    ("Europe/Rome", "2024-10-27T01:00Z"),
    ("America/Chicago", "2019-03-10T08:00Z"),
    ("America/Chicago", "2019-11-03T07:00Z"),
    ("America/Chicago", "2024-03-10T08:00Z"),
    ("America/Chicago", "2024-11-03T07:00Z"),
]


@pytest.mark.parametrize(("zone", "transition"), DST_TRANSITIONS)
def test_every_15_minutes_keeps_real_time_across_a_transition(zone: str, transition: str) -> None:
    tz, at = ZoneInfo(zone), utc(transition)
    assert at.astimezone(tz).utcoffset() != (at - timedelta(seconds=1)).astimezone(tz).utcoffset()
    # Across a gap the skipped quarters collapse into `at`; across an overlap the repeated
    # hour's quarters fire again in real time.
    quarter = timedelta(minutes=15)
    fired = list(parse_cron("*/15 * * * *").fire_times(at - 2 * quarter, at + 2 * quarter, tz))
    assert fired == [at - quarter, at, at + quarter, at + 2 * quarter]


@pytest.mark.parametrize(
    ("expression", "tz", "local_day", "count"),
    [
        ("*/15 * * * *", CHICAGO, "2024-11-03", 100),  # 25 real hours
        ("*/15 * * * *", CHICAGO, "2024-03-10", 92),  # 23 real hours
        ("0 * * * *", ROME, "2019-10-27", 25),
        ("0 * * * *", ROME, "2019-03-31", 23),
        ("30 2 * * *", ROME, "2019-10-27", 1),
        ("30 2 * * *", ROME, "2019-03-31", 1),
    ],
)
def test_fire_count_over_a_dst_day(
    expression: str, tz: ZoneInfo, local_day: str, count: int
) -> None:
    start = datetime.fromisoformat(local_day).replace(tzinfo=tz)
    end = (start + timedelta(days=1)).replace(tzinfo=tz)
    # Both bounds are local midnights: (start, end] holds the next midnight, not this one.
    assert sum(1 for _ in parse_cron(expression).fire_times(start, end, tz)) == count


def _every(minutes: int, hours: range = range(24)) -> Callable[[datetime], bool]:
    return lambda wall: wall.minute % minutes == 0 and wall.hour in hours


def _at(hour: int, minute: int) -> Callable[[datetime], bool]:
    return lambda wall: (wall.hour, wall.minute) == (hour, minute)


# (expression, matches a wall time, fires on both passes of a repeated hour)
ORACLE_CRONS = [
    ("*/15 * * * *", _every(15), True),
    ("0 * * * *", _every(60), True),
    ("*/10 1-2 * * *", _every(10, range(1, 3)), True),
    ("30 2 * * *", _at(2, 30), False),
    ("30 1 * * *", _at(1, 30), False),
    ("45 23 * * *", _at(23, 45), False),
    ("0 0 * * *", _at(0, 0), False),
]
ORACLE_WINDOWS = [
    ("Europe/Rome", "2019-03-30", "2019-04-01"),
    ("Europe/Rome", "2019-10-26", "2019-10-28"),
    ("America/Chicago", "2024-03-09", "2024-03-11"),
    ("America/Chicago", "2024-11-02", "2024-11-04"),
    ("Australia/Lord_Howe", "2024-04-06", "2024-04-08"),  # 30-minute fall back
    ("Australia/Lord_Howe", "2024-10-05", "2024-10-07"),  # 30-minute spring forward
    ("America/Santiago", "2024-04-05", "2024-04-08"),  # midnight repeated
    ("America/Santiago", "2024-09-07", "2024-09-09"),  # midnight skipped
    ("Pacific/Apia", "2011-12-28", "2012-01-01"),  # a whole day skipped
]


def _oracle(
    matches: Callable[[datetime], bool], repeat: bool, tz: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """Fire instants in (start, end] found by stepping through every real minute."""
    fired: list[datetime] = []
    instant = start
    previous = start.astimezone(tz)
    while instant < end:
        instant += timedelta(minutes=1)
        local = instant.astimezone(tz)
        wall = local.replace(tzinfo=None)
        skipped = previous.replace(tzinfo=None) + timedelta(minutes=1)
        gap_matches = False
        while skipped < wall:
            gap_matches = gap_matches or matches(skipped)
            skipped += timedelta(minutes=1)
        second_pass = local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
        if gap_matches or (matches(wall) and (repeat or not second_pass)):
            fired.append(instant)
        previous = local
    return fired


@pytest.mark.parametrize(("zone", "first_day", "last_day"), ORACLE_WINDOWS)
@pytest.mark.parametrize(
    ("expression", "matches", "repeat"), ORACLE_CRONS, ids=[cron[0] for cron in ORACLE_CRONS]
)
def test_dst_agrees_with_a_minute_by_minute_oracle(
    zone: str,
    first_day: str,
    last_day: str,
    expression: str,
    matches: Callable[[datetime], bool],
    repeat: bool,
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.fromisoformat(first_day).replace(tzinfo=tz).astimezone(UTC)
    end = datetime.fromisoformat(last_day).replace(tzinfo=tz).astimezone(UTC)
    expected = _oracle(matches, repeat, tz, start, end + timedelta(days=1))
    cron = parse_cron(expression)
    assert list(cron.fire_times(start, end, tz)) == [t for t in expected if t <= end]
    # next_after from odd instants, including inside gaps' edges and both passes of overlaps.
    after = start
    while after < end:
        assert cron.next_after(after, tz) == next(t for t in expected if t > after), after
        after += timedelta(minutes=7, seconds=13)


def test_agrees_with_croniter_in_utc() -> None:
    """croniter with day_or=False is an independent reference for AND semantics without DST.

    croniter 7.0 expands one-value ranges with a step (`12-12/4`) wrongly, so ranges here span
    at least two values.
    """
    rng = random.Random(20240501)

    def field(low: int, high: int) -> str:
        first = rng.randint(low, high - 1)
        last = rng.randint(first + 1, high)
        return rng.choice(
            [
                "*",
                f"*/{rng.randint(1, high - low + 1)}",
                str(first),
                f"{first}-{last}",
                f"{first}-{last}/{rng.randint(2, 5)}",
                ",".join(str(rng.randint(low, high)) for _ in range(3)),
            ]
        )

    compared = 0
    while compared < 1000:
        expression = " ".join([field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 6)])
        try:
            cron = parse_cron(expression)
        except CronError:
            continue
        instant = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 2_000_000))
        reference = croniter(expression, instant, day_or=False)
        for _ in range(4):
            instant = cron.next_after(instant, UTC)
            assert instant == reference.get_next(datetime), expression
            compared += 1


# --- fire_times and argument checks -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "after", "until", "count"),
    [
        ("*/10 * * * *", "2024-05-01T10:00Z", "2024-05-01T11:00Z", 6),
        ("*/10 * * * *", "2024-05-01T10:00:01Z", "2024-05-01T11:00Z", 6),
        ("*/10 * * * *", "2024-05-01T09:59:59Z", "2024-05-01T10:59:59Z", 6),
        ("* * * * *", "2024-05-01T00:00Z", "2024-05-02T00:00Z", 1440),
        ("0 0 * * *", "2024-01-01T00:00Z", "2025-01-01T00:00Z", 366),
        ("0 0 * * *", "2024-05-01T10:00Z", "2024-05-01T10:00Z", 0),
        ("0 0 * * *", "2024-05-02T10:00Z", "2024-05-01T10:00Z", 0),
    ],
)
def test_fire_times_counts(expression: str, after: str, until: str, count: int) -> None:
    times = list(parse_cron(expression).fire_times(utc(after), utc(until), UTC))
    assert len(times) == count
    assert times == sorted(set(times))
    assert all(utc(after) < t <= utc(until) for t in times)


def test_fire_times_over_a_day_of_minutes_is_fast() -> None:
    cron = parse_cron("* * * * *")
    started = time.perf_counter()
    fired = cron.fire_times(utc("2024-11-02T12:00Z"), utc("2024-11-03T12:00Z"), CHICAGO)
    assert sum(1 for _ in fired) == 24 * 60  # every real minute, the repeated hour's too
    assert time.perf_counter() - started < 1.0


def test_naive_datetimes_are_rejected() -> None:
    cron: Cron = parse_cron("* * * * *")
    naive, aware = datetime(2024, 1, 1), datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="after must be a timezone-aware datetime"):
        cron.next_after(naive, UTC)
    with pytest.raises(ValueError, match="after must be a timezone-aware datetime"):
        cron.fire_times(naive, aware, UTC)
    with pytest.raises(ValueError, match="until must be a timezone-aware datetime"):
        cron.fire_times(aware, naive, UTC)


def test_no_fire_time_left_before_the_calendar_ends() -> None:
    with pytest.raises(ValueError, match="does not fire after"):
        parse_cron("0 0 29 2 *").next_after(datetime(9997, 1, 1, tzinfo=UTC), UTC)
