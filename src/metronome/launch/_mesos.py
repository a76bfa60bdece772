"""The Mesos launcher: job tasks as Mesos tasks, through our framework's scheduler API client."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from metronome.launch._launcher import Launcher, LaunchError, TaskSetupError, TaskUpdate
from metronome.launch._mesos_client import SchedulerClient
from metronome.launch._mesos_detect import ZkAddress, parse_master, static_detector
from metronome.launch._mesos_files import AgentFiles
from metronome.launch._mesos_offers import OfferSpace, constraints_match
from metronome.launch._mesos_tasks import UNKNOWN_STATES, check_spec, task_info, to_update
from metronome.launch._placement import demand
from metronome.launch._why_queued import on_mesos
from metronome.model import TaskStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from metronome.launch._launcher import HostResources, UpdateCallback
    from metronome.launch._mesos_config import FrameworkIdStore, MesosSettings
    from metronome.launch._mesos_detect import MasterDetector
    from metronome.launch._output import OutputChunk, OutputStream
    from metronome.model import RunSpec

logger = logging.getLogger(__name__)

_REMEMBERED_ENDS = 100_000  # final statuses kept to answer late duplicates and reconciliations
_NOT_LAUNCHED = ("REASON_RECONCILIATION", "REASON_INVALID_OFFERS")


class _Phase(enum.Enum):
    VERIFYING = "verifying"  # asking the master whether an earlier instance launched it already
    QUEUED = "queued"  # waiting for a matching offer
    LAUNCHED = "launched"  # handed to the master (or adopted)


@dataclass(eq=False)
class _Task:
    id: str
    phase: _Phase
    spec: RunSpec | None = None  # None for a task adopted from the master
    demand: HostResources | None = None
    agent_id: str | None = None
    confirmed: bool = False  # the master has reported it at least once
    kill_requested: bool = False
    last: TaskStatus | None = None


class MesosLauncher(Launcher):
    """Launches tasks on Mesos offers and follows their status updates.

    A new framework id cannot have tasks yet, so launches go straight to the queue. Under a reused
    id (a restart, a failover) an earlier instance may have launched a task already: each launch is
    first checked by explicit reconciliation, and only a task the master does not know is queued.
    """

    def __init__(
        self,
        settings: MesosSettings,
        framework_ids: FrameworkIdStore,
        *,
        detect: MasterDetector | None = None,
    ) -> None:
        if detect is None:
            masters = parse_master(settings.master)
            if isinstance(masters, ZkAddress):
                msg = "a zk:// master needs a ZooKeeper detector (the `detect` argument)"
                raise LaunchError(msg)
            detect = static_detector(masters)
        self._settings = settings
        self._ids = framework_ids
        self._detect = detect
        self._client: SchedulerClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_update: UpdateCallback | None = None
        self._stored_id: str | None = None  # the framework id this instance started with
        self._fresh = False  # the framework id was assigned to this instance: it has no tasks yet
        self._tasks: dict[str, _Task] = {}
        self._queue: dict[str, _Task] = {}  # QUEUED tasks, oldest first
        self._waiting: tuple[str, ...] = ()  # snapshot for `queued()` from other threads
        self._asked: dict[str, float] = {}  # explicit reconciliation: task id -> loop time asked
        self._answer: set[str] = set()  # ids whose next update is delivered even if unchanged
        self._ended: OrderedDict[str, TaskUpdate] = OrderedDict()
        self._suppressed = False
        self._last_revive = float("-inf")
        self._revive_handle: asyncio.TimerHandle | None = None
        self._periodic: asyncio.Task[None] | None = None
        self._files = AgentFiles()
        self._last_offers: list[dict[str, Any]] = []  # to say why a queued task waits

    @property
    def framework_id(self) -> str | None:
        return None if self._client is None else self._client.framework_id

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def start(self, on_update: UpdateCallback) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_update = on_update
        self._client = SchedulerClient(
            self._settings, self._detect, self._ids, self, auth=await self._auth()
        )
        await self._client.start()
        self._stored_id = self._client.framework_id
        self._fresh = self._stored_id is None
        self._periodic = asyncio.create_task(self._reconcile_periodically())
        logger.info(
            "Mesos launcher started: master %s, role %s", self._settings.master, self._settings.role
        )

    def launch(self, task_id: str, spec: RunSpec) -> None:
        self._call(self._launch, task_id, spec)

    def kill(self, task_id: str) -> None:
        self._call(self._kill, task_id)

    def reconcile(self, task_ids: Iterable[str]) -> None:
        self._call(self._reconcile, list(task_ids))

    def queued(self) -> list[str]:
        return list(self._waiting)

    async def read_output(
        self, task_id: str, stream: OutputStream, offset: int, length: int
    ) -> OutputChunk:
        return await self._files.read(self.framework_id, task_id, stream, offset, length)

    def why_queued(self, task_id: str) -> str | None:
        task = self._queue.get(task_id)
        if task is None or task.spec is None:
            return None
        return on_mesos(task.spec, self._last_offers, self._settings.role)

    async def stop(self) -> None:
        self._loop = None
        if self._revive_handle is not None:
            self._revive_handle.cancel()
        if self._periodic is not None:
            self._periodic.cancel()
            await asyncio.gather(self._periodic, return_exceptions=True)
        if self._client is not None:
            await self._client.close()
        await self._files.close()
        launched = sum(t.phase is _Phase.LAUNCHED for t in self._tasks.values())
        logger.info("Mesos launcher stopped; %d task(s) left to Mesos", launched)

    # -- calls from any thread --------------------------------------------------------------

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        if self._loop is None:
            msg = "the Mesos launcher is not running"
            raise LaunchError(msg)
        self._loop.call_soon_threadsafe(self._dispatch, callback, args)

    def _dispatch(self, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        if self._loop is not None:  # a call that raced with `stop` is dropped
            callback(*args)

    def _launch(self, task_id: str, spec: RunSpec) -> None:
        if task_id in self._tasks or task_id in self._ended:
            logger.warning("task %s was launched before; reporting its status", task_id)
            self._reconcile([task_id])
            return
        try:
            check_spec(spec)
        except TaskSetupError as exc:
            self._emit(TaskUpdate(task_id, TaskStatus.TASK_FAILED, datetime.now(UTC), str(exc)))
            return
        task = _Task(task_id, _Phase.QUEUED, spec, demand(spec))
        self._tasks[task_id] = task
        if self._fresh:
            self._enqueue(task)
        else:
            task.phase = _Phase.VERIFYING
            self._ask([task_id])
        self._snapshot()

    def _kill(self, task_id: str) -> None:
        task = self._tasks.get(task_id)
        if task is None:
            if task_id in self._ended:
                return
            # Not known here (e.g. before reconciliation after a restart): the master may know it.
            task = self._tasks[task_id] = _Task(task_id, _Phase.LAUNCHED, confirmed=True)
        task.kill_requested = True
        logger.info("killing task %s (%s)", task_id, task.phase.value)
        if task.phase is not _Phase.LAUNCHED:
            self._queue.pop(task_id, None)
            self._end(
                task,
                TaskUpdate(
                    task_id, TaskStatus.TASK_KILLED, datetime.now(UTC), "killed before launch"
                ),
            )
            self._snapshot()
            if task.phase is _Phase.QUEUED:
                return
            # Being verified: an earlier instance may have launched it.
        self._send_kill(task)

    def _reconcile(self, task_ids: list[str]) -> None:
        ask = []
        for task_id in task_ids:
            ended = self._ended.get(task_id)
            task = self._tasks.get(task_id)
            if ended is not None:
                self._emit(ended)
            elif task is not None and task.phase is not _Phase.LAUNCHED:
                self._emit(TaskUpdate(task_id, TaskStatus.TASK_STAGING, datetime.now(UTC)))
            else:
                self._answer.add(task_id)
                ask.append(task_id)
        self._ask(ask)

    # -- events from the client (EventHandler) ----------------------------------------------

    def subscribed(self, framework_id: str) -> None:
        if framework_id != self._stored_id:
            self._fresh = True  # a new framework (none before, or the old one was removed)
        self._suppressed = False
        self._last_revive = float("-inf")
        # Everything not final is checked again: the master may have failed over, or we restarted.
        for task in self._tasks.values():
            if task.kill_requested and task.phase is _Phase.LAUNCHED:
                self._send_kill(task)
        self._asked.clear()
        self._ask(
            [t.id for t in self._tasks.values() if t.phase is not _Phase.QUEUED] + [*self._answer]
        )
        self._call_mesos("RECONCILE", {"tasks": []})
        self._offers_wanted()

    def disconnected(self) -> None:
        logger.warning("Mesos framework disconnected; %d task(s) queued", len(self._queue))

    def event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "OFFERS":
            self._on_offers(event.get("offers", {}).get("offers", []))
        elif kind == "UPDATE":
            self._on_status(event["update"]["status"])
        elif kind == "FAILURE":
            logger.warning("Mesos reports a failure: %s", event.get("failure"))
        elif kind not in ("HEARTBEAT", "RESCIND"):
            logger.debug("ignoring Mesos event %s", kind)

    def _on_offers(self, offers: list[dict[str, Any]]) -> None:
        self._last_offers = offers
        declined = []
        filters = {"refuse_seconds": self._settings.decline_offer_s}
        for offer in offers:
            space = OfferSpace(offer, self._settings.role)
            self._files.offered(offer)
            infos = []
            for task in list(self._queue.values()):
                assert task.spec is not None and task.demand is not None
                if not constraints_match(task.spec.constraints, offer):
                    continue
                resources = space.take(task.demand)
                if resources is None:
                    continue
                infos.append(
                    task_info(
                        task.id, task.spec, agent_id=space.agent_id, hostname=space.hostname,
                        resources=resources, container_kind=self._settings.container_kind,
                    )
                )  # fmt: skip
                del self._queue[task.id]
                task.phase, task.agent_id, task.confirmed = _Phase.LAUNCHED, space.agent_id, False
                self._files.placed(task.id, space.agent_id)
            if not infos:
                declined.append({"value": space.id})
                continue
            operation = {"type": "LAUNCH", "launch": {"task_infos": infos}}
            accept = {
                "offer_ids": [{"value": space.id}],
                "operations": [operation],
                "filters": filters,
            }
            self._call_mesos("ACCEPT", accept)
            logger.info(
                "launching %d task(s) on %s (offer %s)", len(infos), space.hostname, space.id
            )
            for info in infos:
                self._emit_for(self._tasks[info["task_id"]["value"]], TaskStatus.TASK_STAGING)
        if declined:
            self._call_mesos("DECLINE", {"offer_ids": declined, "filters": filters})
        self._snapshot()
        self._offers_wanted()

    def _on_status(self, status: dict[str, Any]) -> None:
        task_id = status["task_id"]["value"]
        if "agent_id" in status:  # also for tasks adopted after a restart
            self._files.placed(task_id, status["agent_id"]["value"])
        try:
            self._handle_status(task_id, status)
        finally:
            if status.get("uuid") and "agent_id" in status:
                ack = {
                    "agent_id": status["agent_id"],
                    "task_id": status["task_id"],
                    "uuid": status["uuid"],
                }
                self._call_mesos("ACKNOWLEDGE", ack)

    def _handle_status(self, task_id: str, status: dict[str, Any]) -> None:
        self._asked.pop(task_id, None)
        update = to_update(status)
        if update is None:
            logger.warning("task %s: unknown Mesos state %s", task_id, status.get("state"))
            return
        state, reason = status.get("state"), status.get("reason")
        unknown = state in UNKNOWN_STATES and reason in _NOT_LAUNCHED
        task = self._tasks.get(task_id)
        if task is None and task_id not in self._ended and update.status.is_active:
            # A task of ours the master knows and we did not (a restart): adopt it.
            task = self._tasks[task_id] = _Task(task_id, _Phase.LAUNCHED)
        if task is not None and unknown and not task.confirmed and not task.kill_requested:
            if task.phase is not _Phase.QUEUED:  # never reached the master: (re)queue it
                logger.info("task %s is unknown to Mesos; queueing it for launch", task_id)
                self._enqueue(task)
                self._snapshot()
            return
        if task is not None and task.phase is _Phase.VERIFYING:
            task.phase = _Phase.LAUNCHED  # an earlier instance launched it: follow, never relaunch
            self._snapshot()
        if task is not None:
            task.confirmed = True
            task.agent_id = status.get("agent_id", {}).get("value", task.agent_id)
            if task.kill_requested and unknown:
                update = dataclasses.replace(update, status=TaskStatus.TASK_KILLED)
        self._deliver(task_id, task, update)

    def _deliver(self, task_id: str, task: _Task | None, update: TaskUpdate) -> None:
        forced = task_id in self._answer
        self._answer.discard(task_id)
        ended = self._ended.get(task_id)
        if ended is not None:
            if update.status.is_active:
                # Reported final already (LOST, say), so the run moved on: this one must not run.
                logger.warning(
                    "task %s is %s after it ended %s: killing it",
                    task_id,
                    update.status,
                    ended.status,
                )
                self._call_mesos("KILL", {"task_id": {"value": task_id}})
            if forced:
                self._emit(ended)
            return
        if task is None:
            self._remember_end(update)
            self._emit(update)
        elif not update.status.is_active:
            self._end(task, update)
        elif forced or update.status is not task.last:
            task.last = update.status
            self._emit(update)

    # -- helpers ----------------------------------------------------------------------------

    def _enqueue(self, task: _Task) -> None:
        task.phase = _Phase.QUEUED
        self._queue[task.id] = task
        self._revive()

    def _end(self, task: _Task, update: TaskUpdate) -> None:
        del self._tasks[task.id]
        self._remember_end(update)
        logger.info(
            "task %s ended %s%s",
            task.id,
            update.status,
            f" ({update.message})" if update.message else "",
        )
        self._emit(update)

    def _remember_end(self, update: TaskUpdate) -> None:
        self._ended[update.task_id] = update
        if len(self._ended) > _REMEMBERED_ENDS:
            self._ended.popitem(last=False)

    def _send_kill(self, task: _Task) -> None:
        kill: dict[str, Any] = {"task_id": {"value": task.id}}
        if task.agent_id is not None:
            kill["agent_id"] = {"value": task.agent_id}
        self._call_mesos("KILL", kill)

    def _ask(self, task_ids: list[str]) -> None:
        """Explicit reconciliation; answers come as UPDATEs (or not at all: then we ask again)."""
        if not task_ids or self._loop is None:
            return
        now = self._loop.time()
        for task_id in task_ids:
            self._asked[task_id] = now
        tasks = []
        for task_id in dict.fromkeys(task_ids):
            agent = (task := self._tasks.get(task_id)) and task.agent_id
            tasks.append(
                {"task_id": {"value": task_id}, **({"agent_id": {"value": agent}} if agent else {})}
            )
        self._call_mesos("RECONCILE", {"tasks": tasks})

    async def _reconcile_periodically(self) -> None:
        assert self._loop is not None
        retry_s = self._settings.reconcile_retry_s
        next_full = self._loop.time() + self._settings.reconcile_interval_s
        while True:
            await asyncio.sleep(min(retry_s, self._settings.reconcile_interval_s))
            now = self._loop.time()
            if now >= next_full:
                next_full = now + self._settings.reconcile_interval_s
                self._ask([t.id for t in self._tasks.values() if t.phase is _Phase.LAUNCHED])
                self._call_mesos("RECONCILE", {"tasks": []})
            self._ask([task_id for task_id, at in self._asked.items() if now - at >= retry_s])

    def _offers_wanted(self) -> None:
        if self._queue:
            self._revive()
        elif not self._suppressed and self._call_mesos(
            "SUPPRESS", {"roles": [self._settings.role]}
        ):
            self._suppressed = True

    def _revive(self) -> None:
        """REVIVE (clearing decline filters) at most once per `revive_interval_s`."""
        if self._loop is None or self._revive_handle is not None:
            return
        wait_s = self._last_revive + self._settings.revive_interval_s - self._loop.time()
        if wait_s > 0:
            self._revive_handle = self._loop.call_later(wait_s, self._revive_now)
        else:
            self._revive_now()

    def _revive_now(self) -> None:
        assert self._loop is not None
        self._revive_handle = None
        if self._queue and self._call_mesos("REVIVE", {"roles": [self._settings.role]}):
            self._suppressed = False
            self._last_revive = self._loop.time()

    def _call_mesos(self, call_type: str, body: dict[str, Any]) -> bool:
        return self._client is not None and self._client.call(call_type, body)

    def _snapshot(self) -> None:
        self._waiting = tuple(t.id for t in self._tasks.values() if t.phase is not _Phase.LAUNCHED)

    def _emit_for(self, task: _Task, status: TaskStatus) -> None:
        task.last = status
        self._emit(TaskUpdate(task.id, status, datetime.now(UTC)))

    def _emit(self, update: TaskUpdate) -> None:
        assert self._on_update is not None
        try:
            self._on_update(update)
        except Exception:
            logger.exception("task update handler failed on %s", update)

    async def _auth(self) -> aiohttp.BasicAuth | None:
        settings = self._settings
        if settings.secret_file is None or settings.principal is None:
            return None
        try:
            secret = settings.secret_file.read_text().strip()
        except OSError as exc:
            msg = f"cannot read the Mesos authentication secret {settings.secret_file}: {exc}"
            raise LaunchError(msg) from exc
        return aiohttp.BasicAuth(settings.principal, secret)
