"""The aiohttp application: routes, middlewares, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from metronome.api import _jobs, _runs, _schedules, _service
from metronome.api._http import error_middleware
from metronome.api._instrument import metrics_middleware
from metronome.api._services import SERVICES

if TYPE_CHECKING:
    from metronome.api._services import Services


def create_app(services: Services) -> web.Application:
    """The REST API over `services`; the caller owns their lifecycle."""
    settings = services.settings
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            metrics_middleware(services.metrics),
            error_middleware(max_body_bytes=settings.max_body_bytes),
        ],
    )
    app[SERVICES] = services
    for table in (_service.routes, _jobs.routes, _schedules.routes, _runs.routes):
        app.router.add_routes(table)
    return app
