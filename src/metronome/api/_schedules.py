"""Handlers of /v1/jobs/{jobId}/schedules."""

from __future__ import annotations

import dataclasses

from aiohttp import web

from metronome.api._app_keys import job_service
from metronome.api._http import json_response, read_json
from metronome.api._render import render_schedule
from metronome.api._schemas import parse_schedule
from metronome.errors import ScheduleNotFound
from metronome.model import ScheduleId

routes = web.RouteTableDef()


@routes.get("/v1/jobs/{job_id}/schedules")
async def list_schedules(request: web.Request) -> web.Response:
    services = job_service(request)
    spec = services.entry(request.match_info["job_id"]).spec
    now = services.clock()
    return json_response([render_schedule(schedule, now) for schedule in spec.schedules])


@routes.post("/v1/jobs/{job_id}/schedules")
async def create_schedule(request: web.Request) -> web.Response:
    services = job_service(request)
    job_id = request.match_info["job_id"]
    services.entry(job_id)  # an unknown job is a 404 before the body is judged
    schedule = parse_schedule(await read_json(request))
    created = await services.ask_job(job_id, lambda actor: actor.add_schedule(schedule))
    return json_response(render_schedule(created, services.clock()), status=201)


@routes.get("/v1/jobs/{job_id}/schedules/{schedule_id}")
async def get_schedule(request: web.Request) -> web.Response:
    services = job_service(request)
    spec = services.entry(request.match_info["job_id"]).spec
    schedule_id = request.match_info["schedule_id"]
    schedule = spec.schedule(schedule_id)
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    return json_response(render_schedule(schedule, services.clock()))


@routes.put("/v1/jobs/{job_id}/schedules/{schedule_id}")
async def update_schedule(request: web.Request) -> web.Response:
    """Replace the schedule; the id in the URL wins over the one in the body."""
    services = job_service(request)
    job_id = request.match_info["job_id"]
    services.entry(job_id)
    schedule_id = ScheduleId(request.match_info["schedule_id"])
    body = parse_schedule(await read_json(request))
    schedule = dataclasses.replace(body, id=schedule_id)
    updated = await services.ask_job(job_id, lambda actor: actor.update_schedule(schedule))
    return json_response(render_schedule(updated, services.clock()))


@routes.delete("/v1/jobs/{job_id}/schedules/{schedule_id}")
async def delete_schedule(request: web.Request) -> web.Response:
    """Metronome answers a schedule deletion with 200 and an empty body."""
    services = job_service(request)
    schedule_id = request.match_info["schedule_id"]
    await services.ask_job(
        request.match_info["job_id"], lambda actor: actor.delete_schedule(schedule_id)
    )
    return web.Response(status=200)
