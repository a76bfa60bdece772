"""Schedule bodies: standalone (/v1/jobs/{id}/schedules) and inline in a job."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, ValidationError, fields, post_load

from metronome.api._schemas_fields import (
    Boolean,
    Choice,
    Integer,
    StrictSchema,
    String,
    enum_choices,
    shown,
)
from metronome.model import (
    CATCH_UP_ALL_LIMIT,
    JOB_ID_PATTERN,
    MAX_ID_LENGTH,
    SCHEDULE_ID_PATTERN,
    CatchUpPolicy,
    ConcurrencyPolicy,
    ScheduleSpec,
    is_job_id,
    is_schedule_id,
)
from metronome.scheduling import CronError, parse_cron, parse_timezone


def _id_error(value: str, pattern: str) -> str:
    if len(value) > MAX_ID_LENGTH:
        return f"'{shown(value)}' is longer than maximum length of {MAX_ID_LENGTH}."
    return f"'{shown(value)}' does not match pattern '^{pattern}$'."


def validate_job_id(value: str) -> None:
    """Job ids; also schedule ids inside a job body (Metronome quirk, behavior §2.2)."""
    if not is_job_id(value):
        raise ValidationError(_id_error(value, JOB_ID_PATTERN.pattern))


def _validate_schedule_id(value: str) -> None:
    if not is_schedule_id(value):
        raise ValidationError(_id_error(value, SCHEDULE_ID_PATTERN.pattern))


def _validate_cron(value: str) -> None:
    try:
        parse_cron(value)
    except CronError as exc:  # its message quotes the expression and names the problem
        raise ValidationError(str(exc)) from exc


def _validate_timezone(value: str) -> None:
    try:
        parse_timezone(value)
    except CronError as exc:  # its message is Metronome's "No time zone found with this id: ..."
        raise ValidationError(str(exc)) from exc


class _ScheduleFields(StrictSchema):
    """The fields of a schedule; defaults come from the model."""

    cron = String(
        required=True,
        validate=_validate_cron,
        metadata={
            "description": "Five fields (minute first), six (seconds first), @every <duration>"
            " (30s, 5m, 1h30m, 1d) or @hourly, @daily, @weekly, @monthly, @yearly"
        },
    )
    timezone = String(validate=_validate_timezone)
    starting_deadline_s = Integer(data_key="startingDeadlineSeconds", minimum=1)
    concurrency_policy = Choice(enum_choices(ConcurrencyPolicy), data_key="concurrencyPolicy")
    enabled = Boolean()
    catch_up = Choice(
        enum_choices(CatchUpPolicy),
        data_key="catchUp",
        metadata={
            "description": "Instants missed while no scheduler ran that run late, if still"
            " inside startingDeadlineSeconds: NONE, LATEST (the default: the newest) or ALL"
            f" (at most {CATCH_UP_ALL_LIMIT}, the newest); the others are counted as missed"
        },
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> ScheduleSpec:
        data.pop("next_run_at", None)
        return ScheduleSpec(**data)


class ScheduleSchema(_ScheduleFields):
    """A standalone schedule body: the seed allows any extra property and ignores it."""

    class Meta:
        unknown = EXCLUDE

    id = String(required=True, validate=_validate_schedule_id)


class InlineScheduleSchema(_ScheduleFields):
    """A schedule inside a job body: strict, except that a rendered `nextRunAt` may come back."""

    id = String(required=True, validate=validate_job_id)
    next_run_at = fields.Raw(data_key="nextRunAt", load_only=True)
