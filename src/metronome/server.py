"""Wiring: the one place that knows the start and stop order of the process's parts.

Process: store -> leadership (its first term starts the job service) -> HTTP.
Job service, per leadership term: actor pool -> timers -> launcher -> supervisor (loads every job).
Stops run in reverse, from exit stacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
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
    LaunchRate,
    TaskRouter,
    TimerService,
    reply,
)
from metronome.api import (
    SERVER_LIMITS,
    Instance,
    Services,
    ServiceSlot,
    create_app,
    load_auth_config,
    tls_context,
)
from metronome.errors import StartupError
from metronome.ha import Leadership, SoleLeadership, ZkLeadership, claim_launcher
from metronome.jobwatch import TriggerLateness, ViewWatcher
from metronome.launch import (
    HostResources,
    Launcher,
    LocalLauncher,
    MesosLauncher,
    MesosSettings,
    TaskPolicy,
    ZkAddress,
    ZkMasterDetector,
    local_identity,
    parse_master,
)
from metronome.metrics import MetricsRegistry
from metronome.storage import (
    FrameworkIdRepository,
    JobHistoryRepository,
    JobRunRepository,
    JobSpecRepository,
    SqliteStore,
    StoreUnavailable,
    ZkStore,
)
from metronome.webhooks import Event, WebhookNotifier

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable

    from metronome.actors import JobSupervisorProxy
    from metronome.api import AuthConfig
    from metronome.config import Settings, ZkUrl
    from metronome.model import JobId, RunId
    from metronome.storage import Store

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 300.0
"""Loading every job at start may take far longer than one API call may wait."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def run(settings: Settings) -> None:
    """`serve` on the event loop that `settings.event_loop` names."""
    factory = None
    if settings.event_loop == "uvloop":
        import uvloop  # only when asked for

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(settings))


async def serve(settings: Settings) -> None:
    """Run the server until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    loop.add_signal_handler(signal.SIGUSR1, pykka.debug.log_thread_tracebacks)
    auth = load_auth_config(settings.auth_config) if settings.auth_config else None
    tls = (
        tls_context(settings.tls_cert, settings.tls_key)
        if settings.tls_cert and settings.tls_key
        else None
    )
    async with AsyncExitStack() as stack:
        metrics = MetricsRegistry()
        slot = ServiceSlot()
        joining: asyncio.Task[None] | None = None
        if settings.zk is None:
            leadership: Leadership = await lead_alone(settings, metrics, slot, stack)
        else:
            leadership, joining = join_cluster(settings, settings.zk, metrics, slot, stack)
        await start_http(Instance(settings, metrics, leadership), slot, stack, auth=auth, tls=tls)
        await until_stopped(stopping, joining)
        logger.info("Stopping")


async def until_stopped(stopping: asyncio.Event, joining: asyncio.Task[None] | None) -> None:
    """Wait for a stop signal; a cluster that refuses this instance (`joining` fails) stops it
    with that error."""
    waiting = asyncio.ensure_future(stopping.wait())
    if joining is not None:
        await asyncio.wait({waiting, joining}, return_when=asyncio.FIRST_COMPLETED)
        if joining.done() and not joining.cancelled() and joining.exception() is not None:
            waiting.cancel()
            await joining  # raises its error
    await waiting


async def lead_alone(
    settings: Settings, metrics: MetricsRegistry, slot: ServiceSlot, stack: AsyncExitStack
) -> Leadership:
    """The embedded default: the local store, and this instance leads from the start."""
    store = SqliteStore(settings.data_dir)
    stack.callback(store.close)
    leadership = SoleLeadership(settings.advertised_address)
    term = JobServiceTerm(settings, store, metrics, slot)
    stack.push_async_callback(term.end)
    await leadership.campaign(term.begin, term.end)
    stack.push_async_callback(leadership.stop)
    return leadership


def join_cluster(
    settings: Settings,
    zk: ZkUrl,
    metrics: MetricsRegistry,
    slot: ServiceSlot,
    stack: AsyncExitStack,
) -> tuple[Leadership, asyncio.Task[None]]:
    """ZooKeeper storage and election. Connecting goes on in the background (the task), so the
    process serves /ping (and 503s) while ZooKeeper is unreachable."""
    leadership = ZkLeadership(settings.advertised_address, zk.root)

    async def connect() -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                store = await loop.run_in_executor(
                    None, lambda: open_zk_store(settings, zk, leadership)
                )
                break
            except StoreUnavailable as exc:
                logger.warning("%s; retrying", exc)
                await asyncio.sleep(1)
        stack.callback(store.close)
        term = JobServiceTerm(settings, store, metrics, slot)
        stack.push_async_callback(term.end)
        leadership.attach(store.client)
        await leadership.campaign(term.begin, term.end)
        stack.push_async_callback(leadership.stop)

    connecting = asyncio.create_task(connect())
    stack.push_async_callback(_cancel, connecting)
    return leadership, connecting


def open_zk_store(settings: Settings, zk: ZkUrl, leadership: ZkLeadership) -> ZkStore:
    """The cluster's store, once this instance's launcher is known to be the cluster's."""
    store = ZkStore(
        zk.hosts,
        zk.root,
        session_timeout_s=settings.zk_session_timeout_s,
        retry_deadline_s=settings.zk_session_timeout_s,
        fence=leadership.fence,
    )
    if settings.master is not None:
        return store  # every leader reaches the same Mesos master
    try:
        identity = local_identity(settings.data_dir)
        claim_launcher(
            store.client,
            zk.root,
            identity,
            settings.data_dir,
            separate=settings.separate_data_dirs,
        )
    except BaseException:
        store.close()
        raise
    return store


