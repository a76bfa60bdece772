"""The launcher interface: what the run actors ask of whatever runs their tasks."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from metronome.errors import MetronomeError
from metronome.launch._output import OutputUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from metronome.launch._output import OutputChunk, OutputStream
    from metronome.model import RunSpec, TaskStatus


class LaunchError(MetronomeError):
    """The launcher cannot carry out a request (e.g. it was used before `start`)."""


class TaskSetupError(LaunchError):
    """A task cannot start; the message says why and becomes its TASK_FAILED message."""


@dataclass(frozen=True, slots=True)
class TaskUpdate:
    """One status change of a task; `timestamp` is UTC-aware."""

    task_id: str
    status: TaskStatus
    timestamp: datetime
    message: str | None = None
    exit_code: int | None = None


@dataclass(frozen=True, slots=True)
class HostResources:
    """Resources of a host or demanded by a task; `mem` and `disk` in MB."""

    cpus: float
    mem: float
    disk: float


class UpdateCallback(Protocol):
    """Receives task updates, always on the event loop thread."""

    def __call__(self, update: TaskUpdate, /) -> None: ...


class Launcher(abc.ABC):
    """Runs tasks and reports their status.

    A task's updates are: TASK_STAGING once it is placed, TASK_RUNNING once its process runs, then
    exactly one final status (TASK_FINISHED, TASK_FAILED or TASK_KILLED).
    """

    @property
    @abc.abstractmethod
    def identity(self) -> str:
        """Who holds the tasks this launcher starts, recorded with each task before it starts.
        Launchers of one identity reach the same tasks (adopt, reconcile, kill them); a task of
        another identity is out of reach, so it is never launched or reconciled here. Valid
        once `start` has returned."""

    @property
    @abc.abstractmethod
    def host(self) -> str:
        """The host this instance launches from, recorded beside `identity` for operators."""

    @abc.abstractmethod
    async def start(self, on_update: UpdateCallback) -> None:
        """Begin; from now on updates are delivered by calling `on_update` on the loop thread."""

    @abc.abstractmethod
    def launch(self, task_id: str, spec: RunSpec) -> None:
        """Queue a task for launch. MUST NOT block; MAY be called from any thread.

        Launching an id the launcher already knows (live, or recorded by an earlier instance) does
        not start it again: the launcher answers as `reconcile` would.
        """

    @abc.abstractmethod
    def kill(self, task_id: str) -> None:
        """Kill a task (queued or running); it ends TASK_KILLED. MAY be called from any thread."""

    @abc.abstractmethod
    def reconcile(self, task_ids: Iterable[str]) -> None:
        """Report, for each id, its current or recorded final status; TASK_LOST if unknown.

        MAY be called from any thread. A task still running that an earlier launcher started is
        adopted: it is watched to its end, never started again.
        """

    @abc.abstractmethod
    def queued(self) -> list[str]:
        """Ids of tasks waiting for placement, oldest first. MAY be called from any thread."""

    async def read_output(
        self, task_id: str, stream: OutputStream, offset: int, length: int
    ) -> OutputChunk:
        """At most `length` bytes of a task's `stream` from `offset` (past the end: no data),
        while the launcher still has them (a task's sandbox outlives the task for a while).

        Raises:
            OutputUnavailable: the output cannot be read; the message says why.
        """
        raise OutputUnavailable(f"Task '{task_id}': this launcher keeps no output")

    def why_queued(self, task_id: str) -> str | None:
        """Why a task waiting for placement is not placed yet (the constraint or resource that
        does not fit); None if it is not queued here. Call on the event loop."""
        return None

    def problem(self) -> dict[str, str] | None:
        """What keeps this launcher from launching (a cluster manager's refusal), for `/info`;
        None while all is well."""
        return None

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop watching. Running tasks MUST NOT be killed: they outlive the server."""
