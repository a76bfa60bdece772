"""What the handlers need from the rest of the process, in one typed app key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pykka
from aiohttp import web

from metronome.actors import reply
from metronome.errors import JobNotFound

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from metronome.actors import JobActorProxy, JobEntry, JobSupervisorProxy, JobView
    from metronome.config import Settings
    from metronome.metrics import MetricsRegistry
    from metronome.model import JobId, RunId


@dataclass(frozen=True)
class Services:
    settings: Settings
    view: JobView
    supervisor: JobSupervisorProxy
    metrics: MetricsRegistry
    clock: Callable[[], datetime]
    queued_runs: Callable[[], Iterable[tuple[JobId, RunId]]]

    def entry(self, job_id: str) -> JobEntry:
        """The job's published entry.

        Raises:
            JobNotFound: no such job.
        """
        entry = self.view.get(job_id)
        if entry is None:
            raise JobNotFound(job_id)
        return entry

    async def ask(self, future: pykka.Future[Any]) -> Any:
        """An actor's reply, awaited without blocking the loop."""
        return await reply(future, self.settings.ask_timeout_s)

    async def ask_job(self, job_id: str, call: Callable[[JobActorProxy], pykka.Future[Any]]) -> Any:
        """`call` on the job's actor; a job deleted meanwhile (its actor gone) reads as a 404.

        Raises:
            JobNotFound: no such job.
        """
        try:
            return await self.ask(call(self.entry(job_id).actor))
        except pykka.ActorDeadError as exc:
            raise JobNotFound(job_id) from exc


SERVICES = web.AppKey("services", Services)
