"""The collaborators every job and run actor shares, bundled once by the wiring code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from metronome.actors._dependencies import DependencyGraph
from metronome.actors._launch_rate import LaunchRate
from metronome.model import Task, TaskStatus

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from metronome.actors._router import TaskRouter
    from metronome.actors._runtime import ActorPool
    from metronome.actors._timers import TimerService
    from metronome.actors._view import JobView
    from metronome.launch import Launcher
    from metronome.metrics import MetricsRegistry
    from metronome.storage import JobHistoryRepository, JobRunRepository, JobSpecRepository


@dataclass(frozen=True)
class ActorContext:
    pool: ActorPool
    specs: JobSpecRepository
    runs: JobRunRepository
    histories: JobHistoryRepository
    view: JobView
    launcher: Launcher
    router: TaskRouter
    timers: TimerService
    metrics: MetricsRegistry
    clock: Callable[[], datetime]
    history_count: int
    dependencies: DependencyGraph = field(default_factory=DependencyGraph)
    launch_rate: LaunchRate = field(default_factory=LaunchRate)

    def new_task(self, task_id: str, at: datetime) -> Task:
        """A task about to be launched, naming the launcher that will hold it: written before
        it starts, so that a new leader with another launcher never starts it again."""
        launcher = self.launcher
        return Task(
            task_id,
            TaskStatus.TASK_CREATED,
            at,
            launcher=launcher.identity,
            launcher_host=launcher.host,
        )
