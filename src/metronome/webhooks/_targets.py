"""Where a job's notifications go and which events it wants: the job's labels
(`metronome.webhook.url`, `metronome.webhook.events`), else the server's default
(`--webhook-url`, `--webhook-events`). Labels need no new field in the job spec, so published
clients that decode jobs strictly are not affected."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

URL_LABEL = "metronome.webhook.url"
EVENTS_LABEL = "metronome.webhook.events"


class Event(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    MISSED = "missed"
    SKIPPED = "skipped"


def parse_events(text: str) -> frozenset[Event]:
    """`failure,missed` -> those events.

    Raises:
        ValueError: an unknown event name (the message lists the known ones).
    """
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    known = {event.value for event in Event}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        msg = f"expected events among {', '.join(sorted(known))}, got {text!r}"
        raise ValueError(msg)
    return frozenset(Event(name) for name in names)


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    events: frozenset[Event]


def target_of(
    labels: Mapping[str, str], default_url: str | None, default_events: frozenset[Event]
) -> Target | None:
    """The job's target; None if it has none (no label, no server default) or a bad label."""
    url = labels.get(URL_LABEL) or default_url
    if not url or not url.startswith(("http://", "https://")):
        return None
    try:
        events = parse_events(labels[EVENTS_LABEL]) if EVENTS_LABEL in labels else default_events
    except ValueError:
        events = default_events
    return Target(url, events)
