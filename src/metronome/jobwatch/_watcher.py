"""Watching the published jobs for changes, for what reacts to them outside the scheduler
(webhooks, per-job metrics). It reads the view the API reads, on the event loop, comparing each
job's entry with the one seen before (entries are immutable once published: an identity check
while nothing changed), so the scheduler and the actors know nothing of it and are never slowed
by a listener."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from metronome.actors import JobEntry, JobView

logger = logging.getLogger(__name__)

SCAN_INTERVAL_S = 0.5


class Listener(Protocol):
    def changed(self, before: JobEntry | None, after: JobEntry) -> None:
        """A job was published anew (`before` None: it is new since the watch began)."""

    def removed(self, job_id: str) -> None:
        """A job was deleted."""


class ViewWatcher:
    """Started with the job service of a leadership term, stopped with it; what happened
    before it started is not reported."""

    def __init__(self, view: JobView, listeners: Sequence[Listener]) -> None:
        self._view = view
        self._listeners = listeners
        self._seen: dict[str, JobEntry] = {}
        self._scanner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._seen = {entry.spec.id: entry for entry in self._view.entries()}
        self._scanner = asyncio.create_task(self._scan_forever())

    async def stop(self) -> None:
        if self._scanner is not None:
            self._scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner

    async def _scan_forever(self) -> None:
        while True:
            await asyncio.sleep(SCAN_INTERVAL_S)
            self.scan()

    def scan(self) -> None:
        seen: dict[str, JobEntry] = {}
        for entry in self._view.entries():
            job_id = entry.spec.id
            seen[job_id] = entry
            before = self._seen.get(job_id)
            if before is not entry:
                for listener in self._listeners:
                    _guarded(listener.changed, before, entry)
        for gone in self._seen.keys() - seen.keys():
            for listener in self._listeners:
                _guarded(listener.removed, gone)
        self._seen = seen


def _guarded(call: Callable[..., None], *args: Any) -> None:
    """One listener's failure is logged; the others and the next scans go on."""
    try:
        call(*args)
    except Exception:
        logger.exception("%s failed on a job change", getattr(call, "__qualname__", call))
