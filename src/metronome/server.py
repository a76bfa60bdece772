"""Wiring: the one place that knows the start and stop order of the process's parts.

store -> actor pool -> supervisor (loads every job) -> HTTP. Stop runs in reverse, in `finally`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

import pykka
import pykka.debug
from aiohttp import web

from metronome.actors import ActorPool, JobSupervisor, JobSupervisorProxy, JobView, reply
from metronome.api import Services, create_app
from metronome.metrics import MetricsRegistry
from metronome.storage import JobSpecRepository, SqliteStore

if TYPE_CHECKING:
    from metronome.config import Settings

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 300.0
"""Loading every job at start may take far longer than one API call may wait."""


def utc_now() -> datetime:
    return datetime.now(UTC)


async def serve(settings: Settings) -> None:
    """Run the server until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    loop.add_signal_handler(signal.SIGUSR1, pykka.debug.log_thread_tracebacks)
    async with AsyncExitStack() as stack:
        services = await start_services(settings, stack)
        await start_http(services, stack)
        logger.info("Metronome is serving on %s:%d", settings.http_address, settings.http_port)
        await stopping.wait()
        logger.info("Stopping")


async def start_services(settings: Settings, stack: AsyncExitStack) -> Services:
    """Start everything below HTTP; `stack` stops it in reverse order."""
    started = time.monotonic()
    store = SqliteStore(settings.data_dir)
    stack.callback(store.close)
    pool = ActorPool(settings.actor_threads)
    stack.callback(pool.stop)
    view = JobView()
    supervisor = await start_supervisor(pool, JobSpecRepository(store), view)
    stack.push_async_callback(stop_actors)
    metrics = MetricsRegistry()
    metrics.gauge("jobs.count", lambda: len(view))
    logger.info("Loaded state in %.2f s", time.monotonic() - started)
    return Services(
        settings=settings,
        view=view,
        supervisor=supervisor,
        metrics=metrics,
        clock=utc_now,
        queued_runs=list,
    )


async def start_supervisor(
    pool: ActorPool, repository: JobSpecRepository, view: JobView
) -> JobSupervisorProxy:
    """Start the supervisor and wait until it has loaded every job."""
    ref = JobSupervisor.start(pool, repository=repository, view=view)
    supervisor = cast("JobSupervisorProxy", ref.proxy())
    count = await reply(supervisor.job_count(), STARTUP_TIMEOUT_S)
    if not ref.is_alive():
        msg = "The job supervisor failed to load the stored jobs (see the log above)"
        raise RuntimeError(msg)
    logger.info("Job supervisor ready with %d jobs", count)
    return supervisor


async def stop_actors() -> None:
    await asyncio.get_running_loop().run_in_executor(None, pykka.ActorRegistry.stop_all)
    logger.info("Stopped all actors")


async def start_http(services: Services, stack: AsyncExitStack) -> None:
    settings = services.settings
    runner = web.AppRunner(create_app(services), access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, settings.http_address, settings.http_port)
    await site.start()
