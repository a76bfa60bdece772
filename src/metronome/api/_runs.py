"""Handlers of /v1/jobs/{jobId}/runs: active runs, and finished ones while the history has them."""

from __future__ import annotations

from aiohttp import web

from metronome.api._app_keys import job_service
from metronome.api._auth import IDENTITY
from metronome.api._http import json_response
from metronome.api._manual_runs import read_overrides, respects_concurrency
from metronome.api._query import embeds
from metronome.api._render import render_finished_run, render_run
from metronome.errors import RunNotFound

routes = web.RouteTableDef()

RUN_EMBEDS = ("details",)


def _details(request: web.Request) -> bool:
    return "details" in embeds(request.query, RUN_EMBEDS)


def _who(request: web.Request) -> str | None:
    """The caller's name when authentication is on."""
    identity = request.get(IDENTITY)
    return None if identity is None else identity.name


@routes.get("/v1/jobs/{job_id}/runs")
async def list_runs(request: web.Request) -> web.Response:
    """The job's active runs (finished ones are in `embed=history`)."""
    details = _details(request)
    entry = job_service(request).entry(request.match_info["job_id"])
    return json_response([render_run(run, details=details) for run in entry.runs])


@routes.post("/v1/jobs/{job_id}/runs")
async def trigger_run(request: web.Request) -> web.Response:
    """Start a run now, with the body's overrides for this run alone (see `_manual_runs`)."""
    services = job_service(request)
    job_id = request.match_info["job_id"]
    respect = respects_concurrency(request)
    overrides = await read_overrides(request, job_id)
    by = _who(request)
    run = await services.ask_job(
        job_id, lambda actor: actor.trigger(overrides, respect_concurrency=respect, by=by)
    )
    return json_response(render_run(run), status=201)


@routes.get("/v1/jobs/{job_id}/runs/{run_id}")
async def get_run(request: web.Request) -> web.Response:
    """An active run, or a finished one that the history still holds."""
    details = _details(request)
    entry = job_service(request).entry(request.match_info["job_id"])
    run_id = request.match_info["run_id"]
    run = entry.run(run_id)
    if run is not None:
        return json_response(render_run(run, details=details))
    finished = entry.history.finished_run(run_id) if entry.history is not None else None
    if finished is None:
        raise RunNotFound(run_id)
    info, status = finished
    return json_response(render_finished_run(entry.spec.id, info, status, details=details))


@routes.post("/v1/jobs/{job_id}/runs/{run_id}/actions/stop")
async def stop_run(request: web.Request) -> web.Response:
    """Stop an active run: it ends FAILED and leaves the active list before the answer."""
    services = job_service(request)
    run_id = request.match_info["run_id"]
    by = _who(request)
    run = await services.ask_job(
        request.match_info["job_id"], lambda actor: actor.stop_run(run_id, by)
    )
    return json_response(render_run(run))
