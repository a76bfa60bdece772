"""Request bodies -> model objects, and validation failures in Metronome's 422 `details` form."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError

from metronome.api._schemas_backfill import BackfillRequest, BackfillRequestSchema
from metronome.api._schemas_fields import wrong_type
from metronome.api._schemas_job import JobSchema, V0JobSchema, policy_details
from metronome.api._schemas_overrides import RunOverridesSchema
from metronome.api._schemas_pause import PauseRequest, PauseRequestSchema
from metronome.api._schemas_schedule import ScheduleSchema

if TYPE_CHECKING:
    from marshmallow import Schema

    from metronome.launch import TaskPolicy
    from metronome.model import JobSpec, RunOverrides, ScheduleSpec

logger = logging.getLogger(__name__)

# Built once: marshmallow compiles field maps per instance, and parse_job runs on every POST.
_JOB = JobSchema()
_V0_JOB = V0JobSchema()
_SCHEDULE = ScheduleSchema()
_OVERRIDES = RunOverridesSchema()
_PAUSE = PauseRequestSchema()
_BACKFILL = BackfillRequestSchema()

ROOT_PATH = "/"


class ValidationFailed(Exception):
    """A request body is not a valid job or schedule; `details` lists every problem."""

    def __init__(self, details: list[dict[str, Any]]) -> None:
        super().__init__("Object is not valid")
        self.details = details


def parse_job(body: object, *, v0: bool = False, policy: TaskPolicy | None = None) -> JobSpec:
    """Read a job body (`json.loads` output), inline `schedules` included.

    Args:
        body: the decoded JSON body.
        v0: read it with the /v0/scheduled-jobs schema (no `taskKillGracePeriodSeconds`).
        policy: the operator's task policy, whose refusals are validation failures too.

    Raises:
        ValidationFailed: naming every wrong field at once.
    """
    spec: JobSpec = _load(_V0_JOB if v0 else _JOB, body)
    details = [] if policy is None else policy_details(spec.run, policy)
    if details:
        raise ValidationFailed(details)
    return spec


def parse_schedule(body: object) -> ScheduleSpec:
    """Read a standalone schedule body (/v1/jobs/{id}/schedules); unknown keys are ignored.

    Raises:
        ValidationFailed: naming every wrong field at once.
    """
    schedule: ScheduleSpec = _load(_SCHEDULE, body)
    return schedule


def parse_overrides(body: object) -> RunOverrides:
    """Read a manual run's overrides (`env`, and `cmd` or `args`).

    Raises:
        ValidationFailed: naming every wrong or unknown field at once.
    """
    overrides: RunOverrides = _load(_OVERRIDES, body)
    return overrides


def parse_pause(body: object) -> PauseRequest:
    """Read a pause request (`reason`, `until`, `by`).

    Raises:
        ValidationFailed: naming every wrong or unknown field at once.
    """
    asked: PauseRequest = _load(_PAUSE, body)
    return asked


def parse_backfill(body: object) -> BackfillRequest:
    """Read a backfill request (`from`, `to`).

    Raises:
        ValidationFailed: naming every wrong or unknown field at once.
    """
    asked: BackfillRequest = _load(_BACKFILL, body)
    return asked


def _load(schema: Schema, body: object) -> Any:
    if not isinstance(body, dict):
        raise ValidationFailed([{"path": ROOT_PATH, "errors": [wrong_type("object", body)]}])
    try:
        return schema.load(body)
    except ValidationError as exc:
        details = flatten(exc.messages)
        logger.debug("Invalid %s body: %s", type(schema).__name__, details)
        raise ValidationFailed(details) from None


def flatten(messages: Any) -> list[dict[str, Any]]:
    """Marshmallow's nested error dict -> [{"path", "errors"}], paths in JsPath form.

    Object keys become `/key`, array indexes `(i)` (`/run/artifacts(0)/uri`); marshmallow's
    `_schema` key holds errors about the enclosing object itself.
    """
    by_path: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                if key == "_schema":
                    walk(child, path)
                elif isinstance(key, int):
                    walk(child, f"{path}({key})")
                else:
                    walk(child, f"{path}/{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            by_path.setdefault(path or ROOT_PATH, []).append(str(node))

    walk(messages, "")
    return [{"path": path, "errors": errors} for path, errors in by_path.items()]
