"""The fake master's state machine: frameworks, offers and filters, tasks, updates, failures.

Agents and their tasks belong to the cluster and survive a master failover; frameworks, offers and
filters belong to the leading master and are forgotten by a new one (mesos-protocol.md §5.4).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

from metronome.fakemesos._agent import CommandExecutor
from metronome.fakemesos._state import (
    PORTS,
    SCALARS,
    TERMINAL,
    WHOLE,
    Agent,
    Connection,
    Filter,
    Framework,
    Offer,
    Resources,
    Settings,
    Task,
    add,
    contains,
    disk_info,
    domain_info,
    new_uuid,
    resource_key,
    sub,
)  # fmt: skip

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

_MIN_OFFER = {"cpus": 0.01, "mem": 32.0}
_MAX_REFUSE_S = 365 * 24 * 3600.0
_NANOS = 1e9


class CallError(Exception):
    """A call the master answers with an HTTP error; `status` and the message are the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Master:
    """Everything the leading master knows and does; one instance serves every fake master port."""

    def __init__(
        self,
        settings: Settings,
        agents: Iterable[tuple[str, Resources, list[dict[str, Any]], dict[str, Any] | None]],
    ) -> None:
        self.settings = settings
        self.master_id = str(uuid.uuid4())
        self.agents: dict[str, Agent] = {}
        for n, (hostname, total, attributes, domain) in enumerate(agents):
            agent_id = f"{self.master_id}-S{n}"
            self.agents[agent_id] = Agent(
                agent_id, hostname, total, attributes, 5051 + n, domain=domain
            )
        self.frameworks: dict[str, Framework] = {}
        self.removed: set[str] = set()
        self.offers: dict[str, Offer] = {}
        self.tasks: dict[str, dict[str, Task]] = {}  # framework id -> task id -> task
        self.executor = CommandExecutor(settings, self._report)
        self.recovering_until = 0.0
        # Fault knobs and figures for tests and the benchmark.
        self.drop_acks = 0
        self.refuse_calls: dict[str, tuple[int, str]] = {}  # call type -> HTTP status, text
        self.heartbeats = True
        self.launch_latencies_s: list[float] = []
        self.subscribe_count = 0
        self.calls: Counter[str] = Counter()  # accepted calls by type
        self.decline_filters: list[float | None] = []  # each DECLINE's refuse_seconds
        self.reconciles: list[tuple[float, list[str]]] = []  # (monotonic time, task ids asked)
        self._frameworks_made = 0
        self._offers_made = 0
        self._background: set[asyncio.Task[Any]] = set()
        self._cut_off: dict[str, list[Task]] = {}  # agent id -> tasks running out of reach
        self._allocator: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._allocator = asyncio.create_task(self._allocate_periodically(), name="fake-allocator")

    async def stop(self) -> None:
        """Stop allocating and kill every task's process (a test double leaves nothing behind)."""
        if self._allocator is not None:
            self._allocator.cancel()
        running = [*self.all_tasks(), *(t for ts in self._cut_off.values() for t in ts)]
        for task in running:
            self.executor.abandon(task)
            if task.retry is not None:
                task.retry.cancel()
        for framework in self.frameworks.values():
            if framework.failover is not None:
                framework.failover.cancel()
            if framework.connection is not None:
                framework.connection.close()
        jobs = [t.runner for t in running if t.runner is not None]
        jobs += [*self._background, *([self._allocator] if self._allocator else [])]
        await asyncio.gather(*jobs, return_exceptions=True)
        await self.executor.close()

    def all_tasks(self) -> list[Task]:
        return [task for tasks in self.tasks.values() for task in tasks.values()]

    # -- subscription -----------------------------------------------------------------------

    def subscribe(self, call: dict[str, Any]) -> Connection:
        """Answer a SUBSCRIBE: a connection whose first event is SUBSCRIBED, or only an ERROR."""
        subscribe = call["subscribe"]
        info = subscribe["framework_info"]
        framework_id = info.get("id", {}).get("value")
        connection = Connection()
        error = self._refusal(info, framework_id)
        if error is not None:
            connection.close(error)
            return connection
        framework = self.frameworks.get(framework_id or "")
        if framework is None:
            if framework_id is None:  # a new framework; a known id is one recovering (§5.4)
                framework_id = f"{self.master_id}-{self._frameworks_made:04d}"
                self._frameworks_made += 1
            framework = self.frameworks[framework_id] = Framework(framework_id, info)
        else:
            if framework.connection is not None:
                framework.connection.close("Framework failed over")
            # Immutable fields keep their first value, silently (`preserveImmutableFields`).
            info = {**info, "user": framework.info.get("user"),
                    "checkpoint": framework.info.get("checkpoint", False)}  # fmt: skip
        framework.info = info
        if framework.failover is not None:
            framework.failover.cancel()
            framework.failover = None
        self._discard_offers(framework, rescind=False)
        framework.connection = connection
        framework.suppressed = set(subscribe.get("suppressed_roles", []))
        self.subscribe_count += 1
        connection.events.put_nowait({"type": "SUBSCRIBED", "subscribed": {
            "framework_id": {"value": framework.id},
            "heartbeat_interval_seconds": self.settings.heartbeat_interval_s,
            "master_info": self.master_info(),
        }})  # fmt: skip
        connection.events.put_nowait({"type": "HEARTBEAT"})
        for task in self.tasks.get(framework.id, {}).values():
            if task.pending:  # resent at once on re-subscription (§4.4)
                task.retry_s = 0.0
                self._forward(task)
        logger.info("framework %s subscribed (%s)", framework.id, info.get("name"))
        return connection

    def _refusal(self, info: dict[str, Any], framework_id: str | None) -> str | None:
        multi_role = any(c.get("type") == "MULTI_ROLE" for c in info.get("capabilities", []))
        if multi_role and "role" in info:
            return "'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable"
        if not multi_role and "roles" in info:
            return (
                "'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable"
            )
        if framework_id in self.removed:
            return "Framework has been removed"
        known = self.frameworks.get(framework_id or "")
        if known is not None and known.info.get("principal") != info.get("principal"):
            return "Changing framework's principal is not allowed."
        return None

    def disconnected(self, framework_id: str, connection: Connection) -> None:
        """The stream broke: keep the framework for its failover timeout (§5.1)."""
        framework = self.frameworks.get(framework_id)
        if framework is None or framework.connection is not connection:
            return
        framework.connection = None
        self._discard_offers(framework, rescind=False)
        timeout_s = float(framework.info.get("failover_timeout", 0.0))
        logger.info("framework %s disconnected; failover timeout %.1f s", framework_id, timeout_s)
        loop = asyncio.get_running_loop()
        framework.failover = loop.call_later(timeout_s, self._remove_framework, framework)

    def _remove_framework(self, framework: Framework) -> None:
        logger.info("removing framework %s and killing its tasks", framework.id)
        self.frameworks.pop(framework.id, None)
        self.removed.add(framework.id)
        if framework.failover is not None:
            framework.failover.cancel()
        self._discard_offers(framework, rescind=False)
        for task in self.tasks.pop(framework.id, {}).values():
            self._drop(task)
        if framework.connection is not None:
            framework.connection.close()
            framework.connection = None

    def master_info(self) -> dict[str, Any]:
        info = {"id": self.master_id, "hostname": "127.0.0.1", "port": 5050, "version": "1.11.0",
                "address": {"hostname": "127.0.0.1", "ip": "127.0.0.1", "port": 5050}}  # fmt: skip
        if self.settings.region is not None:
            info["domain"] = domain_info(self.settings.region, None)
        return info

    def _offered_to(self, framework: Framework, agent: Agent) -> bool:
        """Whether the allocator offers this agent to the framework at all (the allocator's
        `isRemoteSlave` and GPU filtering): a remote region needs REGION_AWARE, GPUs need
        GPU_RESOURCES."""
        region = self.settings.region
        remote = region is not None and agent.region not in (None, region)
        if remote and not framework.capable("REGION_AWARE"):
            return False
        return agent.total.get("gpus", 0.0) <= 0 or framework.capable("GPU_RESOURCES")

    def framework_for_call(self, call: dict[str, Any], stream_id: str | None) -> Framework:
        """The calling framework, after the checks of §2.1, in their order."""
        framework_id = call.get("framework_id", {}).get("value")
        if framework_id is None:
            raise CallError(400, "Expecting 'framework_id' to be present")
        framework = self.frameworks.get(framework_id)
        if framework is None:
            raise CallError(400, "Framework cannot be found")
        if framework.connection is None:
            raise CallError(403, "Framework is not subscribed")
        if stream_id is None:
            raise CallError(
                400, "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
            )
        if stream_id != framework.connection.stream_id:
            raise CallError(
                400, f"The stream ID '{stream_id}' included in this request didn't match"
            )
        return framework

    # -- calls ------------------------------------------------------------------------------

    def handle(self, framework: Framework, call: dict[str, Any]) -> None:
        kind = call["type"]
        body = call.get(kind.lower(), {})
        self.calls[kind] += 1
        handler = {
            "ACCEPT": self._accept, "DECLINE": self._decline, "REVIVE": self._revive,
            "SUPPRESS": self._suppress, "KILL": self._kill, "ACKNOWLEDGE": self._acknowledge,
            "RECONCILE": self._reconcile,
        }.get(kind)  # fmt: skip
        if kind == "TEARDOWN":
            self._remove_framework(framework)
        elif handler is not None:
            handler(framework, body)
        else:
            logger.debug("ignoring %s from %s", kind, framework.id)

    def _accept(self, framework: Framework, accept: dict[str, Any]) -> None:
        offer_ids = [o["value"] for o in accept.get("offer_ids", [])]
        error = self._invalid_offers(framework, offer_ids)
        offers = [self.offers.pop(i) for i in dict.fromkeys(offer_ids) if i in self.offers]
        infos = [
            info
            for operation in accept.get("operations", [])
            if operation.get("type") == "LAUNCH"
            for info in operation.get("launch", {}).get("task_infos", [])
        ]
        if error is not None:
            state = "TASK_DROPPED" if framework.partition_aware else "TASK_LOST"
            for info in infos:
                self._master_update(framework, info["task_id"]["value"], state,
                                    f"Task launched with invalid offers: {error}",
                                    "REASON_INVALID_OFFERS", info["agent_id"]["value"])  # fmt: skip
            return
        offer = offers[0]
        agent = self.agents[offer.agent_id]
        remaining: Resources = {}
        for each in offers:
            remaining = add(remaining, each.resources)
        now = time.monotonic()
        for info in infos:
            task_id = info["task_id"]["value"]
            wanted = _scalars(info.get("resources", []))
            problem = self._invalid_task(framework, info, offer, wanted, remaining)
            if problem is not None:
                self._master_update(framework, task_id, "TASK_ERROR", problem,
                                    "REASON_TASK_INVALID", info["agent_id"]["value"])  # fmt: skip
                continue
            remaining = sub(remaining, wanted)
            grace = info.get("kill_policy", {}).get("grace_period", {}).get("nanoseconds")
            task = Task(task_id, framework.id, agent.id, info, wanted,
                        self.settings.sandbox_root / framework.id / task_id,
                        kill_grace_s=None if grace is None else int(grace) / _NANOS)  # fmt: skip
            self.tasks.setdefault(framework.id, {})[task_id] = task
            self.launch_latencies_s.append(now - offer.created_at)
            self.executor.launch(task, agent)
        self._filter(framework, offer.role, agent.id, remaining, accept.get("filters"))

    def _invalid_offers(self, framework: Framework, offer_ids: list[str]) -> str | None:
        if not offer_ids:
            return "No offers specified"
        if len(set(offer_ids)) != len(offer_ids):
            return "Duplicate offers specified"
        for offer_id in offer_ids:
            offer = self.offers.get(offer_id)
            if offer is None or offer.framework_id != framework.id:
                return f"Offer {offer_id} is no longer valid"
        first = self.offers[offer_ids[0]]
        if any(self.offers[i].agent_id != first.agent_id for i in offer_ids):
            return "Aggregated offers must belong to one single agent"
        if any(self.offers[i].role != first.role for i in offer_ids):
            return "Aggregated offers must be allocated to the same role"
        return None

    def _invalid_task(
        self,
        framework: Framework,
        info: dict[str, Any],
        offer: Offer,
        wanted: Resources,
        remaining: Resources,
    ) -> str | None:
        task_id = info["task_id"]["value"]
        if (
            not task_id
            or len(task_id) > 255
            or task_id in (".", "..")
            or any(c in "/\\" or ord(c) < 32 for c in task_id)
        ):
            return f"Task ID '{task_id}' is invalid"
        if task_id in self.tasks.get(framework.id, {}):
            return f"Task has duplicate ID: {task_id}"
        if task_id in framework.unreachable_tasks:
            return f"Task reuses the ID of an unreachable task: {task_id}"
        if info["agent_id"]["value"] != offer.agent_id:
            return (
                f"Task uses agent ID {info['agent_id']['value']} but the offer is for "
                f"{offer.agent_id}"
            )
        if ("command" in info) == ("executor" in info):
            return (
                "Task should have at least one (but not both) of CommandInfo or ExecutorInfo "
                "present"
            )
        if "executor" in info:
            return "This fake master runs command tasks only"
        if not info.get("resources"):
            return "Task uses no resources"
        for resource in info["resources"]:
            role = resource.get("allocation_info", {}).get("role", offer.role)
            if role != offer.role:
                name = resource.get("name")
                return f"Task resource {name} is allocated to role '{role}', not '{offer.role}'"
        container = _invalid_container(info.get("container"))
        if container is not None:
            return f"Task's `ContainerInfo` is invalid: {container}"
        grace = info.get("kill_policy", {}).get("grace_period", {}).get("nanoseconds", 0)
        if int(grace) < 0:
            return "Task's kill policy must have a non-negative grace period"
        if not contains(remaining, wanted) or any(
            key.startswith(WHOLE) and amount != remaining.get(key) for key, amount in wanted.items()
        ):  # part of a MOUNT disk or a volume is not in the offer (`Resources::contains`)
            return (
                f"Total resources {wanted} required by task and its executor is more than "
                f"available {remaining}"
            )
        return None

    def _decline(self, framework: Framework, decline: dict[str, Any]) -> None:
        self.decline_filters.append(decline.get("filters", {}).get("refuse_seconds"))
        for ref in decline.get("offer_ids", []):
            offer = self.offers.get(ref["value"])
            if offer is not None and offer.framework_id == framework.id:
                del self.offers[offer.id]
                self._filter(
                    framework, offer.role, offer.agent_id, offer.resources, decline.get("filters")
                )

    def _filter(self, framework: Framework, role: str, agent_id: str, resources: Resources,
                filters: dict[str, Any] | None) -> None:  # fmt: skip
        """Refuse these resources for a while ([M-alloc] `recoverResources`, §8.3)."""
        refuse_s = float((filters or {}).get("refuse_seconds", 5.0))
        if refuse_s < 0:
            refuse_s = 5.0
        if refuse_s == 0 or not any(v > 0 for v in resources.values()):
            return
        refuse_s = max(min(refuse_s, _MAX_REFUSE_S), self.settings.allocation_interval_s)
        framework.filters.append(Filter(role, agent_id, resources, time.monotonic() + refuse_s))

    def _roles(self, framework: Framework, body: dict[str, Any]) -> set[str] | None:
        roles = set(body.get("roles") or framework.roles)
        return roles if roles <= set(framework.roles) else None  # a foreign role drops the call

    def _revive(self, framework: Framework, revive: dict[str, Any]) -> None:
        roles = self._roles(framework, revive)
        if roles is not None:
            framework.suppressed -= roles
            framework.filters = [f for f in framework.filters if f.role not in roles]

    def _suppress(self, framework: Framework, suppress: dict[str, Any]) -> None:
        roles = self._roles(framework, suppress)
        if roles is not None:
            framework.suppressed |= roles

    def _kill(self, framework: Framework, kill: dict[str, Any]) -> None:
        task_id = kill["task_id"]["value"]
        agent_id = kill.get("agent_id", {}).get("value")
        task = self.tasks.get(framework.id, {}).get(task_id)
        if task is None:
            self._answer_unknown(framework, task_id, agent_id)
            return
        if agent_id is not None and agent_id != task.agent_id:
            return
        nanos = kill.get("kill_policy", {}).get("grace_period", {}).get("nanoseconds")
        job = asyncio.create_task(
            self.executor.kill(task, None if nanos is None else int(nanos) / _NANOS)
        )
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    def _acknowledge(self, framework: Framework, ack: dict[str, Any]) -> None:
        try:
            raw = base64.b64decode(ack.get("uuid", ""), validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 16:
            raise CallError(400, "Failed to validate scheduler::Call: 'uuid' is not a valid UUID")
        task = self.tasks.get(framework.id, {}).get(ack["task_id"]["value"])
        if task is None or not task.pending or task.pending[0]["uuid"] != ack["uuid"]:
            return  # a duplicate or unknown ack is dropped silently
        if self.drop_acks > 0:
            self.drop_acks -= 1
            return
        acked = task.pending.popleft()
        if task.retry is not None:
            task.retry.cancel()
            task.retry = None
        task.retry_s = 0.0
        if acked["state"] in TERMINAL:
            del self.tasks[framework.id][task.id]  # forgotten: the id may be used again
        elif task.pending:
            self._forward(task)

    def _reconcile(self, framework: Framework, reconcile: dict[str, Any]) -> None:
        known = self.tasks.get(framework.id, {})
        asked = reconcile.get("tasks", [])
        self.reconciles.append((time.monotonic(), [t["task_id"]["value"] for t in asked]))
        if not asked:
            for task in known.values():
                self._answer(framework, task)
            return
        for entry in asked:
            task_id = entry["task_id"]["value"]
            found = known.get(task_id)
            if found is not None:
                self._answer(framework, found)
            else:
                self._answer_unknown(framework, task_id, entry.get("agent_id", {}).get("value"))

    def _answer(self, framework: Framework, task: Task) -> None:
        self._master_update(
            framework, task.id, task.forwarded_state or "TASK_STAGING",
            "Reconciliation: Latest task state", "REASON_RECONCILIATION", task.agent_id,
        )  # fmt: skip

    def _answer_unknown(self, framework: Framework, task_id: str, agent_id: str | None) -> None:
        """The §5.5 matrix for a task the master does not know."""
        if time.monotonic() < self.recovering_until:
            return  # agents still re-registering after a master failover: no answer
        agent = self.agents.get(agent_id or "")
        state, message = {
            None: ("TASK_UNKNOWN", "Reconciliation: Task is unknown"),
            "active": ("TASK_GONE", "Reconciliation: Task is unknown to the agent"),
            "unreachable": ("TASK_UNREACHABLE", "Reconciliation: Task is unreachable"),
            "gone": ("TASK_GONE_BY_OPERATOR", "Reconciliation: Task is gone"),
        }[agent.state if agent else None]
        if not framework.partition_aware:
            state = "TASK_LOST"
        extra: dict[str, Any] = {}
        if agent is not None and agent.state == "unreachable":  # as `reconcile` case (4)
            extra["unreachable_time"] = agent.unreachable_time
        self._master_update(
            framework, task_id, state, message, "REASON_RECONCILIATION", agent_id, **extra
        )

    # -- status updates ---------------------------------------------------------------------

    def _report(
        self, task: Task, state: str, message: str | None = None, reason: str | None = None
    ) -> None:
        """An executor (or agent) update: reliable, with a uuid, resent until acknowledged."""
        if task.released:
            return
        task.state = state
        if state in TERMINAL:
            task.released = True  # resources are free when the terminal update is generated
        status: dict[str, Any] = {
            "task_id": {"value": task.id}, "state": state, "uuid": new_uuid(),
            "source": "SOURCE_AGENT" if reason else "SOURCE_EXECUTOR",
            "agent_id": {"value": task.agent_id}, "executor_id": {"value": task.id},
            "timestamp": time.time(),
        }  # fmt: skip
        if message is not None:
            status["message"] = message
        if reason is not None:
            status["reason"] = reason
        task.pending.append(status)
        if len(task.pending) == 1:
            self._forward(task)

    def _forward(self, task: Task) -> None:
        """Send the oldest unacknowledged update; resend it until acked (10 s doubling, §4.4)."""
        if task.retry is not None:
            task.retry.cancel()
            task.retry = None
        framework = self.frameworks.get(task.framework_id)
        if not task.pending or framework is None or framework.connection is None:
            return  # buffered; resent on re-subscription
        if self.agents[task.agent_id].state != "active":
            return  # buffered at the agent; sent when it re-registers
        head = task.pending[0]
        task.forwarded_state = head["state"]
        framework.connection.events.put_nowait({"type": "UPDATE", "update": {"status": head}})
        s = self.settings
        task.retry_s = (
            min(s.update_retry_max_s, task.retry_s * 2) if task.retry_s else s.update_retry_s
        )
        task.retry = asyncio.get_running_loop().call_later(task.retry_s, self._forward, task)

    def _master_update(self, framework: Framework, task_id: str, state: str, message: str,
                       reason: str, agent_id: str | None = None, **extra: Any) -> None:  # fmt: skip
        """A master-generated update: no uuid, never resent, not to be acknowledged."""
        status: dict[str, Any] = {
            "task_id": {"value": task_id}, "state": state, "message": message, "reason": reason,
            "source": "SOURCE_MASTER", "timestamp": time.time(), **extra,
        }  # fmt: skip
        if agent_id is not None:
            status["agent_id"] = {"value": agent_id}
        if framework.connection is not None:
            framework.connection.events.put_nowait({"type": "UPDATE", "update": {"status": status}})

    # -- allocation -------------------------------------------------------------------------

    async def _allocate_periodically(self) -> None:
        while True:
            self.allocate()
            await asyncio.sleep(self.settings.allocation_interval_s)

    def allocate(self) -> None:
        """One allocation round: each active agent's free resources to each wanting role."""
        used: dict[str, Resources] = {}
        for task in self.all_tasks():
            if not task.released:
                used[task.agent_id] = add(used.get(task.agent_id, {}), task.resources)
        for offer in self.offers.values():
            used[offer.agent_id] = add(used.get(offer.agent_id, {}), offer.resources)
        now = time.monotonic()
        for framework in self.frameworks.values():
            if framework.connection is None:
                continue
            framework.filters = [f for f in framework.filters if f.expires_at > now]
            made = []
            for role in framework.roles:
                if role in framework.suppressed:
                    continue
                for agent in self.agents.values():
                    free = {
                        k: max(0.0, v) for k, v in sub(agent.total, used.get(agent.id, {})).items()
                    }
                    if not any(free.get(k, 0.0) >= v for k, v in _MIN_OFFER.items()):
                        continue
                    if any(f.role == role and f.agent_id == agent.id and contains(f.resources, free)
                           for f in framework.filters):  # fmt: skip
                        continue
                    if agent.state != "active" or not self._offered_to(framework, agent):
                        continue
                    offer = Offer(
                        f"{self.master_id}-O{self._offers_made}", framework.id, agent.id, role, free
                    )
                    self._offers_made += 1
                    self.offers[offer.id] = offer
                    used[agent.id] = add(used.get(agent.id, {}), free)
                    made.append(self._offer_json(framework, offer, agent))
            if made:
                framework.connection.events.put_nowait(
                    {"type": "OFFERS", "offers": {"offers": made}}
                )

    def _offer_json(self, framework: Framework, offer: Offer, agent: Agent) -> dict[str, Any]:
        allocation = (
            {"allocation_info": {"role": offer.role}} if framework.capable("MULTI_ROLE") else {}
        )
        whole = sorted(key for key in offer.resources if key.startswith(WHOLE))
        resources: list[dict[str, Any]] = [
            {
                "name": "disk" if key in whole else key,
                "type": "SCALAR",
                "scalar": {"value": offer.resources[key]},
                "role": "*",
                **({"disk": disk_info(key)} if key in whole else {}),
                **allocation,
            }
            for key in (*SCALARS, "gpus", *whole)
            if offer.resources.get(key, 0.0) > 0
        ]
        resources.append({"name": "ports", "type": "RANGES", "role": "*", **allocation,
                          "ranges": {"range": [{"begin": PORTS[0], "end": PORTS[1]}]}})  # fmt: skip
        return {
            "id": {"value": offer.id}, "framework_id": {"value": framework.id},
            "agent_id": {"value": agent.id}, "hostname": agent.hostname,
            "url": {"scheme": "http", "address": {"hostname": agent.hostname, "ip": "127.0.0.1",
                    "port": agent.port}, "path": "/slave(1)"},
            "resources": resources, "attributes": agent.attributes, **allocation,
            **({"domain": agent.domain} if agent.domain else {}),
        }  # fmt: skip

    def _discard_offers(self, framework: Framework, *, rescind: bool) -> None:
        for offer in [o for o in self.offers.values() if o.framework_id == framework.id]:
            del self.offers[offer.id]
            if rescind and framework.connection is not None:
                framework.connection.events.put_nowait(
                    {"type": "RESCIND", "rescind": {"offer_id": {"value": offer.id}}}
                )

    # -- failures (test controls) -----------------------------------------------------------

    def remove_agent(self, agent_id: str, *, gone: bool = False, cut_off: bool = False) -> None:
        """Partition (or, `gone`, remove for good) an agent: its tasks are reported lost (§8.7).

        The tasks' processes are killed, unless the agent is only `cut_off`: then they run on,
        unknown to the master, until `restore_agent` brings the agent back.
        """
        agent = self.agents[agent_id]
        agent.state = "gone" if gone else "unreachable"
        agent.unreachable_time = {"nanoseconds": int(time.time() * _NANOS)}
        for offer in [o for o in self.offers.values() if o.agent_id == agent_id]:
            del self.offers[offer.id]
            framework = self.frameworks.get(offer.framework_id)
            if framework is not None and framework.connection is not None:
                framework.connection.events.put_nowait(
                    {"type": "RESCIND", "rescind": {"offer_id": {"value": offer.id}}}
                )
        for task in [t for t in self.all_tasks() if t.agent_id == agent_id]:
            del self.tasks[task.framework_id][task.id]
            if cut_off and not gone:
                self._cut_off.setdefault(agent_id, []).append(task)
                if task.retry is not None:
                    task.retry.cancel()
            else:
                self._drop(task)
            framework = self.frameworks.get(task.framework_id)
            if framework is None or task.state in TERMINAL:
                continue
            if not gone:  # kept apart: not in reconciliation without its agent, id not reusable
                framework.unreachable_tasks.add(task.id)
            if gone:
                state, reason, extra = (
                    "TASK_GONE_BY_OPERATOR",
                    "REASON_AGENT_REMOVED_BY_OPERATOR",
                    {},
                )
            else:
                state, reason = "TASK_UNREACHABLE", "REASON_AGENT_REMOVED"
                extra = {"unreachable_time": agent.unreachable_time}
            if not framework.partition_aware:
                state = "TASK_LOST"
            self._master_update(
                framework, task.id, state, "Agent removed", reason, agent_id, **extra
            )
        for framework in self.frameworks.values():
            if framework.connection is not None:
                framework.connection.events.put_nowait(
                    {"type": "FAILURE", "failure": {"agent_id": {"value": agent_id}}}
                )
        logger.info("agent %s %s", agent_id, agent.state)

    def restore_agent(self, agent_id: str) -> None:
        """A cut-off agent re-registers: its tasks are known again and keep running (Mesos
        1.5+, `__reregisterSlave`), each reported in its state by the master, then their
        unacknowledged updates are sent."""
        self.agents[agent_id].state = "active"
        for task in self._cut_off.pop(agent_id, []):
            framework = self.frameworks.get(task.framework_id)
            if framework is None:
                self._drop(task)
                continue
            framework.unreachable_tasks.discard(task.id)
            self.tasks.setdefault(framework.id, {})[task.id] = task
            self._master_update(
                framework, task.id, task.state, "Unreachable agent re-reregistered",
                "REASON_AGENT_REREGISTERED", agent_id,
            )  # fmt: skip
            self._forward(task)
        logger.info("agent %s re-registered", agent_id)

    def failover(self, recovering_s: float = 0.0) -> None:
        """A new leading master: streams end; frameworks, offers and filters are forgotten."""
        for framework in self.frameworks.values():
            if framework.failover is not None:
                framework.failover.cancel()
            if framework.connection is not None:
                framework.connection.close()
        self.frameworks.clear()
        self.removed.clear()
        self.offers.clear()
        for task in self.all_tasks():
            if task.retry is not None:
                task.retry.cancel()
                task.retry = None
        self.master_id = str(uuid.uuid4())
        self.recovering_until = time.monotonic() + recovering_s
        logger.info("master failover: new master %s", self.master_id)

    def _drop(self, task: Task) -> None:
        if task.retry is not None:
            task.retry.cancel()
        task.pending.clear()
        self.executor.abandon(task)


def _invalid_container(container: dict[str, Any] | None) -> str | None:
    """What `common::validation::validateContainerInfo` refuses (mesos-protocol.md §3.4)."""
    if container is None:
        return None
    for volume in container.get("volumes", []):
        if sum(key in volume for key in ("host_path", "image", "source")) != 1:
            return (
                "Invalid volume: Only one of them should be set: 'host_path', 'image' and 'source'"
            )
    if container.get("type") == "DOCKER":
        if "docker" not in container:
            return "DockerInfo 'docker' is not set for DOCKER typed ContainerInfo"
        if any(p.get("key") == "name" for p in container["docker"].get("parameters", [])):
            return "Parameter in DockerInfo must not be 'name'"
    return None


def _scalars(resources: list[dict[str, Any]]) -> Resources:
    wanted: Resources = {}
    for resource in resources:
        if resource.get("type") == "SCALAR":
            amount = float(resource.get("scalar", {}).get("value", 0.0))
            wanted = add(wanted, {resource_key(resource): amount})
    return wanted
