"""The metrics registry: instruments, statistics, and both renderings, on a simulated clock."""

from __future__ import annotations

import json
import math
import random
import re
import sys
import threading
import tracemalloc
from typing import Any

import pytest

from metronome.metrics import RESERVOIR_SIZE, MetricsRegistry


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def registry(clock: FakeClock) -> MetricsRegistry:
    return MetricsRegistry(clock=clock)


DISTRIBUTION_KEYS = [
    "count", "min", "max", "mean", "p50", "p75", "p95", "p98", "p99", "p999", "stddev",
]  # fmt: skip
RATE_KEYS = ["m1_rate", "m5_rate", "m15_rate", "mean_rate"]


def test_counter_counts_and_is_named_the_metronome_way(registry: MetricsRegistry) -> None:
    started = registry.counter("jobs.started")
    started.inc()
    started.inc(4)
    registry.counter("http.requests.size", unit="bytes").inc(512)

    assert started.count == 5
    assert registry.to_json()["counters"] == {
        "metronome.http.requests.size.counter.bytes": {"count": 512},
        "metronome.jobs.started.counter": {"count": 5},
    }


def test_same_name_returns_the_same_instrument(registry: MetricsRegistry) -> None:
    assert registry.counter("a") is registry.counter("a")
    assert registry.timer("b") is registry.timer("b")
    assert registry.histogram("c") is registry.histogram("c")
    assert registry.meter("d") is registry.meter("d")


def test_same_name_as_two_kinds_is_rejected(registry: MetricsRegistry) -> None:
    registry.counter("jobs.started")
    registry.gauge("jobs.active", lambda: 1.0)

    with pytest.raises(ValueError, match=r"metronome\.jobs\.started\.counter"):
        registry.timer("jobs.started")
    with pytest.raises(ValueError, match="already registered"):
        registry.counter("jobs.active")
    with pytest.raises(ValueError, match="already registered"):
        registry.counter("jobs.started", unit="bytes")


def test_names_that_collide_in_prometheus_are_rejected(registry: MetricsRegistry) -> None:
    registry.counter("job-spec.created")

    with pytest.raises(ValueError, match="metronome_job_spec_created_counter"):
        registry.counter("job.spec.created")


def test_prefix_and_units_shape_full_names(clock: FakeClock) -> None:
    registry = MetricsRegistry(prefix="dcos.metronome", clock=clock)
    registry.gauge("uptime", lambda: 1.0, unit="seconds")
    registry.timer("http.requests.duration")
    registry.histogram("payload")
    registry.meter("offers")

    rendered = registry.to_json()

    assert list(rendered["gauges"]) == ["dcos.metronome.uptime.gauge.seconds"]
    assert list(rendered["timers"]) == ["dcos.metronome.http.requests.duration.timer.seconds"]
    assert list(rendered["histograms"]) == ["dcos.metronome.payload.histogram"]
    assert list(rendered["meters"]) == ["dcos.metronome.offers.meter"]


def test_gauge_is_read_at_render_time(registry: MetricsRegistry) -> None:
    active = [3]
    registry.gauge("jobs.active", lambda: active[0])

    first = registry.to_json()["gauges"]["metronome.jobs.active.gauge"]
    active[0] = 7
    second = registry.to_json()["gauges"]["metronome.jobs.active.gauge"]

    assert (first, second) == ({"value": 3.0}, {"value": 7.0})
    assert "metronome_jobs_active_gauge 7.0\n" in registry.to_prometheus()


def test_registering_a_gauge_again_replaces_its_reader(registry: MetricsRegistry) -> None:
    registry.gauge("jobs.active", lambda: 1.0)
    registry.gauge("jobs.active", lambda: 2.0)

    assert registry.to_json()["gauges"] == {"metronome.jobs.active.gauge": {"value": 2.0}}


