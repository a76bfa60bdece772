"""The read side: immutable job snapshots that actors publish and HTTP handlers read.

Handlers answer reads from here instead of asking an actor, so `GET /v1/jobs/{id}` costs a dict
lookup, not two thread hops. Only the actor that owns a job writes its entry, after the change is
persisted, so a reader never sees a state that is not on disk.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metronome.actors._job import JobEntry
    from metronome.model import JobId


class JobView:
    """Thread-safe map of job id to its latest published entry."""

    def __init__(self) -> None:
        self._entries: dict[JobId, JobEntry] = {}
        self._lock = threading.Lock()

    def publish(self, entry: JobEntry) -> None:
        with self._lock:
            self._entries[entry.spec.id] = entry

    def withdraw(self, job_id: JobId) -> None:
        with self._lock:
            self._entries.pop(job_id, None)

    def get(self, job_id: str) -> JobEntry | None:
        return self._entries.get(job_id)  # type: ignore[call-overload]

    def entries(self) -> list[JobEntry]:
        """Every entry, in no particular order."""
        with self._lock:
            return list(self._entries.values())

    def all(self) -> list[JobEntry]:
        """Every entry, sorted by job id (for listings)."""
        return sorted(self.entries(), key=lambda entry: entry.spec.id)

    def __len__(self) -> int:
        return len(self._entries)
