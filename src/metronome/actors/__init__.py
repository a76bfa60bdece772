"""The actor system: the only place that mutates jobs, schedules and runs."""

from metronome.actors._backfill import MAX_BACKFILL
from metronome.actors._bridge import reply
from metronome.actors._context import ActorContext
from metronome.actors._job import JobActorProxy
from metronome.actors._launch_rate import LaunchRate
from metronome.actors._router import TaskRouter
from metronome.actors._runtime import ActorPool, PooledActor
from metronome.actors._supervisor import JobSupervisor, JobSupervisorProxy
from metronome.actors._timers import TimerService
from metronome.actors._view import JobEntry, JobView

__all__ = [
    "MAX_BACKFILL",
    "ActorContext",
    "ActorPool",
    "JobActorProxy",
    "JobEntry",
    "JobSupervisor",
    "JobSupervisorProxy",
    "JobView",
    "LaunchRate",
    "PooledActor",
    "TaskRouter",
    "TimerService",
    "reply",
]
