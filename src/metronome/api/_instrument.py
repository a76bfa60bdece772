"""HTTP metrics: a request timer and response counters by status class (Metronome's names)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

    from metronome.metrics import MetricsRegistry


def metrics_middleware(registry: MetricsRegistry) -> Middleware:
    """Time every request and count responses by class; sits outside the error middleware, so it
    sees the final status of failures too."""
    duration = registry.timer("http.requests.duration")
    by_class = {n: registry.counter(f"http.responses.{n}xx.rate") for n in range(1, 6)}

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        response = await handler(request)
        duration.update(time.perf_counter() - started)
        counter = by_class.get(response.status // 100)
        if counter is not None:
            counter.inc()
        return response

    return middleware
