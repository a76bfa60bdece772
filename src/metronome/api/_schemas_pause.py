"""The optional body of POST /v1/jobs/{jobId}/pause: why, until when, and who (without auth)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, post_load

from metronome.api._schemas_fields import JsonField, StrictSchema, String, shown
from metronome.model import MAX_PAUSE_REASON_LENGTH


@dataclass(frozen=True, slots=True)
class PauseRequest:
    reason: str | None = None
    until: datetime | None = None
    by: str | None = None


def _bounded(value: str) -> None:
    if len(value) > MAX_PAUSE_REASON_LENGTH:
        msg = f"is longer than maximum length of {MAX_PAUSE_REASON_LENGTH}."
        raise ValidationError(msg)


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant with its offset: Metronome's `2026-01-05T10:00:00.000+0000` or
    `2026-01-05T10:00:00Z`.

    Raises:
        ValidationError: anything else, a date or a time without an offset included.
    """
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        instant = None
    if instant is None or instant.utcoffset() is None:
        msg = f"'{shown(value)}' is not an instant such as 2026-01-05T10:00:00.000+0000."
        raise ValidationError(msg)
    return instant


class _Instant(JsonField[datetime]):
    json_type = "string"

    def _deserialize(
        self, value: object, attr: str | None, data: object, **kwargs: object
    ) -> datetime:
        return parse_instant(self._checked(value, str))


class PauseRequestSchema(StrictSchema):
    reason = String(validate=_bounded, metadata={"description": "Why the job is paused"})
    until = _Instant(
        metadata={"description": "When the pause ends by itself (in the future); none: on resume"}
    )
    by = String(
        validate=_bounded,
        metadata={"description": "Who paused it; with authentication on, the identity instead"},
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> PauseRequest:
        return PauseRequest(**data)
