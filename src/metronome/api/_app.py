"""The aiohttp application: routes, middlewares, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from metronome.api import (
    _backfill,
    _identity,
    _jobs,
    _logs,
    _pause,
    _runs,
    _schedules,
    _service_routes,
    _slots,
)
from metronome.api._app_keys import INSTANCE, SERVICE_SLOT
from metronome.api._auth import AccessControl
from metronome.api._http import error_middleware
from metronome.api._instrument import metrics_middleware
from metronome.api._limits import body_timeout_middleware
from metronome.api._openapi import add_openapi_route
from metronome.api._proxy import leader_client, leader_proxy_middleware
from metronome.api._slashes import merge_repeated_slashes
from metronome.webui import webui_middleware

if TYPE_CHECKING:
    from aiohttp.typedefs import Middleware

    from metronome.api._app_keys import Instance, ServiceSlot
    from metronome.api._auth_config import AuthConfig


def create_app(
    instance: Instance, slot: ServiceSlot, *, auth: AuthConfig | None = None
) -> web.Application:
    """The REST API of this instance; `slot` holds the job service while it leads.

    With `auth`, every request but /ping (and the metrics, unless the file says otherwise) needs
    credentials, checked on the instance that serves it: after forwarding is decided.
    """
    settings = instance.settings
    access = AccessControl(auth, instance.metrics) if auth is not None else None
    middlewares: list[Middleware] = [
        metrics_middleware(instance.metrics),
        webui_middleware(),  # static files: every instance serves them, without credentials
        leader_proxy_middleware(instance),
    ]
    if access is not None:
        middlewares.append(access.authenticate)
    middlewares += [
        error_middleware(max_body_bytes=settings.max_body_bytes),
        body_timeout_middleware(),
    ]
    if access is not None:
        middlewares.append(access.authorize)
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=middlewares)
    app[INSTANCE] = instance
    app[SERVICE_SLOT] = slot
    app.cleanup_ctx.append(leader_client)
    if access is not None:
        app.on_cleanup.append(access.close)
    tables = (
        _service_routes.routes,
        _jobs.routes,
        _schedules.routes,
        _runs.routes,
        _pause.routes,
        _slots.routes,
        _backfill.routes,
        _identity.routes,
        _logs.routes,
    )
    for table in tables:
        app.router.add_routes(table)
    add_openapi_route(app)
    merge_repeated_slashes(app)
    return app
