"""The supervisor: loads every job at start, creates job actors, and forgets deleted ones."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, cast

import pykka
from pykka.typing import ActorMemberMixin, proxy_method

from metronome.actors._job import JobActor, JobActorProxy, JobEntry
from metronome.actors._runtime import PooledActor
from metronome.errors import Conflict

if TYPE_CHECKING:
    from metronome.actors._runtime import ActorPool
    from metronome.actors._view import JobView
    from metronome.model import JobId, JobSpec
    from metronome.storage import JobSpecRepository

logger = logging.getLogger(__name__)


class JobSupervisor(PooledActor):
    """Parent of all job actors; the only place that knows which job ids exist or are in flight."""

    def __init__(self, pool: ActorPool, *, repository: JobSpecRepository, view: JobView) -> None:
        super().__init__(pool)
        self._repository = repository
        self._view = view
        self._jobs: dict[JobId, pykka.ActorRef[JobActor]] = {}

    def on_start(self) -> None:
        started = time.monotonic()
        self._self_proxy = cast("JobSupervisorProxy", self.actor_ref.proxy())
        for spec in self._repository.load_all():
            ref = self._spawn(spec)
            self._view.publish(JobEntry(spec, ref))
        logger.info("Loaded %d jobs in %.2f s", len(self._jobs), time.monotonic() - started)

    def on_stop(self) -> None:
        for ref in self._jobs.values():
            ref.stop(block=False)

    def create_job(self, spec: JobSpec) -> pykka.Future[JobSpec]:
        """Start the job's actor and hand it the creation; the reply is the child's future."""
        if spec.id in self._jobs:
            msg = "Job with this id already exists"
            raise Conflict(msg)
        return cast("JobActorProxy", self._spawn(spec).proxy()).create()

    def forget(self, job_id: JobId) -> None:
        """Told by a job actor that is going away (deleted, or failed to persist its creation)."""
        self._jobs.pop(job_id, None)

    def job_count(self) -> int:
        return len(self._jobs)

    def _spawn(self, spec: JobSpec) -> pykka.ActorRef[JobActor]:
        ref = JobActor.start(
            self._pool,
            spec,
            repository=self._repository,
            view=self._view,
            supervisor=self._self_proxy,
        )
        self._jobs[spec.id] = ref
        return ref


class JobSupervisorProxy(ActorMemberMixin, pykka.ActorProxy[JobSupervisor]):
    create_job = proxy_method(JobSupervisor.create_job)
    forget = proxy_method(JobSupervisor.forget)
    job_count = proxy_method(JobSupervisor.job_count)


__all__ = ["JobSupervisor", "JobSupervisorProxy"]
