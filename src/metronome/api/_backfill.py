"""Handler of POST /v1/jobs/{jobId}/schedules/{scheduleId}/backfill: run the schedule's instants
of a past time range once each, under its concurrency policy (see actors/_backfill.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from aiohttp import web

from metronome.actors import MAX_BACKFILL
from metronome.api._app_keys import job_service
from metronome.api._http import json_response, read_json
from metronome.api._render import format_timestamp
from metronome.api._schemas import ValidationFailed, parse_backfill
from metronome.errors import ScheduleNotFound
from metronome.scheduling import parse_cron, parse_timezone

routes = web.RouteTableDef()

_JUST_BEFORE = timedelta(microseconds=1)


@routes.post("/v1/jobs/{job_id}/schedules/{schedule_id}/backfill")
async def backfill(request: web.Request) -> web.Response:
    """202: `queued` lists the instants that will run, `ignored` those that already ran or
    wait already."""
    services = job_service(request)
    job_id = request.match_info["job_id"]
    schedule_id = request.match_info["schedule_id"]
    schedule = services.entry(job_id).spec.schedule(schedule_id)
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    asked = parse_backfill(await read_json(request))
    if asked.end > services.clock():
        raise ValidationFailed([{"path": "/to", "errors": ["must not be in the future."]}])
    instants = parse_cron(schedule.cron).fire_times(
        asked.start - _JUST_BEFORE, asked.end, parse_timezone(schedule.timezone)
    )
    wanted = tuple(itertools.islice(instants, MAX_BACKFILL + 1))
    if len(wanted) > MAX_BACKFILL:
        msg = f"the range holds more than {MAX_BACKFILL} instants of the schedule."
        raise ValidationFailed([{"path": "/to", "errors": [msg]}])
    answer = await services.ask_job(job_id, lambda actor: actor.backfill(schedule_id, wanted))
    body = {
        "queued": [format_timestamp(i) for i in answer.queued],
        "ignored": [format_timestamp(i) for i in answer.ignored],
    }
    return json_response(body, status=202)
