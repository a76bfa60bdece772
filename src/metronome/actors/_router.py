"""Which run actor owns which task, so launcher updates reach the right run.

A run is opened when its actor starts and closed when the run ends or is stopped; a closed run
accepts no new task, so a relaunch racing a stop can never start an orphan.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import pykka

if TYPE_CHECKING:
    from metronome.launch import TaskUpdate
    from metronome.model import JobId, RunId

    RunKey = tuple[JobId, RunId]

logger = logging.getLogger(__name__)


class TaskRouter:
    """Thread-safe map of task id to run, and of run to its actor."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._actors: dict[RunKey, pykka.ActorRef[Any]] = {}
        self._tasks: dict[str, RunKey] = {}
        self._tasks_of: dict[RunKey, list[str]] = {}

    def open_run(self, key: RunKey, actor: pykka.ActorRef[Any]) -> None:
        with self._lock:
            self._actors[key] = actor
            self._tasks_of[key] = []

    def add_task(self, key: RunKey, task_id: str) -> bool:
        """Route `task_id` to the run; False if the run is closed (the task must not launch)."""
        with self._lock:
            tasks = self._tasks_of.get(key)
            if tasks is None:
                return False
            tasks.append(task_id)
            self._tasks[task_id] = key
            return True

    def close_run(self, key: RunKey) -> list[str]:
        """Stop routing to the run; returns its task ids (for the caller to kill)."""
        with self._lock:
            self._actors.pop(key, None)
            tasks = self._tasks_of.pop(key, [])
            for task_id in tasks:
                self._tasks.pop(task_id, None)
            return tasks

    def run_of(self, task_id: str) -> RunKey | None:
        return self._tasks.get(task_id)

    def deliver(self, update: TaskUpdate) -> None:
        """Hand a launcher update to its run's actor (called on the event loop thread)."""
        with self._lock:
            key = self._tasks.get(update.task_id)
            actor = self._actors.get(key) if key else None
        if actor is None:
            logger.debug("No run for task %s (%s); update ignored", update.task_id, update.status)
            return
        try:
            actor.tell(update)
        except pykka.ActorDeadError:  # failed meanwhile: its restart reconciles the task again
            logger.debug("Run of task %s is restarting; %s ignored", update.task_id, update.status)
