"""The fake cluster's records: agents, frameworks, offers, filters, tasks; and scalar resources."""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Resources = dict[str, float]  # scalar resources by name: cpus, mem (MB), disk (MB)
SCALARS = ("cpus", "mem", "disk")
PORTS = (31000, 32000)

TERMINAL = frozenset(
    {"TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED",
     "TASK_GONE", "TASK_GONE_BY_OPERATOR"}
)  # fmt: skip


def add(a: Resources, b: Resources) -> Resources:
    return {k: round(a.get(k, 0.0) + b.get(k, 0.0), 3) for k in {*a, *b}}


def sub(a: Resources, b: Resources) -> Resources:
    return {k: round(a.get(k, 0.0) - b.get(k, 0.0), 3) for k in {*a, *b}}


def contains(a: Resources, b: Resources) -> bool:
    return all(a.get(k, 0.0) + 1e-9 >= v for k, v in b.items())


WHOLE = "disk@"
"""Key prefix of a disk that cannot be split: `disk@MOUNT:<root>` or `disk@VOLUME:<id>`."""


def resource_key(resource: dict[str, Any]) -> str:
    """Where a scalar resource counts: its name, or for a MOUNT disk or a persistent volume, a
    key of its own (taking part of it is taking something not offered)."""
    disk = resource.get("disk") or {}
    if "persistence" in disk:
        return f"{WHOLE}VOLUME:{disk['persistence'].get('id', '')}"
    if disk.get("source", {}).get("type") == "MOUNT":
        return f"{WHOLE}MOUNT:{disk['source'].get('mount', {}).get('root', '')}"
    return str(resource["name"])


def domain_info(region: str, zone: str | None) -> dict[str, Any]:
    """A DomainInfo (mesos.proto) of a region and zone."""
    fault: dict[str, Any] = {"region": {"name": region}}
    fault["zone"] = {"name": zone or f"{region}-a"}  # both are required in a FaultDomain
    return {"fault_domain": fault}


def disk_info(key: str) -> dict[str, Any]:
    """The `disk` field of an offered MOUNT disk or persistent volume."""
    kind, _, name = key.removeprefix(WHOLE).partition(":")
    if kind == "MOUNT":
        return {"source": {"type": "MOUNT", "mount": {"root": name}}}
    return {"persistence": {"id": name}, "volume": {"container_path": name, "mode": "RW"}}


def new_uuid() -> str:
    """A status update uuid as it travels in JSON: base64 of 16 bytes."""
    return base64.b64encode(uuid.uuid4().bytes).decode()


@dataclass(frozen=True)
class Settings:
    """Timing knobs (mesos-protocol.md §8.8) and where agents keep task sandboxes."""

    sandbox_root: Path
    heartbeat_interval_s: float = 15.0
    allocation_interval_s: float = 1.0
    update_retry_s: float = 10.0
    update_retry_max_s: float = 600.0
    kill_grace_s: float = 3.0
    run_containers_on_host: bool = False
    """Run tasks with a container image on the host instead of failing them (no runtime here)."""
    launch_delay_s: float = 0.0
    region: str | None = None
    """The master's fault-domain region: agents of other regions are remote (offered only to
    REGION_AWARE frameworks)."""
    """Time between ACCEPT and the executor's first update, so kills during launch can be tested."""


@dataclass(eq=False)
class Agent:
    id: str
    hostname: str
    total: Resources
    attributes: list[dict[str, Any]]
    port: int
    state: str = "active"  # active | unreachable | gone
    unreachable_time: dict[str, int] | None = None  # TimeInfo: when it was last cut off
    domain: dict[str, Any] | None = None  # DomainInfo: its fault domain's region and zone

    @property
    def region(self) -> str | None:
        return None if self.domain is None else self.domain["fault_domain"]["region"]["name"]


@dataclass(eq=False)
class Task:
    id: str
    framework_id: str
    agent_id: str
    info: dict[str, Any]
    resources: Resources
    sandbox: Path
    state: str = "TASK_STAGING"  # the latest state the executor reported
    forwarded_state: str | None = None  # the state of the latest update sent to the framework
    released: bool = False  # a terminal update was generated: its resources are free
    pending: deque[dict[str, Any]] = field(default_factory=deque)  # uuid updates awaiting ack
    retry: asyncio.TimerHandle | None = None
    retry_s: float = 0.0
    process: asyncio.subprocess.Process | None = None
    runner: asyncio.Task[None] | None = None
    kill_grace_s: float | None = None
    killing: bool = False


@dataclass(eq=False)
class Offer:
    id: str
    framework_id: str
    agent_id: str
    role: str
    resources: Resources
    created_at: float = field(default_factory=time.monotonic)


@dataclass(eq=False)
class Filter:
    role: str
    agent_id: str
    resources: Resources
    expires_at: float


@dataclass(eq=False)
class Connection:
    """One SUBSCRIBE stream: events queued for it, and a flag that ends it."""

    stream_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    events: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    muted: bool = False  # writes nothing at all, as a half-open connection would (fault knob)

    def close(self, error: str | None = None) -> None:
        if error is not None:
            self.events.put_nowait({"type": "ERROR", "error": {"message": error}})
        self.closed.set()


@dataclass(eq=False)
class Framework:
    id: str
    info: dict[str, Any]
    connection: Connection | None = None
    suppressed: set[str] = field(default_factory=set)
    filters: list[Filter] = field(default_factory=list)
    failover: asyncio.TimerHandle | None = None
    unreachable_tasks: set[str] = field(default_factory=set)  # ids on agents marked unreachable

    @property
    def roles(self) -> list[str]:
        return list(self.info.get("roles") or [self.info.get("role", "*")])

    def capable(self, capability: str) -> bool:
        return any(c.get("type") == capability for c in self.info.get("capabilities", []))

    @property
    def partition_aware(self) -> bool:
        return self.capable("PARTITION_AWARE")
