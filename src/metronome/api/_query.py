"""Query parameters shared by several endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metronome.api._http import BadRequest

if TYPE_CHECKING:
    from multidict import MultiMapping

EMBEDS = ("activeRuns", "schedules", "history", "historySummary")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def embeds(query: MultiMapping[str], allowed: tuple[str, ...] = EMBEDS) -> frozenset[str]:
    """`embed` values, repeated (`embed=a&embed=b`) or comma-separated (`embed=a,b`), out of
    `allowed` (a job's embeds by default).

    Raises:
        BadRequest: an unknown or empty value.
    """
    values = [part.strip() for value in query.getall("embed", []) for part in value.split(",")]
    if any(value not in allowed for value in values):
        msg = f"Unknown embed options. Valid options are: {', '.join(allowed)}"
        raise BadRequest(msg)
    return frozenset(values)


def flag(query: MultiMapping[str], name: str) -> bool:
    """A boolean query parameter (`true`, `false`, `1`, `0`); absent is false.

    Raises:
        BadRequest: any other value.
    """
    value = query.get(name, "false").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    msg = f"Cannot parse parameter {name} as Boolean: should be true, false, 0 or 1"
    raise BadRequest(msg)
