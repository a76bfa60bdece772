"""The OpenAPI 3 document of the API (`/openapi.json`), generated so that it cannot drift.

Request bodies are the very marshmallow schemas that parse them; response shapes are marshmallow
schemas too, built on the request ones where the API returns what it was given. Paths come from
the app's router: a route without an entry in `OPERATIONS` stops the app from being built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields, validate

from metronome import __version__
from metronome.api._auth_config import Action
from metronome.api._http import json_body, json_response
from metronome.api._query import EMBEDS
from metronome.api._schemas_backfill import BackfillRequestSchema
from metronome.api._schemas_fields import (
    Array,
    Boolean,
    Choice,
    Integer,
    Number,
    Object,
    String,
    StringMap,
)
from metronome.api._schemas_job import JobSchema, V0JobSchema
from metronome.api._schemas_overrides import RunOverridesSchema
from metronome.api._schemas_pause import PauseRequestSchema
from metronome.api._schemas_schedule import InlineScheduleSchema, ScheduleSchema, validate_job_id
from metronome.model import JOB_ID_PATTERN, MAX_ID_LENGTH, RunStatus, TaskStatus

if TYPE_CHECKING:
    from apispec.ext.marshmallow.field_converter import FieldConverterMixin

# Response shapes (the renderings of _render.py).


class ErrorSchema(Schema):
    message = fields.String(required=True)
    requestPath = fields.String()


class GrantSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf([a.value for a in Action]))
    jobs = fields.String(required=True)


class IdentitySchema(Schema):
    auth = fields.Boolean(required=True)
    name = fields.String()
    kind = fields.String(validate=validate.OneOf(["user", "token"]))
    grants = fields.List(fields.Nested(GrantSchema), required=True)


class ValidationDetailSchema(Schema):
    path = fields.String(required=True)
    errors = fields.List(fields.String(), required=True)


class ValidationErrorSchema(Schema):
    message = fields.String(required=True)
    details = fields.List(fields.Nested(ValidationDetailSchema), required=True)


class TaskInfoSchema(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in TaskStatus]))
    startedAt = fields.String(required=True)
    completedAt = fields.String()


class JobRunSchema(Schema):
    id = fields.String(required=True)
    jobId = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in RunStatus]))
    createdAt = fields.String(required=True)
    completedAt = fields.String(required=True, allow_none=True)
    tasks = fields.List(fields.Nested(TaskInfoSchema), required=True)


class FinishedRunSchema(Schema):
    id = fields.String(required=True)
    createdAt = fields.String(required=True)
    finishedAt = fields.String(required=True)
    tasks = fields.List(fields.String(), required=True)


class HistorySummarySchema(Schema):
    successCount = fields.Integer(required=True)
    failureCount = fields.Integer(required=True)
    lastSuccessAt = fields.String(required=True, allow_none=True)
    lastFailureAt = fields.String(required=True, allow_none=True)
    skippedCount = fields.Integer(required=True)
    missedCount = fields.Integer(required=True)
    pausedCount = fields.Integer(metadata={"description": "Only once the job has had one"})


class HistorySchema(HistorySummarySchema):
    successfulFinishedRuns = fields.List(fields.Nested(FinishedRunSchema), required=True)
    failedFinishedRuns = fields.List(fields.Nested(FinishedRunSchema), required=True)


class ScheduleInfoSchema(InlineScheduleSchema):
    """A schedule as returned: `nextRunAt` is present while it is enabled."""

    next_run_at = fields.Raw(data_key="nextRunAt", metadata={"type": "string"})


class JobInfoSchema(JobSchema):
    """A job as returned, with whatever `embed` asked for."""

    schedules = Array(Object(ScheduleInfoSchema))
    active_runs = fields.List(fields.Nested(JobRunSchema), data_key="activeRuns")
    history = fields.Nested(HistorySchema)
    history_summary = fields.Nested(HistorySummarySchema, data_key="historySummary")


class PauseSchema(Schema):
    """A job's pause: `paused` alone when it has none."""

    paused = fields.Boolean(required=True)
    since = fields.String()
    by = fields.String()
    reason = fields.String()
    until = fields.String()
    automatic = fields.Boolean(metadata={"description": "Set by pauseAfterFailures"})


class SlotSchema(Schema):
    instant = fields.String(required=True)
    outcome = fields.String(
        required=True,
        validate=validate.OneOf(
            ["run", "missed", "skipped", "paused", "pending", "scheduled", "unknown"]
        ),
    )
    runId = fields.String(metadata={"description": "With outcome run"})
    status = fields.String(validate=validate.OneOf([s.value for s in RunStatus]))


