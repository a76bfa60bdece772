"""IANA time zones, and how a schedule's wall-clock times map to real instants across DST."""

from __future__ import annotations

import functools
import logging
import threading
import zoneinfo
from datetime import UTC, datetime, timedelta, tzinfo

from metronome.scheduling._syntax import CronError, quote

logger = logging.getLogger(__name__)

# Both are in the host's zoneinfo directory but are no IANA region ids (Java's ZoneId does not
# know them), and "localtime" would make a schedule depend on the machine it runs on.
_NOT_ZONES = frozenset({"localtime", "Factory"})


_zone_names_lock = threading.Lock()


@functools.cache
def _zone_names() -> frozenset[str]:
    # Checking the name against the known ids first means user input never reaches a file path.
    # The lock makes the pool threads that load jobs together wait for one walk of the zoneinfo
    # directory instead of each walking it (the cache does not stop concurrent first calls).
    with _zone_names_lock:
        return _walked_zone_names()


@functools.cache
def _walked_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - _NOT_ZONES


def parse_timezone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone with this id (case-sensitive), e.g. "Europe/Rome", "UTC", "Etc/GMT+1".

    Raises:
        CronError: for anything that is not a known id, whatever its type or size.
    """
    if isinstance(name, str) and name in _zone_names():
        return zoneinfo.ZoneInfo(name)
    shown = quote(name) if isinstance(name, str) else type(name).__name__
    msg = f"No time zone found with this id: {shown}"
    raise CronError(msg)


def scan_start(after: datetime, tz: tzinfo) -> datetime:
    """The earliest naive wall minute in `tz` whose instants can lie after `after`.

    Usually the wall minute of `after`. When `after` falls in the first pass of a repeated
    (fall-back) interval, the second pass of the wall times just before it still lies ahead,
    so the scan starts one overlap length earlier.
    """
    local = after.astimezone(tz)
    start = local.replace(tzinfo=None, second=0, microsecond=0)
    overlap = _offset(local) - _offset(local.replace(fold=1))
    if local.fold == 0 and overlap > timedelta(0):
        start = (start - overlap).replace(second=0)
    return start


def wall_instants(wall: datetime, tz: tzinfo) -> tuple[datetime, datetime | None]:
    """The UTC instants of the naive wall time `wall` in `tz`: (first, second).

    `second` is set only when a fall-back transition repeats `wall`. A wall time skipped by a
    spring-forward gap maps to the instant the gap ends, the first one after the missing time.
    """
    early = _offset(wall.replace(tzinfo=tz))
    late = _offset(wall.replace(tzinfo=tz, fold=1))
    as_utc = wall.replace(tzinfo=UTC)
    if early == late:
        return as_utc - early, None
    if early > late:
        return as_utc - early, as_utc - late
    # PEP 495: inside a gap fold=0 applies the (smaller) offset from before the transition.
    end = _transition(as_utc - late, as_utc - early, tz)
    logger.debug("%s does not exist in %s; it maps to %s", wall, tz, end)
    return end, None


def _transition(before: datetime, at_or_after: datetime, tz: tzinfo) -> datetime:
    """The instant in (before, at_or_after] where the UTC offset of `tz` changes.

    tzdata transitions fall on whole seconds, so bisecting whole seconds finds it exactly.
    """
    offset_before = _offset(before.astimezone(tz))
    low, high = 0, int((at_or_after - before).total_seconds())
    while high - low > 1:
        middle = (low + high) // 2
        if _offset((before + timedelta(seconds=middle)).astimezone(tz)) == offset_before:
            low = middle
        else:
            high = middle
    return before + timedelta(seconds=high)


def _offset(moment: datetime) -> timedelta:
    offset = moment.utcoffset()
    if offset is None:
        msg = f"time zone {moment.tzinfo!r} gives no UTC offset"
        raise ValueError(msg)
    return offset
