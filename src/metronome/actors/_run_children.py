"""A job actor's run actors, as their parent sees them: started, stopped with their tasks, and
restarted after a failure (actors/_supervision.py, strategy 2) or given up on."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pykka

from metronome.actors._run import RunActor
from metronome.actors._supervision import RestartCounter, tell_later

if TYPE_CHECKING:
    from metronome.actors._context import ActorContext
    from metronome.model import JobId, JobRun, RunId

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestartRun:
    """Told to the job actor by its timer: start the failed run's actor again."""

    run_id: RunId


class RunChildren:
    """The run actors of one job; used only from its job actor's thread."""

    __slots__ = ("_actors", "_context", "_job", "_job_id", "_restarts")  # one per job

    def __init__(self, context: ActorContext, job_id: JobId, job: pykka.ActorRef[Any]) -> None:
        self._context = context
        self._job_id = job_id
        self._job = job
        self._actors: dict[RunId, pykka.ActorRef[RunActor]] = {}
        self._restarts: dict[RunId, RestartCounter] = {}

    def __contains__(self, run_id: RunId) -> bool:
        return run_id in self._actors

    def spawn(self, run: JobRun, *, persisted: bool = True, restored: bool = False) -> None:
        """`restored`: loaded from the store, so an earlier actor or instance may have run it."""
        self._actors[run.id] = RunActor.start(
            self._context, run, job=self._job, persisted=persisted, restored=restored
        )

    def kill(self, run_id: RunId) -> None:
        """Stop routing to the run, kill its tasks, stop its actor."""
        for task_id in self._context.router.close_run((self._job_id, run_id)):
            self._context.launcher.kill(task_id)
        self._stop(self._actors.pop(run_id, None))

    def ended(self, run_id: RunId) -> None:
        """Forget a run that ended (its actor stops itself, or was killed)."""
        self._actors.pop(run_id, None)
        self._restarts.pop(run_id, None)

    def crashed(self, run_id: RunId, cause: str) -> bool:
        """A run's actor failed: True if it is restarted after a back-off (`RestartRun`),
        False if it keeps failing and its job must end the run."""
        self._actors.pop(run_id, None)
        self._context.metrics.counter("jobs.restarts").inc()
        restarts = self._restarts.setdefault(run_id, RestartCounter())
        restarts.record()
        if restarts.exhausted:
            logger.error(
                "Run %s.%s: its actor keeps failing (%s); ending the run",
                self._job_id, run_id, cause,
            )  # fmt: skip
            return False
        logger.warning(
            "Run %s.%s: its actor failed (%s); restarting it", self._job_id, run_id, cause
        )
        tell_later(self._context, restarts.delay_s(), self._job, RestartRun(run_id))
        return True

    def stop_all(self) -> None:
        """The job failed: stop every run actor, leaving its tasks running (the restarted job
        adopts them again)."""
        for run_id, ref in self._actors.items():
            self._context.router.close_run((self._job_id, run_id))
            self._stop(ref)
        self._actors.clear()

    @staticmethod
    def _stop(ref: pykka.ActorRef[RunActor] | None) -> None:
        if ref is not None:
            with contextlib.suppress(pykka.ActorDeadError):
                ref.stop(block=False)
