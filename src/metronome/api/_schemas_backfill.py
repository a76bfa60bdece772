"""The body of POST /v1/jobs/{jobId}/schedules/{scheduleId}/backfill: a past time range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError, post_load, validates_schema

from metronome.api._instants import Instant
from metronome.api._schemas_fields import StrictSchema


@dataclass(frozen=True, slots=True)
class BackfillRequest:
    start: datetime
    end: datetime


class BackfillRequestSchema(StrictSchema):
    start = Instant(
        required=True,
        data_key="from",
        metadata={"description": "The first instant of the range (included)"},
    )
    end = Instant(
        required=True,
        data_key="to",
        metadata={"description": "The last instant of the range (included), not in the future"},
    )

    @validates_schema(skip_on_field_errors=True)
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] < data["start"]:
            raise ValidationError("is before from.", field_name="to")

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> BackfillRequest:
        return BackfillRequest(**data)
