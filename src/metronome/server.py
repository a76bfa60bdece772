"""Wiring: the one place that knows the start and stop order of the process's parts.

store -> actor pool -> timers -> launcher -> supervisor (loads every job) -> HTTP.
Stop runs in reverse, from the exit stack.
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

from metronome.actors import (
    ActorContext,
    ActorPool,
    JobSupervisor,
    JobView,
    TaskRouter,
    TimerService,
    reply,
)
from metronome.api import Services, create_app
from metronome.errors import StartupError
from metronome.launch import HostResources, LocalLauncher
from metronome.metrics import MetricsRegistry
from metronome.storage import (
    JobHistoryRepository,
    JobRunRepository,
    JobSpecRepository,
    SqliteStore,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from metronome.actors import JobSupervisorProxy
    from metronome.config import Settings
    from metronome.model import JobId, RunId

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


async def start_services(
    settings: Settings, stack: AsyncExitStack, clock: Callable[[], datetime] = utc_now
) -> Services:
    """Start everything below HTTP; `stack` stops it in reverse order.

    `clock` is the wall clock of every schedule, deadline and timestamp (tests inject one).
    """
    started = time.monotonic()
    store = SqliteStore(settings.data_dir)
    stack.callback(store.close)
    pool = ActorPool(settings.actor_threads)
    stack.callback(pool.stop)
    timers = TimerService(clock)
    stack.callback(timers.stop)
    router = TaskRouter()
    launcher = start_launcher(settings)
    await launcher.start(router.deliver)
    stack.push_async_callback(launcher.stop)
    view = JobView()
    metrics = MetricsRegistry()
    context = ActorContext(
        pool=pool,
        specs=JobSpecRepository(store),
        runs=JobRunRepository(store),
        histories=JobHistoryRepository(store),
        view=view,
        launcher=launcher,
        router=router,
        timers=timers,
        metrics=metrics,
        clock=clock,
        history_count=settings.history_count,
    )
    supervisor = await start_supervisor(context)
    stack.push_async_callback(stop_actors)
    metrics.gauge("jobs.count", lambda: len(view))
    metrics.gauge("jobs.active", lambda: sum(len(entry.runs) for entry in view.all()))
    logger.info("Started in %.2f s", time.monotonic() - started)

    def queued_runs() -> list[tuple[JobId, RunId]]:
        return [key for task_id in launcher.queued() if (key := router.run_of(task_id))]

    return Services(
        settings=settings,
        view=view,
        supervisor=supervisor,
        metrics=metrics,
        clock=clock,
        queued_runs=queued_runs,
    )


def start_launcher(settings: Settings) -> LocalLauncher:
    return LocalLauncher(
        settings.data_dir / "sandboxes",
        hostname=settings.hostname,
        attributes=settings.attributes,
        capacity=HostResources(cpus=settings.cpus, mem=settings.mem, disk=settings.disk),
    )


async def start_supervisor(context: ActorContext) -> JobSupervisorProxy:
    """Start the supervisor and wait until it has loaded every job."""
    ref = JobSupervisor.start(context)
    supervisor = cast("JobSupervisorProxy", ref.proxy())
    try:
        count = await reply(supervisor.job_count(), STARTUP_TIMEOUT_S)
    except pykka.ActorDeadError as exc:
        msg = "Loading the stored jobs failed (the error is logged above)"
        raise StartupError(msg) from exc
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
