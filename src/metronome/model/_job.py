"""The job spec: what to run, where, and when."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metronome.model._ids import JobId, ScheduleId


DEPENDENCIES_AND_SCHEDULES = "Jobs may not have both dependencies and schedules specified"
"""Metronome's words for a job that would both wait for parents and follow a clock (§2.6)."""


class ConstraintOperator(StrEnum):
    """Placement operators; `EQ` is read as `IS`, as current Metronome does."""

    IS = "IS"
    LIKE = "LIKE"
    UNLIKE = "UNLIKE"


class VolumeMode(StrEnum):
    RO = "RO"
    RW = "RW"


class RestartPolicy(StrEnum):
    NEVER = "NEVER"
    ON_FAILURE = "ON_FAILURE"


class ConcurrencyPolicy(StrEnum):
    """What a scheduled trigger does while a run of the job is active."""

    ALLOW = "ALLOW"
    FORBID = "FORBID"
    REPLACE = "REPLACE"


class CatchUpPolicy(StrEnum):
    """`catchUp`: which instants a schedule missed while no scheduler ran are run late (only
    those still inside `startingDeadlineSeconds`); the others are counted as missed."""

    NONE = "NONE"
    LATEST = "LATEST"
    """The newest one only: Metronome's behaviour, and the default."""
    ALL = "ALL"
    """Each of them, oldest first, at most `CATCH_UP_ALL_LIMIT` (the newest)."""


CATCH_UP_ALL_LIMIT = 100
"""Most instants of one schedule that `catchUp: ALL` runs late after one outage: bounds the
burst a long outage of a seconds schedule would launch at once."""


@dataclass(frozen=True, slots=True)
class Constraint:
    attribute: str
    operator: ConstraintOperator
    value: str | None = None


@dataclass(frozen=True, slots=True)
class Artifact:
    uri: str
    extract: bool = True
    executable: bool = False
    cache: bool = False


@dataclass(frozen=True, slots=True)
class DockerParameter:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Docker:
    image: str
    force_pull_image: bool = False
    privileged: bool = False
    parameters: tuple[DockerParameter, ...] = ()


@dataclass(frozen=True, slots=True)
class Volume:
    container_path: str
    host_path: str
    mode: VolumeMode


@dataclass(frozen=True, slots=True)
class Restart:
    policy: RestartPolicy = RestartPolicy.NEVER
    active_deadline_s: int | None = None


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What one run of a job executes. Resources are in Metronome's units (MB for mem, disk)."""

    cpus: float
    mem: float
    disk: float
    cmd: str | None = None
    args: tuple[str, ...] | None = None
    user: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    constraints: tuple[Constraint, ...] = ()
    artifacts: tuple[Artifact, ...] = ()
    max_launch_delay_s: int = 3600
    docker: Docker | None = None
    volumes: tuple[Volume, ...] = ()
    restart: Restart = field(default_factory=Restart)
    task_kill_grace_period_s: float | None = None
    timeout_s: int | None = None
    """`timeoutSeconds`: a task running longer is killed and its run ends FAILED."""


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A cron schedule of a job, evaluated in its IANA time zone."""

    id: ScheduleId
    cron: str
    timezone: str = "UTC"
    starting_deadline_s: int = 900
    concurrency_policy: ConcurrencyPolicy = ConcurrencyPolicy.ALLOW
    enabled: bool = True
    catch_up: CatchUpPolicy | None = None
    """`catchUp`; None (not given) acts as LATEST and is not rendered, as before the field."""


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job: its identity, metadata, run spec and schedules.

    Instances are immutable: they are shared between the actor that owns the job, the read view
    the API serves from, and the store codec.
    """

    id: JobId
    run: RunSpec
    description: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    schedules: tuple[ScheduleSpec, ...] = ()
    dependencies: tuple[JobId, ...] = ()
    """Parent jobs: this job runs once each has succeeded since it last did (behavior §3.6)."""
    pause_after_failures: int | None = None
    """`pauseAfterFailures`: pause the job when this many runs in a row have failed."""

    def schedule(self, schedule_id: str) -> ScheduleSpec | None:
        """The schedule with that id, if the job has one."""
        return next((s for s in self.schedules if s.id == schedule_id), None)

    def manual_concurrency_policy(self) -> ConcurrencyPolicy:
        """The policy a manual run asked to respect it obeys: the strictest of the schedules'
        (FORBID, then REPLACE); ALLOW for a job without schedules."""
        policies = {s.concurrency_policy for s in self.schedules}
        for strictest in (ConcurrencyPolicy.FORBID, ConcurrencyPolicy.REPLACE):
            if strictest in policies:
                return strictest
        return ConcurrencyPolicy.ALLOW

    def with_schedules(self, schedules: tuple[ScheduleSpec, ...]) -> JobSpec:
        return dataclasses.replace(self, schedules=schedules)
