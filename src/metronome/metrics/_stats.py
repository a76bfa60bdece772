"""The statistics behind the instruments: a bounded sample reservoir, its snapshot, moving rates.

Nothing here locks. The instruments in `_instruments` own one lock each and call in while holding
it, so every method that runs under a lock is O(1); sorting waits for `Snapshot.of`, which runs
after the lock is released.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

RESERVOIR_SIZE = 1028
"""Samples kept per histogram or timer (Dropwizard's default reservoir size)."""

TICK_S = 5.0
"""Interval at which the moving averages take in new events (Dropwizard's)."""

_DECAYS = tuple(math.exp(-TICK_S / window_s) for window_s in (60.0, 300.0, 900.0))
"""Per-tick weight kept by the 1-, 5- and 15-minute moving averages."""


class SlidingWindowReservoir:
    """The most recent `size` samples, plus the count and sum of every sample ever recorded.

    Why a sliding window rather than Dropwizard's exponentially decaying reservoir: an update
    is one deque append, with no random priority, no ordered map and no periodic rescaling, so
    hot paths pay almost nothing; snapshots are deterministic, so tests and benchmarks can assert
    exact percentiles; and at Metronome's request and trigger rates 1028 samples span the recent
    minutes an operator looks at. The price: percentiles describe the last 1028 samples whatever
    their age, so a quiet metric keeps showing old samples until new ones push them out.
    """

    __slots__ = ("_samples", "count", "total")

    def __init__(self, size: int = RESERVOIR_SIZE) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self.count = 0
        self.total = 0.0

    def update(self, value: float) -> None:
        self._samples.append(value)
        self.count += 1
        self.total += value

    def copy(self) -> tuple[int, float, list[float]]:
        """The count, sum and (unsorted) retained samples, for `Snapshot.of` outside the lock."""
        return self.count, self.total, list(self._samples)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A histogram or timer at one instant.

    `count` and `sum` cover every update ever recorded; `values` and the statistics derived from
    them cover only the samples the reservoir retained. An empty snapshot reports zeros.
    """

    count: int
    sum: float
    values: tuple[float, ...]
    """The retained samples, ascending."""

    @classmethod
    def of(cls, count: int, total: float, samples: list[float]) -> Snapshot:
        samples.sort()
        return cls(count, total, tuple(samples))

    @property
    def min(self) -> float:
        return self.values[0] if self.values else 0.0

    @property
    def max(self) -> float:
        return self.values[-1] if self.values else 0.0

    @property
    def mean(self) -> float:
        return math.fsum(self.values) / len(self.values) if self.values else 0.0

    @property
    def stddev(self) -> float:
        """Sample standard deviation (n - 1), as Dropwizard reports it; 0 below two samples."""
        n = len(self.values)
        if n < 2:
            return 0.0
        mean = self.mean
        return math.sqrt(math.fsum((v - mean) ** 2 for v in self.values) / (n - 1))

    def quantile(self, q: float) -> float:
        """The `q`-quantile (0 <= q <= 1), interpolated between the two nearest samples.

        Raises:
            ValueError: if `q` is outside [0, 1].
        """
        if not 0.0 <= q <= 1.0:
            msg = f"quantile must be within [0, 1], got {q}"
            raise ValueError(msg)
        n = len(self.values)
        if n == 0:
            return 0.0
        # Rank q * (n + 1), 1-based, clamped to the ends: the estimator Dropwizard snapshots use.
        rank = q * (n + 1)
        if rank < 1:
            return self.values[0]
        if rank >= n:
            return self.values[-1]
        below = int(rank)
        lower, upper = self.values[below - 1], self.values[below]
        return lower + (rank - below) * (upper - lower)


@dataclass(frozen=True, slots=True)
class Rates:
    """Events counted and their per-second rates: moving averages and the mean since creation."""

    count: int
    m1_rate: float
    m5_rate: float
    m15_rate: float
    mean_rate: float


class MovingRates:
    """An event count with 1-, 5- and 15-minute exponentially weighted moving average rates.

    The averages take in the events of each 5 s tick, Dropwizard-style, but ticks are applied
    lazily on the next mark or read from the caller's clock instead of by a background thread.
    After an idle stretch the owed ticks carry no events, so they collapse into one decay by
    `decay ** ticks`: a read after a day of silence costs the same as one after 5 s.
    """

    __slots__ = ("_last_tick_s", "_primed", "_rates", "_start_s", "_uncounted", "count")

    def __init__(self, now_s: float) -> None:
        self.count = 0
        self._start_s = now_s
        self._last_tick_s = now_s
        self._uncounted = 0
        self._rates = [0.0] * len(_DECAYS)
        self._primed = False

    def mark(self, n: int, now_s: float) -> None:
        # Tick first, so events land in the interval they happened in.
        self._tick(now_s)
        self.count += n
        self._uncounted += n

    def read(self, now_s: float) -> Rates:
        self._tick(now_s)
        elapsed_s = now_s - self._start_s
        mean_rate = self.count / elapsed_s if elapsed_s > 0 else 0.0
        m1, m5, m15 = self._rates
        return Rates(self.count, m1, m5, m15, mean_rate)

    def _tick(self, now_s: float) -> None:
        # A negative difference (another thread read the clock later but locked first) is no tick.
        ticks = int((now_s - self._last_tick_s) // TICK_S)
        if ticks <= 0:
            return
        self._last_tick_s += ticks * TICK_S
        instant_rate = self._uncounted / TICK_S
        self._uncounted = 0
        for i, decay in enumerate(_DECAYS):
            # The first tick seeds the average with the observed rate instead of decaying from 0.
            rate = instant_rate
            if self._primed:
                rate += decay * (self._rates[i] - instant_rate)
            self._rates[i] = rate * decay ** (ticks - 1)
        self._primed = True