class SlotPageSchema(Schema):
    slots = fields.List(fields.Nested(SlotSchema), required=True)
    next = fields.String(metadata={"description": "The from of the next page, if any"})


class BackfillSchema(Schema):
    queued = fields.List(fields.String(), required=True)
    ignored = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Instants that already have a run or are queued already"},
    )


class QueuedRunSchema(Schema):
    runId = fields.String(required=True)
    reason = fields.String(
        metadata={"description": "With ?embed=reason: the constraint or resource that does not fit"}
    )


class QueueEntrySchema(Schema):
    jobId = fields.String(required=True)
    runs = fields.List(fields.Nested(QueuedRunSchema), required=True)


class InfoSchema(Schema):
    version = fields.String(required=True)
    libVersion = fields.String(required=True)
    config = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class LeaderSchema(Schema):
    leader = fields.String(required=True)


# Operations.

JSON = "application/json"
TEXT = "text/plain"

_EXAMPLE_JOB = {
    "id": "examples.hello",
    "description": "Says hello",
    "run": {"cmd": "echo hello", "cpus": 0.1, "mem": 32, "disk": 0},
    "schedules": [{"id": "nightly", "cron": "0 3 * * *", "timezone": "Europe/Rome"}],
}
_EXAMPLE_SCHEDULE = {"id": "nightly", "cron": "0 3 * * *", "timezone": "UTC"}


@dataclass(frozen=True)
class Operation:
    """One route's documentation: its body, query parameters and every status it answers."""

    summary: str
    responses: dict[int, tuple[str, Any]]
    body: type[Schema] | None = None
    example: dict[str, Any] | None = None
    query: tuple[dict[str, Any], ...] = ()
    secured: bool = True
    body_required: bool = True


def _array(schema: type[Schema]) -> dict[str, Any]:
    return {"type": "array", "items": schema}


_EMBED = {
    "name": "embed",
    "in": "query",
    "description": "What to embed: repeat the parameter or separate values with commas.",
    "schema": {"type": "array", "items": {"type": "string", "enum": list(EMBEDS)}},
    "style": "form",
    "explode": True,
}
_QUEUE_EMBED = {
    "name": "embed",
    "in": "query",
    "description": "reason: say why each run waits (the constraint or resource that does not fit).",
    "schema": {"type": "array", "items": {"type": "string", "enum": ["reason"]}},
    "style": "form",
    "explode": True,
}
_STOP_RUNS = {
    "name": "stopCurrentJobRuns",
    "in": "query",
    "description": "Stop the job's active runs instead of refusing with 409.",
    "schema": {"type": "boolean", "default": False},
}

_CONCURRENCY = {
    "name": "concurrency",
    "in": "query",
    "description": (
        "respect: the run obeys the job's concurrency policy (the strictest of its schedules':"
        " FORBID answers 409 while a run is active, REPLACE stops the active runs first)."
        " ignore (Metronome's behaviour): a manual run always starts."
    ),
    "schema": {"type": "string", "enum": ["ignore", "respect"], "default": "ignore"},
}
_SLOT_QUERY = (
    {
        "name": "from",
        "in": "query",
        "required": True,
        "description": "First instant (ISO 8601 with an offset), or a page's next",
        "schema": {"type": "string"},
    },
    {
        "name": "to",
        "in": "query",
        "description": "Last instant; now when left out",
        "schema": {"type": "string"},
    },
    {
        "name": "limit",
        "in": "query",
        "description": "Instants per page",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
    },
)
_EXAMPLE_OVERRIDES = {"env": {"DRY_RUN": "1"}, "args": ["/usr/bin/report", "--since", "2d"]}

