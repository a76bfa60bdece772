"""Watches the published jobs and notifies their webhooks of finished runs and of missed or
skipped slots. It reads the view the API reads, on the event loop, comparing each job's entry
with the one seen before (an identity check while nothing changed): the scheduler and the
actors know nothing of it and cannot be slowed by it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from metronome.webhooks._changes import changes, payload
from metronome.webhooks._sender import Sender
from metronome.webhooks._targets import target_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from metronome.actors import JobEntry, JobView
    from metronome.metrics import MetricsRegistry
    from metronome.webhooks._targets import Event

logger = logging.getLogger(__name__)

SCAN_INTERVAL_S = 0.5


class WebhookNotifier:
    """Started with the job service of a leadership term, stopped with it."""

    def __init__(
        self,
        view: JobView,
        metrics: MetricsRegistry,
        clock: Callable[[], datetime],
        *,
        default_url: str | None,
        default_events: frozenset[Event],
    ) -> None:
        self._view = view
        self._clock = clock
        self._default_url = default_url
        self._default_events = default_events
        self._sender = Sender(metrics)
        self._seen: dict[str, JobEntry] = {}
        self._scanner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take the jobs as they are now as seen (what happened before is not notified)."""
        self._seen = {entry.spec.id: entry for entry in self._view.entries()}
        await self._sender.start()
        self._scanner = asyncio.create_task(self._scan_forever())

    async def stop(self) -> None:
        if self._scanner is not None:
            self._scanner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scanner
        await self._sender.stop()

    async def _scan_forever(self) -> None:
        while True:
            await asyncio.sleep(SCAN_INTERVAL_S)
            try:
                self.scan()
            except Exception:
                logger.exception("webhook scan failed")

    def scan(self) -> None:
        seen: dict[str, JobEntry] = {}
        for entry in self._view.entries():
            job_id = entry.spec.id
            seen[job_id] = entry
            before = self._seen.get(job_id)
            if before is entry:
                continue
            target = target_of(entry.spec.labels, self._default_url, self._default_events)
            if target is None:
                continue
            found = changes(before.history if before is not None else None, entry.history)
            now = self._clock().isoformat(timespec="milliseconds").replace("+00:00", "Z")
            for event, fields in found:
                if event in target.events:
                    self._sender.send(target.url, payload(entry, event, fields, now))
        self._seen = seen
