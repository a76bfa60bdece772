"""The aiohttp application: routes, middlewares, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from metronome.api import _jobs, _runs, _schedules, _service
from metronome.api._http import error_middleware
from metronome.api._instrument import metrics_middleware
from metronome.api._proxy import leader_proxy_middleware
from metronome.api._services import INSTANCE, SERVICE_SLOT

if TYPE_CHECKING:
    from metronome.api._services import Instance, ServiceSlot


def create_app(instance: Instance, slot: ServiceSlot) -> web.Application:
    """The REST API of this instance; `slot` holds the job service while it leads."""
    settings = instance.settings
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            metrics_middleware(instance.metrics),
            leader_proxy_middleware(instance),
            error_middleware(max_body_bytes=settings.max_body_bytes),
        ],
    )
    app[INSTANCE] = instance
    app[SERVICE_SLOT] = slot
    for table in (_service.routes, _jobs.routes, _schedules.routes, _runs.routes):
        app.router.add_routes(table)
    return app
