"""The supervisor: loads every job at start, creates job actors, and forgets deleted ones."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import pykka
from pykka.typing import ActorMemberMixin, proxy_method

from metronome.actors._dependencies import ParentFinished
from metronome.actors._job import CreateJob, JobActor
from metronome.actors._runtime import PooledActor
from metronome.actors._supervision import RestartCounter, tell_later
from metronome.actors._view import JobEntry
from metronome.errors import Conflict, Unavailable
from metronome.storage import StorageError

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
        self._restarts: dict[JobId, RestartCounter] = {}

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
            context.view.publish_loaded(JobEntry(spec, ref, job_runs, history))
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
            failure = self._context.view.failure(spec.id)
            if failure is not None:  # it exists, but cannot be served: say why, as for a GET
                msg = f"Job '{spec.id}' is unavailable: {failure}"
                raise Unavailable(msg)
            msg = "Job with this id already exists"
            raise Conflict(msg)
        return self._spawn(spec).ask(CreateJob(), block=False)

    def forget(self, job_id: JobId) -> None:
        """Told by a job actor that is going away (deleted, or failed to persist its creation)."""
        self._jobs.pop(job_id, None)
        self._restarts.pop(job_id, None)

    def job_failed(self, job_id: JobId, cause: str) -> None:
        """Told by a job actor that died: restart it from the store after a back-off; withdraw
        a job that keeps failing (actors/_supervision.py). Its id stays taken meanwhile."""
        if job_id not in self._jobs:
            return
        restarts = self._restarts.setdefault(job_id, RestartCounter())
        restarts.record()
        delay_s = restarts.delay_s()
        if restarts.exhausted:
            self._withdraw(job_id, f"it failed {restarts.recent} times in a row, last: {cause}")
        else:
            logger.warning("Job %s failed (%s); restarting it in %.0f s", job_id, cause, delay_s)
        tell_later(self._context, delay_s, self.actor_ref, _RestartJob(job_id, cause))

    def _restart(self, job_id: JobId, cause: str) -> None:
        """Start the job's actor again from what the store holds for it."""
        if job_id not in self._jobs or self._jobs[job_id].is_alive():
            return
        context = self._context
        try:
            spec = context.specs.load(job_id)
            runs = tuple(context.runs.load_job(job_id)) if spec else ()
            history = context.histories.load(job_id) if spec else None
        except StorageError as exc:
            self.job_failed(job_id, f"cannot load it: {exc}")
            return
        if spec is None:  # deleted meanwhile (by a write that landed before the failure)
            logger.info("Job %s is no longer stored; forgetting it", job_id)
            context.view.withdraw(job_id)
            self.forget(job_id)
            return
        context.metrics.counter("jobs.restarts").inc()
        ref = self._spawn(spec, runs=runs, history=history, loaded=True)  # it publishes itself
        if spec.dependencies:
            ref.tell(ParentFinished())  # a parent may have succeeded meanwhile
        logger.info("Restarted job %s after: %s", job_id, cause)

    def _withdraw(self, job_id: JobId, why: str) -> None:
        logger.error("Job %s withdrawn: %s; retrying every minute", job_id, why)
        self._context.metrics.counter("jobs.withdrawn").inc()
        self._context.view.withdraw(job_id, failure=f"withdrawn after failures: {why}")

    def on_receive(self, message: object) -> object:
        if isinstance(message, _RestartJob):
            self._restart(message.job_id, message.cause)
            return None
        return super().on_receive(message)

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


@dataclass(frozen=True)
class _RestartJob:
    job_id: JobId
    cause: str


class JobSupervisorProxy(ActorMemberMixin, pykka.ActorProxy[JobSupervisor]):
    shutdown = proxy_method(JobSupervisor.shutdown)
    create_job = proxy_method(JobSupervisor.create_job)
    forget = proxy_method(JobSupervisor.forget)
    job_failed = proxy_method(JobSupervisor.job_failed)
    job_count = proxy_method(JobSupervisor.job_count)


__all__ = ["JobSupervisor", "JobSupervisorProxy"]
