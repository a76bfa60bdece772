"""What the handlers need from the rest of the process, in typed app keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pykka
from aiohttp import web

from metronome.actors import reply
from metronome.errors import JobNotFound, Unavailable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from metronome.actors import JobActorProxy, JobEntry, JobSupervisorProxy, JobView
    from metronome.config import Settings
    from metronome.ha import Leadership
    from metronome.jobwatch import TriggerLateness
    from metronome.launch import Launcher
    from metronome.metrics import MetricsRegistry
    from metronome.model import JobId, RunId


@dataclass(frozen=True)
class Services:
    """The job service of one leadership term."""

    settings: Settings
    view: JobView
    supervisor: JobSupervisorProxy
    metrics: MetricsRegistry
    clock: Callable[[], datetime]
    queued_runs: Callable[[], Iterable[tuple[JobId, RunId]]]
    launcher: Launcher
    lateness: TriggerLateness

    def entry(self, job_id: str) -> JobEntry:
        """The job's published entry.

        Raises:
            JobNotFound: no such job.
            Unavailable: the job exists but was withdrawn after failures (the message says why).
        """
        entry = self.view.get(job_id)
        if entry is None:
            self._raise_if_failed(job_id)
            raise JobNotFound(job_id)
        return entry

    async def ask(self, future: pykka.Future[Any]) -> Any:
        """An actor's reply, awaited without blocking the loop."""
        return await reply(future, self.settings.ask_timeout_s)

    async def ask_job(self, job_id: str, call: Callable[[JobActorProxy], pykka.Future[Any]]) -> Any:
        """`call` on the job's actor; a job deleted meanwhile (its actor gone) reads as a 404.

        Raises:
            JobNotFound: no such job.
            Unavailable: the job's actor failed and is being restarted (the message says why).
        """
        try:
            return await self.ask(call(self.entry(job_id).actor))
        except pykka.ActorDeadError as exc:
            self._raise_if_failed(job_id)
            raise JobNotFound(job_id) from exc

    def _raise_if_failed(self, job_id: str) -> None:
        failure = self.view.failure(job_id)
        if failure is not None:
            msg = f"Job '{job_id}' is unavailable: {failure}"
            raise Unavailable(msg)


@dataclass(frozen=True)
class Instance:
    """What this process is, whether or not it leads."""

    settings: Settings
    metrics: MetricsRegistry
    leadership: Leadership


INSTANCE = web.AppKey("instance", Instance)


class ServiceSlot:
    """Holds the job service while this instance leads; empty otherwise."""

    def __init__(self) -> None:
        self.current: Services | None = None


SERVICE_SLOT = web.AppKey("service_slot", ServiceSlot)


def job_service(request: web.Request) -> Services:
    """The job service, for handlers that only run on the leader.

    Raises:
        Unavailable: this instance leads but its job service is not (or no longer) running.
    """
    current = request.app[SERVICE_SLOT].current
    if current is None:
        msg = "The job service is starting or stopping on this instance; retry shortly"
        raise Unavailable(msg)
    return current
