"""One timer thread for every schedule, deadline and back-off in the process.

A thread (or an asyncio handle) per schedule would not scale to 10,000 jobs; a heap does. Timer
callbacks run on the timer thread and MUST only hand work over (an actor `tell`), never block.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

logger = logging.getLogger(__name__)

_MAX_WAIT_S = 1.0
"""Longest single wait: bounds how late a timer fires after the wall clock jumps forward."""


class TimerHandle:
    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class TimerService:
    """Calls callbacks at wall-clock instants, read from an injectable `now`."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._heap: list[tuple[datetime, int, TimerHandle, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._wakeup = threading.Condition()
        self._running = True
        self._thread = threading.Thread(target=self._run, name="timers", daemon=True)
        self._thread.start()

    def call_at(self, instant: datetime, callback: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle()
        with self._wakeup:
            heapq.heappush(self._heap, (instant, next(self._sequence), handle, callback))
            if self._heap[0][2] is handle:
                self._wakeup.notify()
        return handle

    def stop(self) -> None:
        with self._wakeup:
            self._running = False
            self._wakeup.notify()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            with self._wakeup:
                if not self._running:
                    return
                due = self._pop_due()
                if not due:
                    self._wakeup.wait(self._wait_s())
                    continue
            for callback in due:
                try:
                    callback()
                except Exception:
                    logger.exception("Timer callback %r failed", callback)

    def _pop_due(self) -> list[Callable[[], None]]:
        now = self._now()
        due = []
        while self._heap and self._heap[0][0] <= now:
            _, _, handle, callback = heapq.heappop(self._heap)
            if not handle.cancelled:
                due.append(callback)
        return due

    def _wait_s(self) -> float:
        if not self._heap:
            return _MAX_WAIT_S
        delay = (self._heap[0][0] - self._now()).total_seconds()
        return min(max(delay, 0.0), _MAX_WAIT_S)
