"""The optional body of POST /v1/jobs/{jobId}/pause: why, until when, and who (without auth)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, post_load

from metronome.api._instants import Instant
from metronome.api._schemas_fields import StrictSchema, String
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


class PauseRequestSchema(StrictSchema):
    reason = String(validate=_bounded, metadata={"description": "Why the job is paused"})
    until = Instant(
        metadata={"description": "When the pause ends by itself (in the future); none: on resume"}
    )
    by = String(
        validate=_bounded,
        metadata={"description": "Who paused it; with authentication on, the identity instead"},
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> PauseRequest:
        return PauseRequest(**data)
