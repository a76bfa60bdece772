"""The actor system: the only place that mutates jobs, schedules and runs."""

from metronome.actors._bridge import reply
from metronome.actors._job import JobActor, JobActorProxy, JobEntry
from metronome.actors._runtime import ActorPool, CallbackFuture, PooledActor
from metronome.actors._supervisor import JobSupervisor, JobSupervisorProxy
from metronome.actors._view import JobView

__all__ = [
    "ActorPool",
    "CallbackFuture",
    "JobActor",
    "JobActorProxy",
    "JobEntry",
    "JobSupervisor",
    "JobSupervisorProxy",
    "JobView",
    "PooledActor",
    "reply",
]
