"""Delivering notifications: a bounded queue, a few workers, retries with backoff. Never blocks
whoever enqueues (the scan of the jobs); a full queue drops the notification and counts it."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from metronome.metrics import MetricsRegistry

logger = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
WORKERS = 4
ATTEMPTS = 5
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
_TIMEOUT = aiohttp.ClientTimeout(total=10)


class Sender:
    """POSTs JSON payloads to their URLs; 2xx is delivered, anything else is retried."""

    def __init__(self, metrics: MetricsRegistry) -> None:
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(QUEUE_SIZE)
        self._sent = metrics.counter("webhooks.sent")
        self._retried = metrics.counter("webhooks.retried")
        self._failed = metrics.counter("webhooks.failed")
        self._dropped = metrics.counter("webhooks.dropped")
        self._session: aiohttp.ClientSession | None = None
        self._workers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=_TIMEOUT)
        self._workers = [asyncio.create_task(self._work()) for _ in range(WORKERS)]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def send(self, url: str, payload: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((url, payload))
        except asyncio.QueueFull:
            self._dropped.inc()
            logger.warning(
                "webhook queue full: dropped %s for job %s", payload["event"], payload["jobId"]
            )

    async def _work(self) -> None:
        while True:
            url, payload = await self._queue.get()
            try:
                await self._deliver(url, payload)
            except Exception:  # a bug in one delivery must not stop the worker
                self._failed.inc()
                logger.exception("webhook %s to %s: delivery broke", payload["event"], url)

    async def _deliver(self, url: str, payload: dict[str, Any]) -> None:
        assert self._session is not None
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        backoff_s = FIRST_BACKOFF_S
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self._session.post(url, data=body, headers=headers) as response:
                    if 200 <= response.status < 300:
                        self._sent.inc()
                        return
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = repr(exc)
            if attempt == ATTEMPTS:
                break
            self._retried.inc()
            await asyncio.sleep(backoff_s)
            backoff_s = min(backoff_s * 2, MAX_BACKOFF_S)
        self._failed.inc()
        logger.warning(
            "webhook %s for job %s to %s failed %d times, last: %s",
            payload["event"], payload["jobId"], url, ATTEMPTS, problem,
        )  # fmt: skip
