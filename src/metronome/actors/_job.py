"""One actor per job: the only place a job spec and its schedules change."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

import pykka
from pykka.typing import ActorMemberMixin, proxy_method

from metronome.actors._runtime import PooledActor
from metronome.errors import Conflict, ScheduleNotFound

if TYPE_CHECKING:
    from pykka import ActorRef

    from metronome.actors._runtime import ActorPool
    from metronome.actors._supervisor import JobSupervisorProxy
    from metronome.actors._view import JobView
    from metronome.model import JobHistory, JobRun, JobSpec, ScheduleSpec
    from metronome.storage import JobSpecRepository

logger = logging.getLogger(__name__)


class JobActor(PooledActor):
    """Owns one job spec. Every change is persisted first, then published, then answered."""

    def __init__(
        self,
        pool: ActorPool,
        spec: JobSpec,
        *,
        repository: JobSpecRepository,
        view: JobView,
        supervisor: JobSupervisorProxy,
    ) -> None:
        super().__init__(pool)
        self._spec = spec
        self._repository = repository
        self._view = view
        self._supervisor = supervisor

    def create(self) -> JobSpec:
        """Persist the new job. On failure the actor stops and the supervisor forgets it."""
        try:
            self._repository.create(self._spec)
        except Exception:
            self._supervisor.forget(self._spec.id)
            self.stop()
            raise
        logger.info("Created job %s", self._spec.id)
        self._publish(self._spec)
        return self._spec

    def update(self, spec: JobSpec, *, keep_schedules: bool) -> JobSpec:
        """Replace the job; `keep_schedules` keeps the stored schedules (PUT /v1/jobs/{id})."""
        if keep_schedules:
            spec = spec.with_schedules(self._spec.schedules)
        self._save(spec)
        logger.info("Updated job %s", spec.id)
        return spec

    def delete(self, *, stop_runs: bool = False) -> JobSpec:
        """Delete the job with its history; with active runs only when `stop_runs` (they stop first).

        Raises:
            Conflict: the job has active runs and `stop_runs` is false.
        """
        self._repository.delete(self._spec.id)
        self._view.withdraw(self._spec.id)
        self._supervisor.forget(self._spec.id)
        logger.info("Deleted job %s", self._spec.id)
        self.stop()
        return self._spec

    def add_schedule(self, schedule: ScheduleSpec) -> ScheduleSpec:
        if self._spec.schedule(schedule.id) is not None:
            msg = f"A schedule with id {schedule.id} already exists"
            raise Conflict(msg)
        self._save(self._spec.with_schedules((*self._spec.schedules, schedule)))
        return schedule

    def update_schedule(self, schedule: ScheduleSpec) -> ScheduleSpec:
        if self._spec.schedule(schedule.id) is None:
            raise ScheduleNotFound(schedule.id)
        schedules = tuple(schedule if s.id == schedule.id else s for s in self._spec.schedules)
        self._save(self._spec.with_schedules(schedules))
        return schedule

    def delete_schedule(self, schedule_id: str) -> ScheduleSpec:
        schedule = self._spec.schedule(schedule_id)
        if schedule is None:
            raise ScheduleNotFound(schedule_id)
        self._save(
            self._spec.with_schedules(tuple(s for s in self._spec.schedules if s is not schedule))
        )
        return schedule

    def _save(self, spec: JobSpec) -> None:
        self._repository.update(spec)
        self._publish(spec)

    def _publish(self, spec: JobSpec) -> None:
        self._spec = spec
        self._view.publish(JobEntry(spec, self.actor_ref))


class JobActorProxy(ActorMemberMixin, pykka.ActorProxy[JobActor]):
    create = proxy_method(JobActor.create)
    update = proxy_method(JobActor.update)
    delete = proxy_method(JobActor.delete)
    add_schedule = proxy_method(JobActor.add_schedule)
    update_schedule = proxy_method(JobActor.update_schedule)
    delete_schedule = proxy_method(JobActor.delete_schedule)


class JobEntry:
    """One published version of a job: its spec, active runs and history.

    `rendered` is a slot for the API's rendering of the spec; it is carried over to the next
    version while the spec is unchanged.
    """

    __slots__ = ("_actor", "history", "ref", "rendered", "runs", "spec")

    def __init__(
        self,
        spec: JobSpec,
        ref: ActorRef[JobActor],
        runs: tuple[JobRun, ...] = (),
        history: JobHistory | None = None,
    ) -> None:
        self.spec = spec
        self.ref = ref
        self.runs = runs
        self.history = history
        self.rendered: Any = None
        self._actor: JobActorProxy | None = None

    @property
    def actor(self) -> JobActorProxy:
        """A proxy to the job's actor, built on first use: a proxy costs ~0.1 ms to build, too much
        to spend on each of 10,000 jobs loaded at start-up."""
        if self._actor is None:
            self._actor = cast("JobActorProxy", self.ref.proxy())
        return self._actor


__all__ = ["JobActor", "JobActorProxy", "JobEntry"]
