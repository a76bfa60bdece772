"""Routes of the service endpoints: /ping, /info, /leader, /v1/metrics, /metrics and /v1/queue."""

from __future__ import annotations

from collections import defaultdict

from aiohttp import web

from metronome import __version__
from metronome.api._app_keys import INSTANCE, SERVICE_SLOT, job_service
from metronome.api._http import json_response
from metronome.api._job_metrics import render_job_metrics
from metronome.api._query import embeds
from metronome.api._queue_reasons import QUEUE_EMBEDS, why_queued
from metronome.metrics import PROMETHEUS_CONTENT_TYPE

routes = web.RouteTableDef()


@routes.get("/ping")
async def ping(_request: web.Request) -> web.Response:
    return web.Response(text="pong", content_type="text/plain", charset="utf-8")


@routes.get("/info")
async def info(request: web.Request) -> web.Response:
    settings = request.app[INSTANCE].settings
    body = {"version": __version__, "libVersion": __version__, "config": settings.public()}
    services = request.app[SERVICE_SLOT].current
    problem = None if services is None else services.launcher.problem()
    if problem is not None:  # only then: a default response never gains a key
        body["mesos"] = problem
    return json_response(body)


@routes.get("/leader")
async def leader(request: web.Request) -> web.Response:
    leader = request.app[INSTANCE].leadership.leader()
    if leader is None:
        return json_response({"message": "There is no leader"}, status=404)
    return json_response({"leader": leader})


@routes.get("/v1/metrics")
async def metrics_json(request: web.Request) -> web.Response:
    return json_response(request.app[INSTANCE].metrics.to_json())


@routes.get("/metrics")
async def metrics_prometheus(request: web.Request) -> web.Response:
    text = request.app[INSTANCE].metrics.to_prometheus()
    services = request.app[SERVICE_SLOT].current  # per-job metrics: only the leader has jobs
    if services is not None:
        limit = services.settings.metrics_job_labels
        text += render_job_metrics(services.view, limit, services.lateness)
    return web.Response(body=text.encode(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})


@routes.get("/v1/queue")
async def queue(request: web.Request) -> web.Response:
    """Runs waiting to be placed, grouped by their full job id (metronome-behavior.md §1.5);
    `?embed=reason` adds why each waits (`_queue_reasons`)."""
    services = job_service(request)
    reasons = "reason" in embeds(request.query, QUEUE_EMBEDS)
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for job_id, run_id in services.queued_runs():
        queued: dict[str, str] = {"runId": run_id}
        if reasons:
            queued["reason"] = why_queued(services, job_id, run_id)
        grouped[job_id].append(queued)
    return json_response([{"jobId": job_id, "runs": runs} for job_id, runs in grouped.items()])