def test_failing_or_non_finite_gauges_render_zero(
    registry: MetricsRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> float:
        raise RuntimeError("store unavailable")

    registry.gauge("broken", broken)
    registry.gauge("nan", lambda: math.nan)
    registry.gauge("inf", lambda: math.inf)

    gauges = registry.to_json()["gauges"]
    text = registry.to_prometheus()

    assert {name: value["value"] for name, value in gauges.items()} == {
        "metronome.broken.gauge": 0.0,
        "metronome.inf.gauge": 0.0,
        "metronome.nan.gauge": 0.0,
    }
    assert "NaN" not in text and "Inf" not in text
    assert "Gauge metronome.broken.gauge failed to read" in caplog.text


def test_timer_percentiles_over_known_samples(registry: MetricsRegistry) -> None:
    timer = registry.timer("http.requests.duration")
    samples_s = [ms / 1000 for ms in range(1, 1001)]
    random.Random(7).shuffle(samples_s)
    for sample_s in samples_s:
        timer.update(sample_s)

    snapshot = timer.snapshot()

    assert snapshot.count == 1000
    assert (snapshot.min, snapshot.max) == (0.001, 1.0)
    assert snapshot.mean == pytest.approx(0.5005)
    assert snapshot.stddev == pytest.approx(0.28881, abs=1e-5)
    assert snapshot.quantile(0.5) == pytest.approx(0.5, abs=0.001)
    assert snapshot.quantile(0.99) == pytest.approx(0.99, abs=0.001)
    assert snapshot.quantile(0.0) == 0.001
    assert snapshot.quantile(1.0) == 1.0
    rendered = registry.to_json()["timers"]["metronome.http.requests.duration.timer.seconds"]
    assert rendered["p50"] == pytest.approx(0.5, abs=0.001)
    assert rendered["p999"] == pytest.approx(0.999, abs=0.001)
    with pytest.raises(ValueError, match="quantile"):
        snapshot.quantile(1.5)


def test_timer_time_measures_with_the_clock_even_when_the_block_raises(
    registry: MetricsRegistry, clock: FakeClock
) -> None:
    timer = registry.timer("debug.job-spec.operations.create.duration")

    with timer.time():
        clock.advance(0.25)
    with pytest.raises(RuntimeError), timer.time():
        clock.advance(0.75)
        raise RuntimeError

    snapshot = timer.snapshot()
    assert snapshot.values == (0.25, 0.75)
    assert snapshot.sum == 1.0


def test_reservoir_stays_bounded_and_keeps_recent_values(registry: MetricsRegistry) -> None:
    histogram = registry.histogram("sizes")
    for value in range(10_000):
        histogram.update(float(value))
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for value in range(10_000, 100_000):
            histogram.update(float(value))
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    snapshot = histogram.snapshot()
    assert after - before < 64 * 1024  # 90,000 floats would take over 2 MB
    assert len(snapshot.values) == RESERVOIR_SIZE
    assert snapshot.count == 100_000
    assert snapshot.sum == sum(range(100_000))
    assert (snapshot.min, snapshot.max) == (100_000 - RESERVOIR_SIZE, 99_999)


def test_m1_rate_converges_to_a_steady_rate(registry: MetricsRegistry, clock: FakeClock) -> None:
    meter = registry.meter("offers.incoming")
    clock.advance(60)  # a quiet first minute seeds the averages at 0
    for _ in range(5 * 60):  # then 10 events a second for five minutes
        clock.advance(1)
        meter.mark(10)

    rates = registry.to_json()["meters"]["metronome.offers.incoming.meter"]

    assert rates["count"] == 3000
    assert rates["m1_rate"] == pytest.approx(10 * (1 - math.exp(-5)), rel=0.02)
    assert rates["m5_rate"] == pytest.approx(10 * (1 - math.exp(-1)), rel=0.02)
    assert rates["m15_rate"] == pytest.approx(10 * (1 - math.exp(-1 / 3)), rel=0.02)
    assert rates["mean_rate"] == pytest.approx(3000 / 360)


def test_rates_decay_over_an_idle_stretch(registry: MetricsRegistry, clock: FakeClock) -> None:
    timer = registry.timer("http.requests.duration")
    for _ in range(3 * 60 * 4):  # 4 calls a second for three minutes
        clock.advance(0.25)
        timer.update(0.01)
    busy = timer.rates()
    clock.advance(60)
    idle = timer.rates()
    clock.advance(24 * 3600)
    much_later = timer.rates()

    assert busy.m1_rate == pytest.approx(4.0, rel=0.01)
    assert idle.m1_rate == pytest.approx(busy.m1_rate * math.exp(-1), rel=0.01)
    assert idle.m5_rate == pytest.approx(busy.m5_rate * math.exp(-0.2), rel=0.01)
    assert much_later.m15_rate < 1e-9
    assert much_later.count == 720


def test_empty_metrics_render_zeros(registry: MetricsRegistry) -> None:
    registry.histogram("h")
    registry.meter("m")
    registry.timer("t")

    rendered = registry.to_json()
    json.dumps(rendered, allow_nan=False)  # raises on NaN or infinity

    numbers = [
        *rendered["histograms"]["metronome.h.histogram"].values(),
        *_numbers(rendered["meters"]["metronome.m.meter"]),
        *_numbers(rendered["timers"]["metronome.t.timer.seconds"]),
    ]
    assert numbers and all(number == 0 for number in numbers)


def test_json_shape_has_exactly_the_metronome_keys(
    registry: MetricsRegistry, clock: FakeClock
) -> None:
    registry.counter("c").inc()
    registry.gauge("g", lambda: 1.5)
    registry.histogram("h").update(3)
    registry.meter("m").mark()
    registry.timer("t").update(0.002)
    clock.advance(7)

    rendered = registry.to_json()

    assert list(rendered) == ["version", "counters", "gauges", "histograms", "meters", "timers"]
    assert rendered["version"] == "3.0.0"
    assert list(rendered["counters"]["metronome.c.counter"]) == ["count"]
    assert list(rendered["gauges"]["metronome.g.gauge"]) == ["value"]
    assert list(rendered["histograms"]["metronome.h.histogram"]) == DISTRIBUTION_KEYS
    meter = rendered["meters"]["metronome.m.meter"]
    assert list(meter) == ["count", *RATE_KEYS, "units"]
    assert meter["units"] == "events/second"
    timer = rendered["timers"]["metronome.t.timer.seconds"]
    assert list(timer) == [*DISTRIBUTION_KEYS, *RATE_KEYS, "duration_units", "rate_units"]
    assert (timer["duration_units"], timer["rate_units"]) == ("seconds", "calls/second")
    # One call seen by one 5 s tick: 0.2 calls a second, as in the seed's example.
    assert (timer["count"], timer["m1_rate"], timer["mean_rate"]) == (1, 0.2, 1 / 7)
    json.dumps(rendered, allow_nan=False)


SAMPLE_LINE = re.compile(
    r'(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{quantile="(?P<quantile>[0-9.]+)"\})? (?P<value>\S+)'
)
COMMENT_LINE = re.compile(r"# (?P<kind>HELP|TYPE) (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?P<rest>.+)")


def test_prometheus_text_parses_line_by_line(registry: MetricsRegistry) -> None:
    registry.counter("http.responses.2xx.rate").inc(3)
    registry.gauge("jobs.active", lambda: 2)
    registry.histogram("payload").update(10)
    registry.meter("mesos.offers.incoming").mark(4)
    timer = registry.timer("debug.job-spec.operations.create.duration")
    for ms in range(1, 101):
        timer.update(ms / 1000)

    text = registry.to_prometheus()

    assert text.endswith("\n")
    helps: list[str] = []
    types: dict[str, str] = {}
    samples: dict[tuple[str, str | None], float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            comment = COMMENT_LINE.fullmatch(line)
            assert comment, line
            if comment["kind"] == "HELP":
                helps.append(comment["name"])
            else:
                assert comment["name"] not in types, f"TYPE twice for {comment['name']}"
                types[comment["name"]] = comment["rest"]
            continue
        sample = SAMPLE_LINE.fullmatch(line)
        assert sample, line
        family = re.sub(r"_(sum|count)$", "", sample["name"])
        assert family in types, f"sample before its TYPE: {line}"
        samples[sample["name"], sample["quantile"]] = float(sample["value"])

    timer_name = "metronome_debug_job_spec_operations_create_duration_timer_seconds"
    assert types == {
        "metronome_debug_job_spec_operations_create_duration_timer_seconds": "summary",
        "metronome_http_responses_2xx_rate_counter_total": "counter",
        "metronome_jobs_active_gauge": "gauge",
        "metronome_mesos_offers_incoming_meter_total": "counter",
        "metronome_payload_histogram": "summary",
    }
    assert sorted(helps) == sorted(types)
    assert samples["metronome_http_responses_2xx_rate_counter_total", None] == 3
    assert samples["metronome_mesos_offers_incoming_meter_total", None] == 4
    assert samples["metronome_jobs_active_gauge", None] == 2.0
    assert samples[timer_name, "0.5"] == pytest.approx(0.05, abs=0.001)
    assert samples[timer_name, "0.99"] == pytest.approx(0.099, abs=0.001)
    assert samples[f"{timer_name}_sum", None] == pytest.approx(5.05)
    assert samples[f"{timer_name}_count", None] == 100
    quantiles = {q for name, q in samples if name == "metronome_payload_histogram"}
    assert quantiles == {"0.5", "0.75", "0.95", "0.98", "0.99", "0.999"}


def test_concurrent_increments_are_all_counted(registry: MetricsRegistry) -> None:
    counter = registry.counter("jobs.started")

    def work() -> None:
        for _ in range(10_000):
            counter.inc()

    _run_threads(work, 8)

    assert counter.count == 80_000


def test_concurrent_updates_while_rendering(registry: MetricsRegistry, clock: FakeClock) -> None:
    timer = registry.timer("http.requests.duration")
    meter = registry.meter("offers")
    rendered: list[dict[str, Any]] = []
    stop = threading.Event()

    def update() -> None:
        for i in range(5_000):
            timer.update(i / 1000)
            meter.mark()
            clock.advance(0.001)  # races harmlessly: only the meters read it

    def render() -> None:
        while not stop.is_set():
            rendered.append(registry.to_json())
            registry.to_prometheus()

    renderer = threading.Thread(target=render)
    renderer.start()
    try:
        _run_threads(update, 4)
    finally:
        stop.set()
        renderer.join()

    final = registry.to_json()
    assert rendered
    assert final["timers"]["metronome.http.requests.duration.timer.seconds"]["count"] == 20_000
    assert final["meters"]["metronome.offers.meter"]["count"] == 20_000
    assert timer.snapshot().sum == pytest.approx(4 * sum(i / 1000 for i in range(5_000)))


def _run_threads(target: Any, n: int) -> None:
    # Switching threads every microsecond instead of every 5 ms makes lost updates likely if a
    # read-modify-write is ever left unlocked.
    interval_s = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=target) for _ in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval_s)


def _numbers(section: dict[str, Any]) -> list[float]:
    return [value for value in section.values() if not isinstance(value, str)]
