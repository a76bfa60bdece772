"""Handlers of /v1/jobs and the legacy /v0/scheduled-jobs."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from aiohttp import web

from metronome.api._app_keys import job_service
from metronome.api._auth import IDENTITY, Forbidden
from metronome.api._http import json_body, json_response, read_json
from metronome.api._query import embeds, flag
from metronome.api._render import (
    render_history,
    render_history_summary,
    render_job,
    render_run,
)
from metronome.api._schemas import parse_job
from metronome.launch import TaskPolicy
from metronome.model import JobHistory, JobId

if TYPE_CHECKING:
    from datetime import datetime

    from metronome.actors import JobEntry
    from metronome.api._app_keys import Services
    from metronome.model import JobSpec

routes = web.RouteTableDef()


@routes.get("/v1/jobs")
async def list_jobs(request: web.Request) -> web.Response:
    services = job_service(request)
    embed = embeds(request.query)
    entries = services.view.all()
    now = services.clock()
    if not embed:
        return json_response(body=b"[" + b",".join(_cached(entry, now) for entry in entries) + b"]")
    return json_response([_job_info(entry, embed, now, listing=True) for entry in entries])


@routes.post("/v1/jobs")
async def create_job(request: web.Request) -> web.Response:
    return await _create(request, v0=False)


@routes.post("/v0/scheduled-jobs")
async def create_scheduled_job(request: web.Request) -> web.Response:
    return await _create(request, v0=True)


@routes.get("/v1/jobs/{job_id}")
async def get_job(request: web.Request) -> web.Response:
    services = job_service(request)
    embed = embeds(request.query)
    entry = services.entry(request.match_info["job_id"])
    now = services.clock()
    if not embed:
        return json_response(body=_cached(entry, now))
    return json_response(_job_info(entry, embed, now, listing=False))


@routes.put("/v1/jobs/{job_id}")
async def update_job(request: web.Request) -> web.Response:
    """Replace the job but keep its schedules (Metronome's PUT /v1/jobs semantics)."""
    return await _update(request, keep_schedules=True)


@routes.put("/v0/scheduled-jobs/{job_id}")
async def replace_scheduled_job(request: web.Request) -> web.Response:
    """Replace the job together with its schedules."""
    return await _update(request, keep_schedules=False)


@routes.delete("/v1/jobs/{job_id}")
async def delete_job(request: web.Request) -> web.Response:
    services = job_service(request)
    stop_runs = flag(request.query, "stopCurrentJobRuns")
    job_id = request.match_info["job_id"]
    deleted = await services.ask_job(job_id, lambda actor: actor.delete(stop_runs=stop_runs))
    return _job_response(deleted, services.clock(), status=200)


async def _create(request: web.Request, *, v0: bool) -> web.Response:
    services = job_service(request)
    spec = parse_job(await read_json(request), v0=v0, policy=_policy(services))
    _check_task_user(request, spec)
    created = await services.ask(services.supervisor.create_job(spec))
    return _job_response(created, services.clock(), status=201, schedules=v0 or None)


async def _update(request: web.Request, *, keep_schedules: bool) -> web.Response:
    services = job_service(request)
    job_id = request.match_info["job_id"]
    body = await read_json(request)
    # The path names the job (ask_job answers 404 for an unknown one); the body's id is ignored.
    spec = parse_job(body, v0=not keep_schedules, policy=_policy(services))
    spec = dataclasses.replace(spec, id=JobId(job_id))
    _check_task_user(request, spec)
    updated = await services.ask_job(
        job_id, lambda actor: actor.update(spec, keep_schedules=keep_schedules)
    )
    return _job_response(
        updated, services.clock(), status=200, schedules=not keep_schedules or None
    )


def _check_task_user(request: web.Request, spec: JobSpec) -> None:
    """With auth on, the job's `run.user` must be one its identity may name (`task_users`).

    Raises:
        Forbidden: naming the identity, the user and the job.
    """
    identity = request.get(IDENTITY)
    user = spec.run.user
    if identity is not None and user is not None and not identity.may_run_as(user):
        msg = f"{identity} may not run tasks as user '{user}' (job '{spec.id}')"
        raise Forbidden(msg)


def _job_response(
    spec: JobSpec, now: datetime, *, status: int, schedules: bool | None = None
) -> web.Response:
    """A job as a write returns it: with its schedules when it has some (or when asked to)."""
    with_schedules = bool(spec.schedules) if schedules is None else schedules
    return json_response(render_job(spec, with_schedules=with_schedules, now=now), status=status)


def _cached(entry: JobEntry, now: datetime) -> bytes:
    """The job's plain rendering, encoded once per published version."""
    if entry.rendered is None:
        entry.rendered = json_body(render_job(entry.spec, with_schedules=False, now=now))
    return entry.rendered


def _job_info(
    entry: JobEntry, embed: frozenset[str], now: datetime, *, listing: bool
) -> dict[str, Any]:
    """A job with its embeds. In a listing, `activeRuns` appears only on jobs that have some."""
    info = render_job(entry.spec, with_schedules="schedules" in embed, now=now)
    if "activeRuns" in embed and (entry.runs or not listing):
        info["activeRuns"] = [render_run(run) for run in entry.runs]
    history = entry.history or JobHistory(job_id=entry.spec.id)
    if "history" in embed:
        info["history"] = render_history(history)
    if "historySummary" in embed:
        info["historySummary"] = render_history_summary(history)
    return info


def _policy(services: Services) -> TaskPolicy:
    """The operator's task policy (issue 14): a job it refuses is a 422, not a run that fails."""
    return TaskPolicy.from_settings(services.settings)
