"""The instruments callers update: counters, gauges, histograms, meters and timers.

Each instrument owns one lock, held only for O(1) work: updates arrive from actor threads and
the event loop while the endpoint renders. Clocks are read before taking the lock.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from metronome.metrics._stats import MovingRates, Rates, SlidingWindowReservoir, Snapshot

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)


class Counter:
    """A count that only callers change."""

    __slots__ = ("_count", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def inc(self, n: int = 1) -> None:
        with self._lock:
            self._count += n

    @property
    def count(self) -> int:
        return self._count


class Gauge:
    """A value computed by a reader when the metrics are rendered, never stored."""

    __slots__ = ("_full_name", "_read")

    def __init__(self, full_name: str, read: Callable[[], float]) -> None:
        self._full_name = full_name
        self._read = read

    def value(self) -> float:
        """The reader's current value; 0.0 if it fails, so one bad gauge spoils no render."""
        try:
            return float(self._read())
        except Exception:
            logger.exception("Gauge %s failed to read", self._full_name)
            return 0.0


class Histogram:
    """The distribution of recorded values, over a bounded window of recent samples."""

    __slots__ = ("_lock", "_reservoir")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reservoir = SlidingWindowReservoir()

    def update(self, value: float) -> None:
        with self._lock:
            self._reservoir.update(value)

    def snapshot(self) -> Snapshot:
        with self._lock:
            parts = self._reservoir.copy()
        return Snapshot.of(*parts)


class Meter:
    """The rate at which events happen."""

    __slots__ = ("_clock", "_lock", "_rates")

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._rates = MovingRates(clock())

    def mark(self, n: int = 1) -> None:
        now_s = self._clock()
        with self._lock:
            self._rates.mark(n, now_s)

    def rates(self) -> Rates:
        now_s = self._clock()
        with self._lock:
            return self._rates.read(now_s)


class Timer:
    """Durations in seconds (a histogram) and the rate of calls (a meter), under one lock."""

    __slots__ = ("_clock", "_lock", "_rates", "_reservoir")

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._reservoir = SlidingWindowReservoir()
        self._rates = MovingRates(clock())

    def update(self, seconds: float) -> None:
        now_s = self._clock()
        with self._lock:
            self._reservoir.update(seconds)
            self._rates.mark(1, now_s)

    @contextmanager
    def time(self) -> Iterator[None]:
        """Record how long the block takes, by the registry's clock, even if it raises."""
        start_s = self._clock()
        try:
            yield
        finally:
            self.update(self._clock() - start_s)

    def snapshot(self) -> Snapshot:
        with self._lock:
            parts = self._reservoir.copy()
        return Snapshot.of(*parts)

    def rates(self) -> Rates:
        now_s = self._clock()
        with self._lock:
            return self._rates.read(now_s)
