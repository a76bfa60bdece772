"""The supervisor: loads every job at start, creates job actors, and forgets deleted ones."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING, cast

import pykka
from pykka.typing import ActorMemberMixin, proxy_method

from metronome.actors._dependencies import ParentFinished
from metronome.actors._job import CreateJob, JobActor
from metronome.actors._runtime import PooledActor
from metronome.actors._view import JobEntry
from metronome.errors import Conflict

if TYPE_CHECKING:
    from metronome.actors._context import ActorContext
    from metronome.model import JobHistory, JobId, JobRun, JobSpec

logger = logging.getLogger(__name__)


class JobSupervisor(PooledActor):
    """Parent of all job actors; the only place that knows which job ids exist or are in flight."""

    def __init__(self, context: ActorContext) -> None:
        super().__init__(context.pool)
        self._context = context
        self._jobs: dict[JobId, pykka.ActorRef[JobActor]] = {}

    def on_start(self) -> None:
        """Load every job, its active runs and its history; publish them before answering."""
        started = time.monotonic()
        self._self_proxy = cast("JobSupervisorProxy", self.actor_ref.proxy())
        context = self._context
        runs: dict[JobId, list[JobRun]] = defaultdict(list)
        for run in context.runs.load_all():
            runs[run.job_id].append(run)
        histories: dict[JobId, JobHistory] = {h.job_id: h for h in context.histories.load_all()}
        specs = context.specs.load_all()
        context.dependencies.load(specs)
        for spec in specs:
            job_runs = tuple(runs.pop(spec.id, ()))
            history = histories.get(spec.id)
            ref = self._spawn(spec, runs=job_runs, history=history, loaded=True)
            context.view.publish(JobEntry(spec, ref, job_runs, history))
        for spec in specs:  # now that every parent's history is published
            if spec.dependencies:
                self._jobs[spec.id].tell(ParentFinished())
        for job_id, orphans in runs.items():
            logger.warning("Ignoring %d stored runs of unknown job %s", len(orphans), job_id)
        logger.info("Loaded %d jobs in %.2f s", len(self._jobs), time.monotonic() - started)

    def shutdown(self) -> None:
        """Stop every job actor, then this one (their mail is drained by the pool)."""
        for ref in self._jobs.values():
            ref.stop(block=False)
        self._jobs.clear()
        self.stop()

    def create_job(self, spec: JobSpec) -> pykka.Future[JobSpec]:
        """Start the job's actor and hand it the creation; the reply is the child's future.

        Raises:
            Conflict: a job with that id exists or is being created.
        """
        self._context.dependencies.check(spec, new=True)  # first, as Metronome does
        if spec.id in self._jobs:
            msg = "Job with this id already exists"
            raise Conflict(msg)
        return self._spawn(spec).ask(CreateJob(), block=False)

    def forget(self, job_id: JobId) -> None:
        """Told by a job actor that is going away (deleted, or failed to persist its creation)."""
        self._jobs.pop(job_id, None)

    def job_count(self) -> int:
        return len(self._jobs)

    def _spawn(
        self,
        spec: JobSpec,
        *,
        runs: tuple[JobRun, ...] = (),
        history: JobHistory | None = None,
        loaded: bool = False,
    ) -> pykka.ActorRef[JobActor]:
        ref = JobActor.start(
            self._context,
            spec,
            supervisor=self._self_proxy,
            runs=runs,
            history=history,
            loaded=loaded,
        )
        self._jobs[spec.id] = ref
        return ref


class JobSupervisorProxy(ActorMemberMixin, pykka.ActorProxy[JobSupervisor]):
    shutdown = proxy_method(JobSupervisor.shutdown)
    create_job = proxy_method(JobSupervisor.create_job)
    forget = proxy_method(JobSupervisor.forget)
    job_count = proxy_method(JobSupervisor.job_count)


__all__ = ["JobSupervisor", "JobSupervisorProxy"]
