"""GET /v1/jobs/{jobId}/schedules/{scheduleId}/slots: each instant of a schedule in a time range
and what became of it, from the job's runs and its history's slot log (see model/_slots.py)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from marshmallow import ValidationError

from metronome.api._app_keys import job_service
from metronome.api._http import BadRequest, json_response
from metronome.api._instants import parse_instant
from metronome.api._render import format_timestamp
from metronome.errors import ScheduleNotFound
from metronome.model import RunStatus
from metronome.scheduling import parse_cron, parse_timezone

if TYPE_CHECKING:
    from datetime import datetime

    from metronome.actors import JobEntry
    from metronome.model import ScheduleSpec

routes = web.RouteTableDef()

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_JUST_BEFORE = timedelta(microseconds=1)


@routes.get("/v1/jobs/{job_id}/schedules/{schedule_id}/slots")
async def list_slots(request: web.Request) -> web.Response:
    """The instants in [from, to] (`to` defaults to now), at most `limit` of them; `next` is
    the `from` of the following page when there are more."""
    services = job_service(request)
    entry = services.entry(request.match_info["job_id"])
    schedule_id = request.match_info["schedule_id"]
    schedule = entry.spec.schedule(schedule_id)
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    now = services.clock()
    start = _instant(request, "from")
    end = _instant(request, "to") if "to" in request.query else now
    if end < start:
        raise BadRequest("Cannot parse parameter to: it is before from")
    return json_response(slots(entry, schedule, start, end, now, _limit(request)))


def slots(
    entry: JobEntry,
    schedule: ScheduleSpec,
    start: datetime,
    end: datetime,
    now: datetime,
    limit: int,
) -> dict[str, Any]:
    """The page of the schedule's instants in [start, end]: each with its run, or why none ran
    (`missed`, `skipped`, `paused`), `pending` (due, being handled), `scheduled` (to come), or
    `unknown` (older than what the history keeps, or while the schedule was disabled). Instants
    before the schedule took its current form are not its instants and are left out, unless
    a backfill ran them."""
    history = entry.history
    log = history.slot_logs.get(schedule.id) if history else None
    mark = history.schedule_marks.get(schedule.id) if history else None
    runs = _runs_by_instant(entry, schedule)
    after = start - _JUST_BEFORE
    earlier: list[datetime] = []  # backfilled: run although the schedule did not exist yet
    if log is not None and log.since > after:
        earlier = sorted(i for i in runs if after < i <= min(log.since, end))
        after = log.since
    if not schedule.enabled:
        end = min(end, now)  # a disabled schedule has nothing to come
    instants = parse_cron(schedule.cron).fire_times(after, end, parse_timezone(schedule.timezone))
    page = list(itertools.islice(itertools.chain(earlier, instants), limit + 1))
    out: dict[str, Any] = {"slots": []}
    for instant in page[:limit]:
        slot: dict[str, Any] = {"instant": format_timestamp(instant)}
        run = runs.get(instant)
        outcome = log.outcome_at(instant) if log is not None else None
        if run is not None:
            slot |= {"outcome": "run", "runId": run[0], "status": run[1]}
        elif outcome is not None:
            slot["outcome"] = outcome.value
        elif instant > now:
            slot["outcome"] = "scheduled"
        elif schedule.enabled and (mark is None or instant > mark):
            slot["outcome"] = "pending"
        else:
            slot["outcome"] = "unknown"
        out["slots"].append(slot)
    if len(page) > limit:
        out["next"] = format_timestamp(page[limit])
    return out


def _runs_by_instant(entry: JobEntry, schedule: ScheduleSpec) -> dict[datetime, tuple[str, str]]:
    runs: dict[datetime, tuple[str, str]] = {
        run.scheduled_at: (run.id, run.status.value)
        for run in entry.runs
        if run.schedule_id == schedule.id and run.scheduled_at is not None
    }
    if entry.history is not None:
        for infos, status in (
            (entry.history.successful_runs, RunStatus.SUCCESS),
            (entry.history.failed_runs, RunStatus.FAILED),
        ):
            runs.update(
                (info.scheduled_at, (info.id, status.value))
                for info in infos
                if info.schedule_id == schedule.id and info.scheduled_at is not None
            )
    return runs


def _instant(request: web.Request, name: str) -> datetime:
    value = request.query.get(name)
    if value is None:
        msg = f"Missing parameter {name}: an instant such as 2026-01-05T10:00:00.000+0000"
        raise BadRequest(msg)
    try:
        # An unescaped `+0000` (Metronome's form, and `next`) arrives with a space for its `+`.
        return parse_instant(value.replace(" ", "+"))
    except ValidationError as exc:
        msg = f"Cannot parse parameter {name}: {exc.messages[0]}"
        raise BadRequest(msg) from exc


def _limit(request: web.Request) -> int:
    value = request.query.get("limit", str(DEFAULT_LIMIT))
    if not (
        len(value) <= 4 and value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_LIMIT
    ):
        msg = f"Cannot parse parameter limit: should be a whole number from 1 to {MAX_LIMIT}"
        raise BadRequest(msg)
    return int(value)