_NOT_FOUND = {404: ("No such job (or one the caller may not view), schedule or run", ErrorSchema)}
_BAD_REQUEST = {400: ("Unreadable query parameter", ErrorSchema)}
_BODY_ERRORS = {
    400: ("Malformed JSON or wrong content type", ErrorSchema),
    408: ("The body did not arrive in time", ErrorSchema),
    413: ("The body is over the size limit", ErrorSchema),
    422: ("The body is not valid; one entry per wrong field", ValidationErrorSchema),
}
_JOB_BODY_ERRORS = {
    **_BODY_ERRORS,
    422: (
        "The body is not valid (one entry per wrong field), or the job's dependencies break a"
        " rule: unknown parents, a cycle, dependencies beside schedules (a message only)",
        {"anyOf": [ValidationErrorSchema, ErrorSchema]},
    ),
}
_JOB = ("The job", JobInfoSchema)
_SCHEDULE = ("The schedule", ScheduleInfoSchema)
_RUN = ("The run", JobRunSchema)
_CONFLICT = ("The change contradicts the current state", ErrorSchema)
_PAUSE = ("The job's pause", PauseSchema)

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/ping"): Operation("Liveness", {200: ("pong", "text")}, secured=False),
    ("GET", "/info"): Operation("Version and effective configuration", {200: ("", InfoSchema)}),
    ("GET", "/leader"): Operation(
        "The leading instance", {200: ("", LeaderSchema), 404: ("No leader", ErrorSchema)}
    ),
    ("GET", "/v1/metrics"): Operation(
        "Metrics in Metronome's JSON form", {200: ("", {"type": "object"})}
    ),
    ("GET", "/metrics"): Operation("Metrics in Prometheus text form", {200: ("", "text")}),
    ("GET", "/openapi.json"): Operation("This document", {200: ("", {"type": "object"})}),
    ("GET", "/v1/identity"): Operation(
        "Who the caller is and its grants (every action on * when auth is off)",
        {200: ("", IdentitySchema)},
    ),
    ("GET", "/v1/queue"): Operation(
        "Runs waiting to be placed, by job; ?embed=reason says why each waits",
        {200: ("", _array(QueueEntrySchema)), **_BAD_REQUEST},
        query=(_QUEUE_EMBED,),
    ),
    ("GET", "/v1/jobs"): Operation(
        "Every job (the caller may view)",
        {200: ("", _array(JobInfoSchema)), **_BAD_REQUEST},
        query=(_EMBED,),
    ),
    ("POST", "/v1/jobs"): Operation(
        "Create a job (with inline schedules)",
        {201: _JOB, 409: _CONFLICT, **_JOB_BODY_ERRORS},
        body=JobSchema,
        example=_EXAMPLE_JOB,
    ),
    ("POST", "/v0/scheduled-jobs"): Operation(
        "Create a job with its schedules (v0)",
        {201: _JOB, 409: _CONFLICT, **_JOB_BODY_ERRORS},
        body=V0JobSchema,
        example=_EXAMPLE_JOB,
    ),
    ("GET", "/v1/jobs/{job_id}"): Operation(
        "A job", {200: _JOB, **_NOT_FOUND, **_BAD_REQUEST}, query=(_EMBED,)
    ),
    ("PUT", "/v1/jobs/{job_id}"): Operation(
        "Replace a job, keeping its schedules",
        {200: _JOB, **_NOT_FOUND, **_JOB_BODY_ERRORS},
        body=JobSchema,
        example=_EXAMPLE_JOB,
    ),
    ("PUT", "/v0/scheduled-jobs/{job_id}"): Operation(
        "Replace a job together with its schedules (v0)",
        {200: _JOB, **_NOT_FOUND, **_JOB_BODY_ERRORS},
        body=V0JobSchema,
        example=_EXAMPLE_JOB,
    ),
    ("DELETE", "/v1/jobs/{job_id}"): Operation(
        "Delete a job with its runs and history",
        {200: _JOB, 409: _CONFLICT, **_NOT_FOUND, **_BAD_REQUEST},
        query=(_STOP_RUNS,),
    ),
    ("GET", "/v1/jobs/{job_id}/schedules"): Operation(
        "A job's schedules", {200: ("", _array(ScheduleInfoSchema)), **_NOT_FOUND}
    ),
    ("POST", "/v1/jobs/{job_id}/schedules"): Operation(
        "Add a schedule",
        {201: _SCHEDULE, 409: _CONFLICT, **_NOT_FOUND, **_JOB_BODY_ERRORS},
        body=ScheduleSchema,
        example=_EXAMPLE_SCHEDULE,
    ),
    ("GET", "/v1/jobs/{job_id}/schedules/{schedule_id}"): Operation(
        "A schedule", {200: _SCHEDULE, **_NOT_FOUND}
    ),
    ("PUT", "/v1/jobs/{job_id}/schedules/{schedule_id}"): Operation(
        "Replace a schedule (the id in the path wins)",
        {200: _SCHEDULE, **_NOT_FOUND, **_JOB_BODY_ERRORS},
        body=ScheduleSchema,
        example=_EXAMPLE_SCHEDULE,
    ),
    ("DELETE", "/v1/jobs/{job_id}/schedules/{schedule_id}"): Operation(
        "Delete a schedule", {200: ("Deleted; the body is empty", None), **_NOT_FOUND}
    ),
    ("GET", "/v1/jobs/{job_id}/schedules/{schedule_id}/slots"): Operation(
        "Each instant of the schedule in [from, to] and what became of it: its run, or missed,"
        " skipped (FORBID), paused; pending, scheduled (to come), unknown (not kept)",
        {200: ("", SlotPageSchema), **_NOT_FOUND, **_BAD_REQUEST},
        query=_SLOT_QUERY,
    ),
    ("POST", "/v1/jobs/{job_id}/schedules/{schedule_id}/backfill"): Operation(
        "Run the schedule's instants of a past range once each, under its concurrency policy"
        " (ALLOW: all at once; FORBID, REPLACE: one at a time, oldest first)",
        {
            202: ("The instants queued, and those already run or queued", BackfillSchema),
            409: ("The job's backfill queue would hold more than 1000 instants", ErrorSchema),
            **_NOT_FOUND,
            **_BODY_ERRORS,
        },
        body=BackfillRequestSchema,
        example={"from": "2026-01-04T00:00:00.000+0000", "to": "2026-01-05T00:00:00.000+0000"},
    ),
    ("GET", "/v1/jobs/{job_id}/runs"): Operation(
        "A job's active runs", {200: ("", _array(JobRunSchema)), **_NOT_FOUND}
    ),
    ("POST", "/v1/jobs/{job_id}/runs"): Operation(
        "Start a run now; the optional body overrides env, and cmd or args, for this run alone"
        " (the command needs the override-command grant when an auth file is used)",
        {
            201: _RUN,
            409: ("Asked to respect FORBID while a run is active", ErrorSchema),
            **_NOT_FOUND,
            **_BODY_ERRORS,
        },
        body=RunOverridesSchema,
        example=_EXAMPLE_OVERRIDES,
        query=(_CONCURRENCY,),
        body_required=False,
    ),
    ("GET", "/v1/jobs/{job_id}/runs/{run_id}"): Operation(
        "An active run", {200: _RUN, **_NOT_FOUND}
    ),
    ("POST", "/v1/jobs/{job_id}/runs/{run_id}/actions/stop"): Operation(
        "Stop an active run (it ends FAILED)", {200: _RUN, **_NOT_FOUND}
    ),
    ("GET", "/v1/jobs/{job_id}/pause"): Operation(
        "Whether the job is paused, by whom, why and until when", {200: _PAUSE, **_NOT_FOUND}
    ),
    ("POST", "/v1/jobs/{job_id}/pause"): Operation(
        "Pause the job: its schedules' instants are recorded as paused, not run (manual runs"
        " still start); a new pause replaces the current one",
        {200: _PAUSE, **_NOT_FOUND, **_BODY_ERRORS},
        body=PauseRequestSchema,
        example={"reason": "database migration", "until": "2026-01-05T12:00:00.000+0000"},
        body_required=False,
    ),
    ("POST", "/v1/jobs/{job_id}/resume"): Operation(
        "End the job's pause (nothing changes for a job that is not paused)",
        {200: _PAUSE, **_NOT_FOUND},
    ),
}
"""(method, route pattern) -> its documentation; HEAD routes are GET's twins and left out."""

