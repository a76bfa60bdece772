"""What the Mesos launcher is configured with, and where it keeps its framework id."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path


class ContainerKind(StrEnum):
    """How a run with `docker.image` is containerized: by Docker or by Mesos (UCR)."""

    DOCKER = "DOCKER"
    MESOS = "MESOS"


@dataclass(frozen=True, slots=True)
class MesosSettings:
    """The Mesos launcher's settings (Metronome's `--master`, `--mesos_*`, `--framework_*`).

    `master` is `http://host:5050` (or a comma-separated list of masters) or `zk://host:2181/mesos`.
    Durations in seconds; defaults are Metronome's and Marathon's (mesos-protocol.md §0.1 [Met]).
    """

    master: str
    framework_name: str = "metronome"
    role: str = "*"
    user: str = field(default_factory=getpass.getuser)
    principal: str | None = None
    secret_file: Path | None = None
    """Holds the principal's secret; calls then carry HTTP Basic credentials."""
    failover_timeout_s: float = 604800.0
    webui_url: str | None = None
    hostname: str | None = None
    checkpoint: bool = True
    container_kind: ContainerKind = ContainerKind.DOCKER
    decline_offer_s: float = 120.0
    """How long declined resources are refused once nothing waits; the longest filter."""
    decline_first_s: float = 5.0
    """The filter of resources that tasks waiting for an offer did not fit; it doubles (up to
    `decline_offer_s`) each round they still wait, and starts again when demand grows."""
    revive_interval_s: float = 5.0
    """Least time between two REVIVE calls (Marathon's `min_revive_offers_interval`)."""
    reconcile_interval_s: float = 900.0
    reconcile_retry_s: float = 10.0
    """How long an explicit reconciliation waits for answers before it asks again; the wait
    doubles with each unanswered retry, up to `reconcile_retry_max_s`."""
    reconcile_retry_max_s: float = 300.0
    heartbeat_misses: int = 5
    """Reconnect after this many heartbeat intervals without any event (§5.3)."""
    backoff_max_s: float = 15.0
    failed_over_wait_s: float = 60.0
    """After "Framework failed over" (another instance took the framework), wait this long
    (doubling on each repeat, up to 10 min) before subscribing again."""
    call_timeout_s: float = 75.0
    ca_file: Path | None = None
    """CA certificates (PEM) to verify https masters by (else the system's); a zk:// master
    given one is spoken to over https."""


class FrameworkIdStore(Protocol):
    """Persists the framework id, so a restarted (or newly elected) scheduler fails over to it.

    Calls block (they may write to disk); the launcher makes them from a worker thread.
    """

    def get(self) -> str | None: ...

    def set(self, framework_id: str | None) -> None:
        """Record the id; None forgets it (the master removed the framework)."""


class MemoryFrameworkIdStore:
    """A FrameworkIdStore that lives as long as the object: tests, and runs without a store."""

    def __init__(self, framework_id: str | None = None) -> None:
        self.framework_id = framework_id

    def get(self) -> str | None:
        return self.framework_id

    def set(self, framework_id: str | None) -> None:
        self.framework_id = framework_id
