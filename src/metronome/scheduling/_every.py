"""`@every <duration>`: the grammar of a fixed-interval schedule."""

from __future__ import annotations

import re

from metronome.scheduling._syntax import CronError, quote

EVERY = "@every"
MAX_INTERVAL_S = 366 * 86400
_UNIT_S = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:(\d{1,9})d)?(?:(\d{1,9})h)?(?:(\d{1,9})m)?(?:(\d{1,9})s)?")


def is_every(expression: str) -> bool:
    """Whether `expression` is meant as `@every` (its errors then speak of durations)."""
    return expression.lstrip()[: len(EVERY)].lower() == EVERY


def parse_interval_s(expression: str) -> int:
    """The interval of `@every <duration>` in seconds; a duration is units in the order d, h,
    m, s, each a whole number (`30s`, `5m`, `1h30m`, `1d`), from 1 s to 366 days.

    Raises:
        CronError: naming what is wrong.
    """
    words = expression.split()
    duration = words[1] if len(words) == 2 and words[0].lower() == EVERY else ""
    match = _DURATION.fullmatch(duration.lower())
    if not duration or match is None:
        msg = (
            f"Invalid cron expression {quote(expression)}: expected @every followed by a "
            "duration such as 30s, 5m, 1h30m or 1d"
        )
        raise CronError(msg)
    total = sum(int(n) * _UNIT_S[unit] for n, unit in zip(match.groups(), "dhms", strict=True) if n)
    if not 1 <= total <= MAX_INTERVAL_S:
        msg = (
            f"Invalid cron expression {quote(expression)}: the interval must be from 1s to "
            f"{MAX_INTERVAL_S // 86400}d"
        )
        raise CronError(msg)
    return total
