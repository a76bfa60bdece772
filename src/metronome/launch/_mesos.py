"""The Mesos launcher: job tasks as Mesos tasks, through our framework's scheduler API client."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import socket
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp

from metronome.launch._launcher import Launcher, LaunchError, TaskSetupError, TaskUpdate
from metronome.launch._loop_calls import LoopCalls
from metronome.launch._mesos_client import SchedulerClient
from metronome.launch._mesos_detect import (
    ZkAddress,
    master_scheme,
    parse_master,
    static_detector,
)
from metronome.launch._mesos_files import AgentFiles
from metronome.launch._mesos_offers import OfferSpace, constraints_match, field_value
from metronome.launch._mesos_tasks import (
    NOT_RUNNING,
    check_spec,
    logical_id,
    relaunch_id,
    task_info,
    to_update,
)
from metronome.launch._placement import demand
from metronome.launch._why_queued import on_mesos
from metronome.model import TaskStatus

if TYPE_CHECKING:
    from collections.abc import Iterable

    from metronome.launch._launcher import HostResources, UpdateCallback
    from metronome.launch._mesos_config import FrameworkIdStore, MesosSettings
    from metronome.launch._mesos_detect import MasterDetector
    from metronome.launch._output import OutputChunk, OutputStream
    from metronome.model import RunSpec

logger = logging.getLogger(__name__)

_REMEMBERED_ENDS = 100_000  # final statuses kept to answer late duplicates and reconciliations
_MAX_DOUBLINGS = 30  # of the reconciliation retry: far past any `reconcile_retry_max_s`


class _Phase(enum.Enum):
    VERIFYING = "verifying"  # asking the master whether an earlier instance launched it already
    QUEUED = "queued"  # waiting for a matching offer
    LAUNCHED = "launched"  # handed to the master (or adopted)


@dataclass(eq=False)
class _Task:
    id: str  # the run's id for it; updates are reported under it
    phase: _Phase
    spec: RunSpec | None = None  # None for a task adopted from the master
    demand: HostResources | None = None
    agent_id: str | None = None
    confirmed: bool = False  # the master has reported `mesos_id` at least once
    kill_requested: bool = False
    last: TaskStatus | None = None
    mesos_id: str = ""  # the id of its latest launch on Mesos: `id`, or a relaunch's

    def __post_init__(self) -> None:
        self.mesos_id = self.mesos_id or self.id


MESOS_IDENTITY = "mesos"


class MesosLauncher(LoopCalls, Launcher):
    """Launches tasks on Mesos offers and follows their status updates.

    A new framework id cannot have tasks yet, so launches go straight to the queue. Under a reused
    id (a restart, a failover) an earlier instance may have launched a task already: each launch is
    first checked by explicit reconciliation, and only a task the master does not know is queued.
    """

    _what = "Mesos launcher"

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
        self._scheme = master_scheme(settings.master, settings.ca_file)
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
        # Explicit reconciliation awaiting answers: Mesos task id -> (loop time to ask again, tries)
        self._asked: dict[str, tuple[float, int]] = {}
        self._answer: set[str] = set()  # ids whose next update is delivered even if unchanged
        self._ended: OrderedDict[str, TaskUpdate] = OrderedDict()
        self._suppressed = False
        self._last_revive = float("-inf")
        self._revive_handle: asyncio.TimerHandle | None = None
        self._decline_s = settings.decline_first_s  # the filter for offers waiting tasks refuse
        self._periodic: asyncio.Task[None] | None = None
        self._stepped_down_until = 0.0  # loop time
        self._files = AgentFiles()
        self._last_offers: list[dict[str, Any]] = []  # to say why a queued task waits

    @property
    def identity(self) -> str:
        """One for every instance: any leader reaches the same master and reconciles there."""
        return MESOS_IDENTITY

    @property
    def host(self) -> str:
        return self._settings.hostname or socket.gethostname()

    @property
    def framework_id(self) -> str | None:
        return None if self._client is None else self._client.framework_id

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    @property
    def refusal(self) -> str | None:
        """Why the master refused the framework (the launcher then launches nothing), if it did."""
        return None if self._client is None else self._client.refusal

    @property
    def step_downs(self) -> int:
        """How often another scheduler took the framework over ("Framework failed over")."""
        return 0 if self._client is None else self._client.step_downs

    def problem(self) -> dict[str, str] | None:
        """What keeps this launcher from launching, for `/info`; None while all is well."""
        if self.refusal is not None:
            return {"state": "refused", "message": self.refusal}
        if self._stepped_down_until > (self._loop.time() if self._loop else 0.0):
            return {"state": "stepped-down", "message": "another scheduler took the framework"}
        return None

    async def start(self, on_update: UpdateCallback) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_update = on_update
        self._client = SchedulerClient(
            self._settings, self._detect, self._ids, self,
            auth=await self._auth(), scheme=self._scheme,
        )  # fmt: skip
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
        task = self._tasks.get(task_id)  # a relaunched task's sandbox is its latest launch's
        mesos_id = task_id if task is None else task.mesos_id
        return await self._files.read(self.framework_id, mesos_id, stream, offset, length)

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
        self._decline_s = self._settings.decline_first_s
        # Everything not final is checked again: the master may have failed over, or we restarted.
        for task in self._tasks.values():
            if task.kill_requested and task.phase is _Phase.LAUNCHED:
                self._send_kill(task)
        self._asked.clear()
        # Implicit first: the master answers in order, so every launch it knows (a relaunch's new
        # id too) is seen before an explicit "unknown" could make us launch one again.
        self._call_mesos("RECONCILE", {"tasks": []})
        self._ask(
            [t.id for t in self._tasks.values() if t.phase is not _Phase.QUEUED] + [*self._answer]
        )
        if self._queue:  # filters from before may have outlived the subscription
            self._revive()
        self._offers_wanted()

    def disconnected(self) -> None:
        logger.warning("Mesos framework disconnected; %d task(s) queued", len(self._queue))

    def stepped_down(self, wait_s: float) -> None:
        if self._loop is not None:
            self._stepped_down_until = self._loop.time() + wait_s

    def refused(self, message: str) -> None:
        logger.error(
            "Mesos refused framework %s: %s; not subscribing again (fix and restart); "
            "%d task(s) stay queued", self.framework_id, message, len(self._queue),
        )  # fmt: skip

    def call_refused(self, call: dict[str, Any], status: int, message: str) -> None:
        """An ACCEPT the master could not parse launched nothing: fail its tasks now, with the
        master's words, and hand the offers back (they are still outstanding)."""
        if call["type"] != "ACCEPT" or status != 400:
            return
        accept = call["accept"]
        for operation in accept.get("operations", []):
            for info in operation.get("launch", {}).get("task_infos", []):
                task = self._tasks.get(logical_id(info["task_id"]["value"]))
                if task is not None and not task.confirmed:
                    self._end(task, TaskUpdate(
                        task.id, TaskStatus.TASK_FAILED, datetime.now(UTC),
                        f"Mesos refused the launch: {message}",
                    ))  # fmt: skip
        self._call_mesos("DECLINE", {"offer_ids": accept["offer_ids"]})
        self._snapshot()

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
        # While tasks wait, what did not fit them comes back soon (sooner than a changed agent
        # would re-offer it); the longest filter once nothing waits.
        refuse_s = self._decline_s if self._queue else self._settings.decline_offer_s
        filters = {"refuse_seconds": refuse_s}
        for offer in offers:
            space = OfferSpace(offer, self._settings.role)
            self._files.offered(offer)
            infos = []
            for task in list(self._queue.values()):
                assert task.spec is not None and task.demand is not None
                if not self._may_place(task.spec, offer):
                    continue
                resources = space.take(task.demand)
                if resources is None:
                    continue
                infos.append(
                    task_info(
                        task.mesos_id, task.spec, agent_id=space.agent_id, hostname=space.hostname,
                        resources=resources, container_kind=self._settings.container_kind,
                    )
                )  # fmt: skip
                del self._queue[task.id]
                task.phase, task.agent_id, task.confirmed = _Phase.LAUNCHED, space.agent_id, False
                self._files.placed(task.mesos_id, space.agent_id)
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
                task_id = logical_id(info["task_id"]["value"])
                self._emit_for(self._tasks[task_id], TaskStatus.TASK_STAGING)
        if declined:
            self._call_mesos("DECLINE", {"offer_ids": declined, "filters": filters})
        if self._queue:  # still waiting: what they were offered is refused longer next time
            self._decline_s = min(self._settings.decline_offer_s, self._decline_s * 2)
        self._snapshot()
        self._offers_wanted()

    def _may_place(self, spec: RunSpec, offer: dict[str, Any]) -> bool:
        """The constraints match, and without a `@region` one the agent is in the master's
        region (offers of others come because we are REGION_AWARE; Marathon does the same)."""
        if not constraints_match(spec.constraints, offer):
            return False
        home = None if self._client is None else self._client.region
        if home is None or any(c.attribute == "@region" for c in spec.constraints):
            return True
        return field_value(offer, "@region") in (None, home)

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

    def _handle_status(self, mesos_id: str, status: dict[str, Any]) -> None:
        self._asked.pop(mesos_id, None)
        update = to_update(status)
        if update is None:
            logger.warning("task %s: unknown Mesos state %s", mesos_id, status.get("state"))
            return
        task_id = logical_id(mesos_id)
        update = dataclasses.replace(update, task_id=task_id)
        task = self._tasks.get(task_id)
        if task is not None and mesos_id != task.mesos_id and not self._follow(task, mesos_id):
            if update.status.is_active:  # an earlier launch, superseded: it must not run
                logger.warning("task %s: killing %s, a launch it replaced", task_id, mesos_id)
                self._call_mesos("KILL", {"task_id": {"value": mesos_id}})
            return
        if task is None and task_id not in self._ended and update.status.is_active:
            # A task of ours the master knows and we did not (a restart): adopt it.
            task = self._tasks[task_id] = _Task(task_id, _Phase.LAUNCHED, mesos_id=mesos_id)
        not_running = status.get("state") in NOT_RUNNING
        if task is not None and not_running and not task.confirmed and not task.kill_requested:
            if task.phase is not _Phase.QUEUED and task.spec is not None:
                self._relaunch(task, status)
            return
        if task is not None and task.phase is _Phase.VERIFYING:
            task.phase = _Phase.LAUNCHED  # an earlier instance launched it: follow, never relaunch
            self._snapshot()
        if task is not None:
            task.confirmed = True
            task.agent_id = status.get("agent_id", {}).get("value", task.agent_id)
            if task.kill_requested and not_running:
                update = dataclasses.replace(update, status=TaskStatus.TASK_KILLED)
        self._deliver(task_id, task, update, mesos_id)

    def _follow(self, task: _Task, mesos_id: str) -> bool:
        """Whether an update for another launch of `task` than its latest makes that one its
        latest: only while verifying, when an earlier instance may have relaunched it."""
        if task.phase is not _Phase.VERIFYING:
            return False
        task.mesos_id, task.agent_id = mesos_id, None
        return True

    def _relaunch(self, task: _Task, status: dict[str, Any]) -> None:
        """Queue a task that runs nowhere again, under a new id: the old one may not be reused
        (an unreachable task's id), and if it turns up after all it is killed, not followed."""
        old = task.mesos_id
        task.mesos_id, task.agent_id, task.confirmed = relaunch_id(task.id), None, False
        logger.info(
            "task %s: Mesos reports %s %s (%s); launching it again as %s",
            task.id, old, status.get("state"), status.get("message", ""), task.mesos_id,
        )  # fmt: skip
        self._enqueue(task)
        self._snapshot()

    def _deliver(self, task_id: str, task: _Task | None, update: TaskUpdate, mesos_id: str) -> None:
        forced = task_id in self._answer
        self._answer.discard(task_id)
        ended = self._ended.get(task_id)
        if ended is not None:
            if update.status.is_active:
                # Reported final already (LOST, say), so the run moved on: this one must not run.
                logger.warning(
                    "task %s is %s after it ended %s: killing %s",
                    task_id, update.status, ended.status, mesos_id,
                )  # fmt: skip
                self._call_mesos("KILL", {"task_id": {"value": mesos_id}})
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
        kill: dict[str, Any] = {"task_id": {"value": task.mesos_id}}
        if task.agent_id is not None:
            kill["agent_id"] = {"value": task.agent_id}
        self._call_mesos("KILL", kill)

    def _ask(self, task_ids: list[str], *, again: bool = False) -> None:
        """Explicit reconciliation of our tasks (their latest launch); answers come as UPDATEs,
        or not at all (a master still recovering its agents): then we ask `again`, after a
        truncated exponential backoff (reconciliation.md), not to swamp a master backed up."""
        if not task_ids or self._loop is None:
            return
        now = self._loop.time()
        settings = self._settings
        tasks = []
        for task_id in dict.fromkeys(task_ids):
            task = self._tasks.get(task_id)
            mesos_id = task_id if task is None else task.mesos_id
            asked = self._asked.get(mesos_id)
            tries = min(asked[1] + 1, _MAX_DOUBLINGS) if again and asked else 0
            wait_s = min(settings.reconcile_retry_max_s, settings.reconcile_retry_s * 2**tries)
            self._asked[mesos_id] = (now + wait_s, tries)
            entry: dict[str, Any] = {"task_id": {"value": mesos_id}}
            if task is not None and task.agent_id:
                entry["agent_id"] = {"value": task.agent_id}
            tasks.append(entry)
        self._call_mesos("RECONCILE", {"tasks": tasks})

    async def _reconcile_periodically(self) -> None:
        assert self._loop is not None
        interval_s = self._settings.reconcile_interval_s
        next_full = self._loop.time() + interval_s
        while True:
            await asyncio.sleep(min(self._settings.reconcile_retry_s, interval_s) / 2)
            now = self._loop.time()
            if now >= next_full:
                next_full = now + interval_s
                self._call_mesos("RECONCILE", {"tasks": []})  # implicit first, as on subscribing
                self._ask([t.id for t in self._tasks.values() if t.phase is _Phase.LAUNCHED])
            self._ask(self._unanswered(now), again=True)

    def _unanswered(self, now: float) -> list[str]:
        """Ids of the tasks whose explicit reconciliation is due to be asked again; a question
        about a launch that was replaced meanwhile, or a task that ended, is dropped."""
        due = []
        for mesos_id, (at, _) in list(self._asked.items()):
            if now < at:
                continue
            task_id = logical_id(mesos_id)
            task = self._tasks.get(task_id)
            if (task is None and task_id in self._ended) or (task and task.mesos_id != mesos_id):
                del self._asked[mesos_id]
            else:
                due.append(task_id)
        return due

    def _offers_wanted(self) -> None:
        """SUPPRESS once nothing waits. While tasks wait, offers keep coming without a REVIVE:
        it clears every decline filter, so it is sent only when demand grows (`_enqueue`)."""
        if (
            not self._queue
            and not self._suppressed
            and self._call_mesos("SUPPRESS", {"roles": [self._settings.role]})
        ):
            self._suppressed = True

    def _revive(self) -> None:
        """REVIVE (clearing decline filters) for new demand, at most once per
        `revive_interval_s`."""
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
            self._decline_s = self._settings.decline_first_s

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
