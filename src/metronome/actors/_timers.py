"""One timer thread for every schedule, deadline and back-off in the process.

A thread (or an asyncio handle) per schedule would not scale to 10,000 jobs; a heap does. Timer
callbacks run on the timer thread and MUST only hand work over (an actor `tell`), never block.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import threading
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
    """Calls callbacks at wall-clock instants, read from an injectable `now`.

    `call_at` takes no lock: it appends to an inbox that only the timer thread drains into its
    heap, and wakes the thread only when the new instant is earlier than the one it sleeps
    until. A lock shared with the timer thread was a convoy: 100,000 jobs arming their
    schedules from eight pool threads at start-up queued on it behind the GIL
    (docs/benchmarks.md).
    """

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._heap: list[_Timer] = []  # the timer thread's own
        self._inbox: collections.deque[_Timer] = collections.deque()
        self._sequence = itertools.count()
        self._wakeup = threading.Event()
        self._sleeps_until: datetime | None = None  # None: until told (an empty heap)
        self._running = True
        self._thread = threading.Thread(target=self._run, name="timers", daemon=True)
        self._thread.start()

    def call_at(self, instant: datetime, callback: Callable[[], None]) -> TimerHandle:
        handle = TimerHandle()
        self._inbox.append((instant, next(self._sequence), handle, callback))
        # Read after the append: a thread that computed its sleep before the append sees the
        # inbox non-empty and does not sleep; one that computed it after is read here.
        until = self._sleeps_until
        if (until is None or instant < until) and not self._wakeup.is_set():
            self._wakeup.set()
        return handle

    def stop(self) -> None:
        self._running = False
        self._wakeup.set()
        self._thread.join(5)

    def _run(self) -> None:
        while self._running:
            self._wakeup.clear()
            while self._inbox:
                heapq.heappush(self._heap, self._inbox.popleft())
            for callback in self._pop_due():
                try:
                    callback()
                except Exception:
                    logger.exception("Timer callback %r failed", callback)
            self._sleeps_until = self._heap[0][0] if self._heap else None
            if not self._inbox:
                self._wakeup.wait(self._wait_s())

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


_Timer = tuple[datetime, int, TimerHandle, Callable[[], None]]