async def _cancel(task: asyncio.Task[None]) -> None:
    """Cancel and await a task still running (one that failed was awaited by `until_stopped`)."""
    if task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class JobServiceTerm:
    """The job service of one leadership term: started when elected, stopped when deposed."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        metrics: MetricsRegistry,
        slot: ServiceSlot,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._settings = settings
        self._store = store
        self._metrics = metrics
        self._slot = slot
        self._clock = clock
        self._stack: AsyncExitStack | None = None

    async def begin(self) -> None:
        logger.info("Leading: starting the job service")
        stack = AsyncExitStack()
        try:
            services = await start_services(
                self._settings, stack, self._store, self._metrics, self._clock
            )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        self._slot.current = services

    async def end(self) -> None:
        self._slot.current = None
        if self._stack is not None:
            logger.info("Stopping the job service")
            stack, self._stack = self._stack, None
            await stack.aclose()


async def start_services(
    settings: Settings,
    stack: AsyncExitStack,
    store: Store,
    metrics: MetricsRegistry,
    clock: Callable[[], datetime] = utc_now,
) -> Services:
    """Start everything the leader runs; `stack` stops it in reverse order.

    `clock` is the wall clock of every schedule, deadline and timestamp (tests inject one).
    """
    started = time.monotonic()
    pool = ActorPool(settings.actor_threads)
    stack.callback(pool.stop)
    timers = TimerService(clock)
    stack.callback(timers.stop)
    router = TaskRouter()
    launcher = build_launcher(settings, store, stack)
    await launcher.start(router.deliver)
    stack.push_async_callback(launcher.stop)
    view = JobView()
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
        launch_rate=LaunchRate(settings.max_launch_rate),
    )
    supervisor = await start_supervisor(context)
    stack.push_async_callback(stop_supervisor, supervisor)
    watch_launcher(launcher, metrics)
    lateness = await start_watch(settings, stack, view, metrics, clock)
    metrics.gauge("jobs.count", lambda: len(view))
    metrics.gauge("jobs.active", lambda: sum(len(entry.runs) for entry in view.entries()))
    if isinstance(launcher, LocalLauncher):  # what confines tasks here (issue 14)
        for fact in launcher.isolation():
            metrics.gauge(
                f"launcher.isolation.{fact}", functools.partial(_isolation, launcher, fact)
            )
    logger.info("Job service started in %.2f s", time.monotonic() - started)

    def queued_runs() -> list[tuple[JobId, RunId]]:
        return [key for task_id in launcher.queued() if (key := router.run_of(task_id))]

    return Services(
        settings=settings,
        view=view,
        supervisor=supervisor,
        metrics=metrics,
        clock=clock,
        queued_runs=queued_runs,
        launcher=launcher,
        lateness=lateness,
    )


def watch_launcher(launcher: Launcher, metrics: MetricsRegistry) -> None:
    """Mesos's verdicts on this framework as metrics (`/info` asks `launcher.problem()`)."""
    if isinstance(launcher, MesosLauncher):
        mesos = launcher
        metrics.gauge("mesos.framework.refused", lambda: 0 if mesos.refusal is None else 1)
        metrics.gauge("mesos.framework.step-downs", lambda: mesos.step_downs)


