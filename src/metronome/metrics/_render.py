"""Renderings of the registry: Metronome's JSON (Dropwizard shape) and Prometheus text 0.0.4.

Both take a list of `(full_name, instrument)` already copied out of the registry, so they read
gauges and sort reservoirs without holding the registry lock. Neither ever emits NaN or
infinity: JSON has no such numbers and Metronome renders a NaN gauge as 0.0 (behavior doc §6.1).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

from metronome.metrics._instruments import Counter, Gauge, Histogram, Meter, Timer

if TYPE_CHECKING:
    from collections.abc import Sequence

    from metronome.metrics._stats import Rates, Snapshot

    Instrument = Counter | Gauge | Histogram | Meter | Timer

JSON_VERSION = "3.0.0"
"""The `version` field of GET /v1/metrics, as in the seed's example."""

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_QUANTILES = (
    ("p50", 0.5),
    ("p75", 0.75),
    ("p95", 0.95),
    ("p98", 0.98),
    ("p99", 0.99),
    ("p999", 0.999),
)
_NOT_IN_NAME = re.compile(r"[^a-zA-Z0-9_:]")


def render_json(entries: Sequence[tuple[str, Instrument]]) -> dict[str, Any]:
    """The GET /v1/metrics body: one section per instrument type, keyed by full name."""
    counters: dict[str, Any] = {}
    gauges: dict[str, Any] = {}
    histograms: dict[str, Any] = {}
    meters: dict[str, Any] = {}
    timers: dict[str, Any] = {}
    for full_name, metric in entries:
        match metric:
            case Counter():
                counters[full_name] = {"count": metric.count}
            case Gauge():
                gauges[full_name] = {"value": _finite(metric.value())}
            case Histogram():
                histograms[full_name] = _distribution(metric.snapshot())
            case Meter():
                rates = metric.rates()
                meters[full_name] = {
                    "count": rates.count,
                    **_rates(rates),
                    "units": "events/second",
                }
            case Timer():
                timers[full_name] = {
                    **_distribution(metric.snapshot()),
                    **_rates(metric.rates()),
                    "duration_units": "seconds",
                    "rate_units": "calls/second",
                }
    return {
        "version": JSON_VERSION,
        "counters": counters,
        "gauges": gauges,
        "histograms": histograms,
        "meters": meters,
        "timers": timers,
    }


def render_prometheus(entries: Sequence[tuple[str, Instrument]]) -> str:
    """The GET /metrics body: counters and meters as counters, histograms and timers as summaries.

    Every family gets one `# HELP` and one `# TYPE` line; the registry keeps exposed names unique.
    """
    lines: list[str] = []
    for full_name, metric in entries:
        name = prometheus_name(full_name)
        match metric:
            case Counter():
                _family(lines, f"{name}_total", "counter", full_name, [("", metric.count)])
            case Gauge():
                _family(lines, name, "gauge", full_name, [("", metric.value())])
            case Meter():
                _family(lines, f"{name}_total", "counter", full_name, [("", metric.rates().count)])
            case Histogram() | Timer():
                snapshot = metric.snapshot()
                samples: list[tuple[str, float]] = [
                    (f'{{quantile="{q}"}}', snapshot.quantile(q)) for _, q in _QUANTILES
                ]
                samples += [("_sum", snapshot.sum), ("_count", snapshot.count)]
                _family(lines, name, "summary", full_name, samples)
    return "".join(f"{line}\n" for line in lines)


def prometheus_name(full_name: str) -> str:
    """`full_name` as a Prometheus metric name: `.`, `-` and other invalid characters become `_`."""
    name = _NOT_IN_NAME.sub("_", full_name)
    return f"_{name}" if name[:1].isdigit() else name


def _family(
    lines: list[str], name: str, kind: str, full_name: str, samples: Sequence[tuple[str, float]]
) -> None:
    help_text = full_name.replace("\\", "\\\\").replace("\n", "\\n")
    lines.append(f"# HELP {name} Metronome metric {help_text}")
    lines.append(f"# TYPE {name} {kind}")
    lines.extend(f"{name}{suffix} {_number(value)}" for suffix, value in samples)


def _distribution(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "count": snapshot.count,
        "min": _finite(snapshot.min),
        "max": _finite(snapshot.max),
        "mean": _finite(snapshot.mean),
        **{key: _finite(snapshot.quantile(q)) for key, q in _QUANTILES},
        "stddev": _finite(snapshot.stddev),
    }


def _rates(rates: Rates) -> dict[str, float]:
    return {
        "m1_rate": _finite(rates.m1_rate),
        "m5_rate": _finite(rates.m5_rate),
        "m15_rate": _finite(rates.m15_rate),
        "mean_rate": _finite(rates.mean_rate),
    }


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _number(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(_finite(value))
