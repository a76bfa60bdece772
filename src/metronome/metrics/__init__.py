"""Metrics: counters, gauges, histograms, meters, timers; as Metronome JSON and Prometheus text."""

from metronome.metrics._instruments import Counter, Timer
from metronome.metrics._registry import MetricsRegistry
from metronome.metrics._render import PROMETHEUS_CONTENT_TYPE
from metronome.metrics._stats import RESERVOIR_SIZE

__all__ = [
    "PROMETHEUS_CONTENT_TYPE",
    "RESERVOIR_SIZE",
    "Counter",
    "MetricsRegistry",
    "Timer",
]
