"""Routes of the service endpoints: /ping, /info, /leader, /v1/metrics, /metrics and /v1/queue."""

from __future__ import annotations

from collections import defaultdict

from aiohttp import web

from metronome import __version__
from metronome.api._http import json_response
from metronome.api._app_keys import INSTANCE, job_service
from metronome.metrics import PROMETHEUS_CONTENT_TYPE

routes = web.RouteTableDef()


@routes.get("/ping")
async def ping(_request: web.Request) -> web.Response:
    return web.Response(text="pong", content_type="text/plain", charset="utf-8")


@routes.get("/info")
async def info(request: web.Request) -> web.Response:
    settings = request.app[INSTANCE].settings
    return json_response(
        {"version": __version__, "libVersion": __version__, "config": settings.public()}
    )


@routes.get("/leader")
async def leader(request: web.Request) -> web.Response:
    """The leader this instance knows, answered locally; 503 while none is known (a fail-over,
    or ZooKeeper unreachable: the message says which)."""
    leadership = request.app[INSTANCE].leadership
    leader = leadership.leader()
    if leader is None:
        reason = leadership.unavailable_reason
        message = "There is no leader" + (f": {reason}" if reason else "")
        return json_response({"message": message}, status=503)
    return json_response({"leader": leader})


@routes.get("/v1/metrics")
async def metrics_json(request: web.Request) -> web.Response:
    return json_response(request.app[INSTANCE].metrics.to_json())


@routes.get("/metrics")
async def metrics_prometheus(request: web.Request) -> web.Response:
    text = request.app[INSTANCE].metrics.to_prometheus()
    return web.Response(body=text.encode(), headers={"Content-Type": PROMETHEUS_CONTENT_TYPE})


@routes.get("/v1/queue")
async def queue(request: web.Request) -> web.Response:
    """Runs waiting to be placed, grouped by their full job id (metronome-behavior.md §1.5)."""
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for job_id, run_id in job_service(request).queued_runs():
        grouped[job_id].append({"runId": run_id})
    return json_response([{"jobId": job_id, "runs": runs} for job_id, runs in grouped.items()])
