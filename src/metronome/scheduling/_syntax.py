"""The cron grammar: five fields, or six with seconds first, and the nicknames; validated with
messages fit for an API user."""

from __future__ import annotations

import json
from dataclasses import dataclass

MAX_EXPRESSION_LENGTH = 256
_FIELD_NAMES = "minute hour day-of-month month day-of-week"
_SIX_FIELD_NAMES = "second " + _FIELD_NAMES
NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
"""Each nickname and the five fields it stands for (as in Vixie cron)."""
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# February counts 29 days: a day that exists only in leap years still fires.
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CronError(ValueError):
    """An expression or time zone that cannot be used; str(exc) is a message fit for an API user."""


class _Problem(Exception):
    """What is wrong with one part of an expression; parse_fields turns it into a CronError."""


@dataclass(frozen=True, slots=True)
class CronFields:
    """The values each field allows, as sorted tuples so the scan can bisect them.

    Days of the week count from 0 = Sunday (7 is folded onto 0). `repeating_hours` holds the
    hours written with `*`, a range or a step: a wall time in those hours that a fall-back
    transition repeats fires on both occurrences. A five-field expression fires at second 0.
    """

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: tuple[int, ...]
    months: tuple[int, ...]
    days_of_week: tuple[int, ...]
    repeating_hours: frozenset[int]
    seconds: tuple[int, ...] = (0,)


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[0] stands for the first value the field can hold


_SECOND = _Spec("second", 0, 59)
_MINUTE = _Spec("minute", 0, 59)
_HOUR = _Spec("hour", 0, 23)
_DAY_OF_MONTH = _Spec("day-of-month", 1, 31)
_MONTH = _Spec("month", 1, 12, tuple(month[:3].upper() for month in _MONTHS))
_DAY_OF_WEEK = _Spec("day-of-week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"))


def quote(text: str, limit: int = 64) -> str:
    """`text` as a JSON string, shortened so a hostile input cannot flood a message or a log."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return json.dumps(shown, ensure_ascii=False)


def check_length(expression: str) -> None:
    """Refuse an expression longer than any useful one.

    Raises:
        CronError: over `MAX_EXPRESSION_LENGTH` characters.
    """
    if len(expression) > MAX_EXPRESSION_LENGTH:
        msg = (
            f"Invalid cron expression: it has {len(expression)} characters, "
            f"at most {MAX_EXPRESSION_LENGTH} are allowed"
        )
        raise CronError(msg)


def parse_fields(expression: str) -> CronFields:
    """Parse a cron expression: five fields, six with seconds first, or a nickname.

    Raises:
        CronError: naming the first problem found.
    """
    try:
        return _parse(expression)
    except _Problem as exc:
        msg = f"Invalid cron expression {quote(expression)}: {exc}"
        raise CronError(msg) from exc


def _parse(expression: str) -> CronFields:
    texts = expression.split()
    if not texts:
        raise _Problem(f"it is empty; expected 5 fields ({_FIELD_NAMES}) or 6 with seconds first")
    if texts[0].startswith("@"):
        nickname = texts[0].lower()
        if len(texts) != 1 or nickname not in NICKNAMES:
            known = ", ".join(NICKNAMES)
            raise _Problem(f"unknown nickname; use one of {known}, @every <duration> or fields")
        texts = NICKNAMES[nickname].split()
    seconds: set[int] = {0}
    if len(texts) == 6:
        seconds, _ = _parse_field(texts[0], _SECOND)
        texts = texts[1:]
    elif len(texts) != 5:
        extra = "; a year field is not supported" if len(texts) == 7 else ""
        expected = f"5 ({_FIELD_NAMES}) or 6 ({_SIX_FIELD_NAMES})"
        raise _Problem(f"it has {len(texts)} fields, expected {expected}{extra}")
    minutes, _ = _parse_field(texts[0], _MINUTE)
    hours, repeating_hours = _parse_field(texts[1], _HOUR)
    days, _ = _parse_field(texts[2], _DAY_OF_MONTH)
    months, _ = _parse_field(texts[3], _MONTH)
    weekdays, _ = _parse_field(texts[4], _DAY_OF_WEEK)
    # Metronome rejects day/month pairs that never exist (METRONOME-236, metronome-behavior.md
    # §2.3) but with an exclusive range end; we check the real calendar, so `31 2-3` is valid.
    if not any(day <= _MAX_DAYS[month - 1] for month in months for day in days):
        names = [_MONTHS[month - 1] for month in sorted(months)]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise _Problem(f"day-of-month {texts[2]} never occurs in {listed}")
    return CronFields(
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days_of_month=tuple(sorted(days)),
        months=tuple(sorted(months)),
        days_of_week=tuple(sorted({day % 7 for day in weekdays})),
        repeating_hours=frozenset(repeating_hours),
        seconds=tuple(sorted(seconds)),
    )


def _parse_field(text: str, spec: _Spec) -> tuple[set[int], set[int]]:
    """The values a field allows, and those of them written as `*`, a range or a step."""
    values: set[int] = set()
    periodic: set[int] = set()
    for term in text.split(","):
        if not term:
            raise _Problem(f"{spec.name} field {quote(text)} has an empty list item")
        term_values, is_periodic = _parse_term(term, spec)
        values.update(term_values)
        if is_periodic:
            periodic.update(term_values)
    return values, periodic


def _parse_term(term: str, spec: _Spec) -> tuple[range, bool]:
    base, slash, step_text = term.partition("/")
    step = _number(step_text, term, spec) if slash else 1
    if slash and step < 1:
        raise _Problem(f"{spec.name} step in {quote(term)} must be at least 1")
    if base == "*":
        start, end = spec.low, spec.high
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _value(first, term, spec), _value(last, term, spec)
        if start > end:
            raise _Problem(f"{spec.name} range {quote(term)} goes backwards")
    else:
        start = _value(base, term, spec)
        # `5/15` means from 5 to the end of the field every 15, as in cron-utils and croniter.
        end = spec.high if slash else start
    return range(start, end + 1, step), start < end


def _value(token: str, term: str, spec: _Spec) -> int:
    name = token.upper()
    value = spec.low + spec.names.index(name) if name in spec.names else _number(token, term, spec)
    if not spec.low <= value <= spec.high:
        raise _Problem(f"{spec.name} {value} is out of range {spec.low}-{spec.high}")
    return value


def _number(token: str, term: str, spec: _Spec) -> int:
    if token.isascii() and token.isdigit():
        return int(token)
    names = f", names {spec.names[0]}-{spec.names[-1]}" if spec.names else ""
    msg = f'{spec.name} {quote(term)} is not valid; use numbers{names}, "*", "-", "," and "/"'
    raise _Problem(msg)