# Run output (api/_logs.py).
_LOG_QUERY = (
    {
        "name": "task",
        "in": "query",
        "description": "Which task of the run (default: its latest).",
        "schema": {"type": "string"},
    },
    {
        "name": "follow",
        "in": "query",
        "description": "Stream what the task writes until it ends (from the Range's first byte).",
        "schema": {"type": "boolean", "default": False},
    },
    {
        "name": "Range",
        "in": "header",
        "description": "One range of bytes: bytes=FIRST-[LAST] or bytes=-SUFFIX.",
        "schema": {"type": "string"},
    },
)
for _stream in ("stdout", "stderr"):
    OPERATIONS[("GET", f"/v1/jobs/{{job_id}}/runs/{{run_id}}/logs/{_stream}")] = Operation(
        f"The {_stream} of a run's task, active or ended while its sandbox is kept",
        {
            200: ("The whole output, or what follows while the task runs", "text"),
            206: ("The range asked for (Content-Range)", "text"),
            404: (
                "No such job, run or task, no task yet, or the output was removed (says when)",
                ErrorSchema,
            ),
            416: ("The range starts past the end (Content-Range: bytes */size)", ErrorSchema),
            **_BAD_REQUEST,
        },
        query=_LOG_QUERY,
    )

_SECURED_RESPONSES = {
    400: ("Malformed Authorization header (only with an auth file)", ErrorSchema),
    401: ("Missing or wrong credentials (only with an auth file)", ErrorSchema),
    403: ("The identity lacks the grant (only with an auth file)", ErrorSchema),
    429: ("Too many failed logins; see Retry-After (only with an auth file)", ErrorSchema),
}
_LEADER_RESPONSES = {
    502: ("This instance forwarded the request and the leader did not answer", ErrorSchema),
    503: ("No leader, or the job service is starting, stopping or overloaded", ErrorSchema),
}
_PATH_PARAMETER = re.compile(r"\{(\w+)\}")
_LOCAL = frozenset({"/ping", "/v1/metrics", "/metrics"})
"""Answered by every instance itself (see _proxy.LOCAL_PATHS): no forwarding, no leader needed."""


