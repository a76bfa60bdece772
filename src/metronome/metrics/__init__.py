"""Counters, gauges, histograms, meters and timers, rendered as Metronome JSON and Prometheus text."""

from metronome.metrics._instruments import Counter, Histogram, Meter, Timer
from metronome.metrics._registry import MetricsRegistry
from metronome.metrics._render import JSON_VERSION, PROMETHEUS_CONTENT_TYPE
from metronome.metrics._stats import RESERVOIR_SIZE, Rates, Snapshot

__all__ = [
    "JSON_VERSION",
    "PROMETHEUS_CONTENT_TYPE",
    "RESERVOIR_SIZE",
    "Counter",
    "Histogram",
    "Meter",
    "MetricsRegistry",
    "Rates",
    "Snapshot",
    "Timer",
]
