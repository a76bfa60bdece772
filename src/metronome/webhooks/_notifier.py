"""Notifies webhooks of finished runs and of missed or skipped slots: a `jobwatch` listener,
so nothing here runs inside the scheduler or the actors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metronome.webhooks._changes import changes, payload
from metronome.webhooks._sender import Sender
from metronome.webhooks._targets import target_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from metronome.actors import JobEntry
    from metronome.metrics import MetricsRegistry
    from metronome.webhooks._targets import Event


class WebhookNotifier:
    """Started with the job service of a leadership term, stopped with it."""

    def __init__(
        self,
        metrics: MetricsRegistry,
        clock: Callable[[], datetime],
        *,
        default_url: str | None,
        default_events: frozenset[Event],
    ) -> None:
        self._clock = clock
        self._default_url = default_url
        self._default_events = default_events
        self._sender = Sender(metrics)

    async def start(self) -> None:
        await self._sender.start()

    async def stop(self) -> None:
        await self._sender.stop()

    def changed(self, before: JobEntry | None, after: JobEntry) -> None:
        target = target_of(after.spec.labels, self._default_url, self._default_events)
        if target is None:
            return
        found = changes(before.history if before is not None else None, after.history)
        now = self._clock().isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for event, fields in found:
            if event in target.events:
                self._sender.send(target.url, payload(after, event, fields, now))

    def removed(self, job_id: str) -> None:
        """Nothing to tell: a deleted job's webhook is not notified of its deletion."""