def openapi_document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.0 document of every route of `app`.

    Raises:
        KeyError: a route of the app has no entry in OPERATIONS.
    """
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Metronome",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": "Scheduled jobs: DC/OS Metronome's REST API."},
    )
    spec.components.security_scheme("basic", {"type": "http", "scheme": "basic"})
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    _teach_fields(plugin)
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        path = route.resource.canonical if route.resource is not None else ""
        try:
            operation = OPERATIONS[(route.method, path)]
        except KeyError:
            msg = f"{route.method} {path} has no entry in api._openapi.OPERATIONS"
            raise KeyError(msg) from None
        spec.path(path=path, operations={route.method.lower(): _operation(path, operation)})
    return spec.to_dict()


def _operation(path: str, operation: Operation) -> dict[str, Any]:
    responses = dict(operation.responses)
    if operation.secured:  # an operation's own description of a status wins
        responses = _SECURED_RESPONSES | responses
    if path not in _LOCAL:
        responses |= _LEADER_RESPONSES
    out: dict[str, Any] = {
        "summary": operation.summary,
        "responses": {str(status): _response(*responses[status]) for status in sorted(responses)},
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAMETER.findall(path)
        ]
        + list(operation.query),
    }
    if operation.body is not None:
        content: dict[str, Any] = {"schema": operation.body}
        if operation.example is not None:
            content["example"] = operation.example
        out["requestBody"] = {"required": operation.body_required, "content": {JSON: content}}
    out["security"] = [{"basic": []}, {"token": []}, {}] if operation.secured else []
    return out


def _response(description: str, schema: Any) -> dict[str, Any]:
    if schema is None:
        return {"description": description or "OK"}
    if schema == "text":
        text = {"schema": {"type": "string"}}
        return {"description": description or "OK", "content": {TEXT: text}}
    return {"description": description or "OK", "content": {JSON: {"schema": schema}}}


def _teach_fields(plugin: MarshmallowPlugin) -> None:
    """Map the project's strict fields (_schemas_fields) to JSON Schema, constraints included."""
    converter = plugin.converter
    assert converter is not None
    # An instance copy: apispec's mapping is a class-level dict shared by every converter.
    converter.field_mapping = {
        **converter.field_mapping,
        String: ("string", None),
        Boolean: ("boolean", None),
        Number: ("number", None),
        Integer: ("integer", None),
        Choice: ("string", None),
        StringMap: ("object", None),
        Array: ("array", None),
    }
    # apispec declares this method without annotations.
    converter.add_attribute_function(_strict_field_properties)  # type: ignore[no-untyped-call]


def _strict_field_properties(
    self: FieldConverterMixin, field: fields.Field[Any], **_: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(field, Array):
        out["items"] = self.field2property(field.item)
    elif isinstance(field, StringMap):
        out["additionalProperties"] = {"type": "string"}
    elif isinstance(field, Choice):
        out["enum"] = list(field.choices)
    elif isinstance(field, Number | Integer):
        if field.minimum is not None:
            out["minimum"] = field.minimum
        if field.maximum is not None:
            out["maximum"] = field.maximum
    elif isinstance(field, String):
        if field.min_length:
            out["minLength"] = field.min_length
        if validate_job_id in field.validators:
            out["pattern"] = f"^{JOB_ID_PATTERN.pattern}$"
            out["maxLength"] = MAX_ID_LENGTH
    return out


OPENAPI = web.AppKey("openapi", bytes)


def add_openapi_route(app: web.Application) -> None:
    """Serve the app's document at /openapi.json; built now, so a route without documentation
    stops the app from being created."""
    app.router.add_get("/openapi.json", _serve)
    app[OPENAPI] = json_body(openapi_document(app))


async def _serve(request: web.Request) -> web.Response:
    return json_response(body=request.app[OPENAPI])
