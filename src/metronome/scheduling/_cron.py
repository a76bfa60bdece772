"""Recurrences: cron expressions evaluated on a time zone's wall clock, and fixed intervals
(`@every`); parsing is cached."""

from __future__ import annotations

import calendar
import functools
import itertools
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from metronome.scheduling._every import is_every, parse_interval_s
from metronome.scheduling._syntax import CronError, CronFields, check_length, parse_fields
from metronome.scheduling._zones import scan_start, wall_instants

if TYPE_CHECKING:
    from collections.abc import Iterator

# The Gregorian calendar repeats every 400 years, weekdays included, so a scan that finds no
# match in that span never will; it also keeps the scan clear of datetime's upper limit.
_CYCLE_YEARS = 400
_PARSE_CACHE_SIZE = 4096


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Recurrence:
    """When a schedule fires; build one with `parse_cron`. Subclasses give `_scan`."""

    __slots__ = ()

    expression: str

    def next_after(self, after: datetime, tz: tzinfo) -> datetime:
        """The first fire instant strictly after `after`, as a UTC datetime.

        Raises:
            ValueError: if `after` is naive, or no fire instant exists before year 9999.
        """
        for instant in self._instants(after, tz):
            return instant
        msg = f"cron expression {self.expression!r} does not fire after {after.isoformat()}"
        raise ValueError(msg)

    def fire_times(self, after: datetime, until: datetime, tz: tzinfo) -> Iterator[datetime]:
        """Every fire instant in (after, until], in order, as UTC datetimes.

        Raises:
            ValueError: if `after` or `until` is naive (raised here, not on first iteration).
        """
        _require_aware(until, "until")
        return itertools.takewhile(lambda instant: instant <= until, self._instants(after, tz))

    def _instants(self, after: datetime, tz: tzinfo) -> Iterator[datetime]:
        _require_aware(after, "after")
        return self._scan(after, tz)

    def _scan(self, after: datetime, tz: tzinfo) -> Iterator[datetime]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Every(Recurrence):
    """`@every <duration>`: every `interval_s` seconds of elapsed time, counted from the Unix
    epoch, so instants do not depend on when the schedule was created, and DST (the zone's
    wall clock) does not move them: `@every 30s` fires at :00 and :30 of every minute."""

    expression: str
    interval_s: int

    def _scan(self, after: datetime, tz: tzinfo) -> Iterator[datetime]:
        step = timedelta(seconds=self.interval_s)
        instant = _EPOCH + ((after - _EPOCH) // step + 1) * step
        while True:
            yield instant
            instant += step


@dataclass(frozen=True, slots=True)
class Cron(Recurrence):
    """A parsed cron expression: five fields, or six with seconds first, or a nickname.

    Semantics, evaluated on the wall clock of the time zone given to each call:

    - When both day-of-month and day-of-week are restricted they are ANDed, as Metronome does
      (`0 9 1-7 * 1` is 09:00 on the first Monday of the month; metronome-behavior.md §2.3),
      not ORed as in Vixie cron.
    - A wall time skipped by a spring-forward gap fires at the first instant after the gap;
      all the skipped times that match fire once, together, at that instant.
    - A wall time repeated by a fall-back transition fires at its first occurrence only, unless
      its hour is written with `*`, a range or a step (see `CronFields.repeating_hours`).
    """

    expression: str
    fields: CronFields

    def _scan(self, after: datetime, tz: tzinfo) -> Iterator[datetime]:
        # Matching wall times come in order and so do their first instants; a second occurrence
        # (fall-back) lies after every first occurrence of its overlap but before the next wall
        # time past the overlap, so it waits in `pending` until a later first instant passes it.
        repeating_hours = self.fields.repeating_hours
        pending: deque[datetime] = deque()
        last = after
        for wall in _matching_walls(self.fields, scan_start(after, tz)):
            first, second = wall_instants(wall, tz)
            while pending and pending[0] <= first:
                instant = pending.popleft()
                if instant > last:
                    yield instant
                    last = instant
            if first > last:
                yield first
                last = first
            # Vixie cron's rule: a job whose hour is a wildcard runs by elapsed time, so
            # `*/15 * * * *` keeps its 15-minute rhythm through the repeated hour, while a job
            # at a fixed hour names a time of day, which must happen once.
            if second is not None and second > last and wall.hour in repeating_hours:
                pending.append(second)
        yield from (instant for instant in pending if instant > last)


def parse_cron(expression: str) -> Recurrence:
    """Parse a schedule's `cron`: a cron expression (see `Cron`) or `@every` (see `Every`).

    Fields are minute, hour, day-of-month, month and day-of-week, each allowing `*`, lists,
    ranges and steps, JAN-DEC and SUN-SAT (any case); day-of-week 0 and 7 are both Sunday.
    A sixth field in front gives the seconds (five fields fire at second 0). The nicknames
    @hourly, @daily (@midnight), @weekly, @monthly and @yearly (@annually) stand for their
    five fields. Results are cached by expression, so jobs sharing one share its parse.

    Raises:
        CronError: naming what is wrong, for malformed, out-of-range, too long (> 256
            characters) or never-firing expressions, unknown nicknames and year fields.
    """
    if not isinstance(expression, str):
        msg = f"Invalid cron expression: expected a string, got {type(expression).__name__}"
        raise CronError(msg)
    check_length(expression)  # before the cache, which must not keep a huge key
    return _parse_cached(expression)


@functools.lru_cache(maxsize=_PARSE_CACHE_SIZE)
def _parse_cached(expression: str) -> Recurrence:
    if is_every(expression):
        return Every(expression, parse_interval_s(expression))
    return Cron(expression, parse_fields(expression))


def _matching_walls(fields: CronFields, start: datetime) -> Iterator[datetime]:
    """Naive wall times from `start` (a whole minute) on that match every field, in order."""
    seconds = fields.seconds
    days_of_week = fields.days_of_week
    last_year = min(start.year + _CYCLE_YEARS, MAXYEAR - 1)
    for year in range(start.year, last_year + 1):
        at_start_year = year == start.year
        for month in _from(fields.months, start.month if at_start_year else 1):
            at_start_month = at_start_year and month == start.month
            monday_first, length = calendar.monthrange(year, month)
            sunday_first = (monday_first + 1) % 7
            for day in _from(fields.days_of_month, start.day if at_start_month else 1):
                if day > length:
                    break
                if (sunday_first + day - 1) % 7 not in days_of_week:
                    continue
                at_start_day = at_start_month and day == start.day
                for hour in _from(fields.hours, start.hour if at_start_day else 0):
                    at_start_hour = at_start_day and hour == start.hour
                    for minute in _from(fields.minutes, start.minute if at_start_hour else 0):
                        for second in seconds:
                            yield datetime(year, month, day, hour, minute, second)


def _from(values: tuple[int, ...], lowest: int) -> tuple[int, ...]:
    return values[bisect_left(values, lowest) :]


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"{name} must be a timezone-aware datetime, got naive {moment.isoformat()}"
        raise ValueError(msg)
