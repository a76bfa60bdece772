"""Handlers of /v1/jobs/{jobId}/pause and /resume: a paused job's schedules do not fire (their
instants are recorded as paused) until it is resumed or its `until` passes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from metronome.api._app_keys import job_service
from metronome.api._auth import IDENTITY
from metronome.api._http import json_response, read_body, read_json
from metronome.api._render import format_timestamp
from metronome.api._schemas import ValidationFailed, parse_pause
from metronome.model import Pause

if TYPE_CHECKING:
    from datetime import datetime

routes = web.RouteTableDef()

NOT_PAUSED = {"paused": False}


@routes.get("/v1/jobs/{job_id}/pause")
async def get_pause(request: web.Request) -> web.Response:
    services = job_service(request)
    history = services.entry(request.match_info["job_id"]).history
    return json_response(render_pause(history.pause if history else None, services.clock()))


@routes.post("/v1/jobs/{job_id}/pause")
async def pause_job(request: web.Request) -> web.Response:
    """Pause the job (a new pause replaces the one it has); the body is optional."""
    services = job_service(request)
    job_id = request.match_info["job_id"]
    services.entry(job_id)  # an unknown job is a 404 before the body is judged
    body = await read_json(request) if (await read_body(request)).strip() else {}
    asked = parse_pause(body)
    now = services.clock()
    if asked.until is not None and asked.until <= now:
        raise ValidationFailed([{"path": "/until", "errors": ["must be in the future."]}])
    identity = request.get(IDENTITY)
    if identity is not None and asked.by is not None:
        msg = "is taken from the credentials when authentication is on."
        raise ValidationFailed([{"path": "/by", "errors": [msg]}])
    by = str(identity) if identity is not None else asked.by
    pause = Pause(since=now, by=by, reason=asked.reason, until=asked.until)
    await services.ask_job(job_id, lambda actor: actor.pause(pause))
    return json_response(render_pause(pause, now))


@routes.post("/v1/jobs/{job_id}/resume")
async def resume_job(request: web.Request) -> web.Response:
    """End the job's pause; resuming a job that is not paused changes nothing."""
    services = job_service(request)
    await services.ask_job(request.match_info["job_id"], lambda actor: actor.resume())
    return json_response(NOT_PAUSED)


def render_pause(pause: Pause | None, now: datetime) -> dict[str, Any]:
    if pause is None or not pause.holds_at(now):
        return NOT_PAUSED
    out: dict[str, Any] = {"paused": True, "since": format_timestamp(pause.since)}
    if pause.by is not None:
        out["by"] = pause.by
    if pause.reason is not None:
        out["reason"] = pause.reason
    if pause.until is not None:
        out["until"] = format_timestamp(pause.until)
    out["automatic"] = pause.automatic
    return out