async def start_watch(
    settings: Settings,
    stack: AsyncExitStack,
    view: JobView,
    metrics: MetricsRegistry,
    clock: Callable[[], datetime],
) -> TriggerLateness:
    """Webhooks and trigger lateness, fed by a watch of the published jobs (stopped before the
    supervisor, the watch before the webhooks' senders)."""
    events = frozenset(Event(name) for name in settings.webhook_events.split(","))
    notifier = WebhookNotifier(
        metrics, clock, default_url=settings.webhook_url, default_events=events
    )
    await notifier.start()
    stack.push_async_callback(notifier.stop)
    lateness = TriggerLateness()
    watcher = ViewWatcher(view, [notifier, lateness])
    await watcher.start()
    stack.push_async_callback(watcher.stop)
    return lateness


def _isolation(launcher: LocalLauncher, fact: str) -> float:
    return launcher.isolation()[fact]


def build_launcher(settings: Settings, store: Store, stack: AsyncExitStack) -> Launcher:
    """Mesos when `--master` is given, else processes on this host."""
    if settings.master is None:
        return LocalLauncher(
            settings.data_dir / "sandboxes",
            hostname=settings.hostname,
            attributes=settings.attributes,
            capacity=HostResources(cpus=settings.cpus, mem=settings.mem, disk=settings.disk),
            sandbox_retention_s=settings.sandbox_retention_s,
            policy=TaskPolicy.from_settings(settings),
        )
    masters = parse_master(settings.master)
    mesos = MesosSettings(
        master=settings.master,
        framework_name=settings.framework_name,
        role=settings.mesos_role,
        principal=settings.mesos_principal,
        secret_file=settings.mesos_secret_file,
        failover_timeout_s=settings.mesos_failover_timeout_s,
        webui_url=settings.webui_url
        or f"{settings.advertised_scheme}://{settings.advertised_address}",
        hostname=settings.hostname,
        ca_file=settings.mesos_ca_file,
    )
    if settings.mesos_user:
        mesos = dataclasses.replace(mesos, user=settings.mesos_user)
    detect = None
    if isinstance(masters, ZkAddress):
        detect = ZkMasterDetector(masters)
        stack.callback(detect.close)
    return MesosLauncher(mesos, FrameworkIdRepository(store), detect=detect)


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


async def stop_supervisor(supervisor: JobSupervisorProxy) -> None:
    """Stop the supervisor; it stops its job actors, whose mail the pool drains as it stops."""
    with contextlib.suppress(pykka.ActorDeadError):
        await reply(supervisor.shutdown(), STARTUP_TIMEOUT_S)
    logger.info("Stopped the job actors")


async def start_http(
    instance: Instance,
    slot: ServiceSlot,
    stack: AsyncExitStack,
    *,
    auth: AuthConfig | None = None,
    tls: ssl.SSLContext | None = None,
) -> None:
    """Serve the API on the HTTP port, the HTTPS port, or both."""
    settings = instance.settings
    runner = web.AppRunner(create_app(instance, slot, auth=auth), access_log=None, **SERVER_LIMITS)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    if settings.http_port is not None:
        await web.TCPSite(runner, settings.http_address, settings.http_port).start()
        logger.info("Serving HTTP on %s:%d", settings.http_address, settings.http_port)
    if settings.https_port is not None and tls is not None:
        site = web.TCPSite(runner, settings.http_address, settings.https_port, ssl_context=tls)
        await site.start()
        logger.info("Serving HTTPS on %s:%d", settings.http_address, settings.https_port)
