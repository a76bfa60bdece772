"""The registry: names instruments the Metronome way and hands them out, one per name."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

from metronome.metrics._instruments import Counter, Gauge, Histogram, Meter, Timer
from metronome.metrics._render import prometheus_name, render_json, render_prometheus

if TYPE_CHECKING:
    from collections.abc import Callable

    from metronome.metrics._render import Instrument

_I = TypeVar("_I", Counter, Gauge, Histogram, Meter, Timer)


class _Entry(NamedTuple):
    full_name: str
    metric: Instrument


class MetricsRegistry:
    """Every metric of one Metronome instance, rendered for GET /v1/metrics and GET /metrics.

    A metric is asked for by its short name (`"jobs.started"`); its full name follows Metronome's
    `<prefix>.<name>.<type>[.<unit>]` (behavior doc §6.2), e.g. `metronome.jobs.started.counter`
    or `metronome.http.requests.duration.timer.seconds`. Asking for a name again returns the same
    instrument. Safe to use from any thread.

    Args:
        prefix: first segment of every full name (`metronome.metrics.prefix`).
        clock: monotonic seconds, read by meters and timers; injectable for tests.
    """

    def __init__(
        self, prefix: str = "metronome", clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._prefix = prefix
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._prometheus_names: dict[str, str] = {}

    def counter(self, name: str, *, unit: str | None = None) -> Counter:
        """The counter `name`, created on first use.

        Args:
            name: short name, without prefix.
            unit: optional unit suffix, e.g. `"bytes"` for `http.requests.size`.

        Raises:
            ValueError: if `name` is taken by another kind of metric or unit, or its Prometheus
                name collides with another metric's.
        """
        return self._get_or_create(name, "counter", unit, lambda _: Counter())

    def gauge(self, name: str, read: Callable[[], float], *, unit: str | None = None) -> None:
        """Register the gauge `name`, whose value `read` computes at each render.

        `read` MUST be cheap and MUST NOT block: it runs on the renderer's thread, which may be
        the event loop. Registering a name again replaces its reader, so a component restarted
        on a leadership change can register afresh.

        Raises:
            ValueError: as for `counter`.
        """
        self._get_or_create(
            name, "gauge", unit, lambda full_name: Gauge(full_name, read), replace=True
        )

    def timer(self, name: str) -> Timer:
        """The timer `name` (durations in seconds), created on first use.

        Raises:
            ValueError: as for `counter`.
        """
        return self._get_or_create(name, "timer", "seconds", lambda _: Timer(self._clock))

    def histogram(self, name: str) -> Histogram:
        """The histogram `name`, created on first use.

        Raises:
            ValueError: as for `counter`.
        """
        return self._get_or_create(name, "histogram", None, lambda _: Histogram())

    def meter(self, name: str) -> Meter:
        """The meter `name`, created on first use.

        Raises:
            ValueError: as for `counter`.
        """
        return self._get_or_create(name, "meter", None, lambda _: Meter(self._clock))

    def to_json(self) -> dict[str, Any]:
        """Metronome's GET /v1/metrics body (behavior doc §6.1)."""
        return render_json(self._snapshot_entries())

    def to_prometheus(self) -> str:
        """Prometheus text exposition format 0.0.4 of the same metrics."""
        return render_prometheus(self._snapshot_entries())

    def _get_or_create(
        self,
        name: str,
        kind: str,
        unit: str | None,
        create: Callable[[str], _I],
        *,
        replace: bool = False,
    ) -> _I:
        full_name = ".".join(part for part in (self._prefix, name, kind, unit) if part)
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                self._claim_prometheus_name(full_name)
            elif entry.full_name != full_name:
                msg = f"Metric {name!r} is already registered as {entry.full_name!r}"
                raise ValueError(msg)
            elif not replace:
                return cast("_I", entry.metric)  # the same full name means the same kind
            metric = create(full_name)
            self._entries[name] = _Entry(full_name, metric)
            return metric

    def _claim_prometheus_name(self, full_name: str) -> None:
        # Checked here rather than at render so a clash (`a-b` vs `a.b`) fails at the call site
        # instead of producing two families with one name in every scrape.
        exposed = prometheus_name(full_name)
        holder = self._prometheus_names.get(exposed)
        if holder is not None:
            msg = f"Metric {full_name!r} and {holder!r} share the Prometheus name {exposed!r}"
            raise ValueError(msg)
        self._prometheus_names[exposed] = full_name

    def _snapshot_entries(self) -> list[_Entry]:
        # Copy under the lock, sort and render outside it: gauges and snapshots may take time.
        with self._lock:
            entries = list(self._entries.values())
        entries.sort(key=lambda entry: entry.full_name)
        return entries
