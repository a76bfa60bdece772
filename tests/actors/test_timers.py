"""The shared timer thread: callbacks at their instants, armed from many threads without a lock."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from metronome.actors import TimerService


@pytest.fixture
def timers() -> Iterator[TimerService]:
    service = TimerService(lambda: datetime.now(UTC))
    yield service
    service.stop()


def test_an_earlier_timer_wakes_the_thread_sleeping_until_a_later_one(
    timers: TimerService,
) -> None:
    fired = threading.Event()
    timers.call_at(datetime.now(UTC) + timedelta(minutes=5), lambda: None)
    time.sleep(0.1)  # the thread now sleeps toward the later instant (at most 1 s a wait)
    armed = time.monotonic()
    timers.call_at(datetime.now(UTC) + timedelta(milliseconds=20), fired.set)
    assert fired.wait(2)
    assert time.monotonic() - armed < 0.5  # woken, not found at the end of a 1 s wait


def test_timers_armed_from_eight_threads_each_fire_once_and_cancelled_ones_never(
    timers: TimerService,
) -> None:
    per_thread = 2_000
    fired: list[int] = []
    done = threading.Event()
    expected = 8 * per_thread // 2  # every odd one is cancelled

    def fire(n: int) -> None:
        fired.append(n)
        if len(fired) == expected:
            done.set()

    def arm(offset: int) -> None:
        rng = random.Random(offset)
        for i in range(per_thread):
            n = offset + i
            at = datetime.now(UTC) + timedelta(milliseconds=rng.randint(0, 300))
            handle = timers.call_at(at, lambda n=n: fire(n))
            if n % 2:
                handle.cancel()

    threads = [threading.Thread(target=arm, args=(k * per_thread,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done.wait(5), f"{len(fired)} of {expected} fired"
    time.sleep(0.4)  # past the latest instant: nothing more may fire
    assert sorted(fired) == list(range(0, 8 * per_thread, 2))


def test_callbacks_run_in_instant_order(timers: TimerService) -> None:
    fired: list[int] = []
    done = threading.Event()
    start = datetime.now(UTC) + timedelta(milliseconds=100)
    for n in (3, 1, 2, 0):
        timers.call_at(start + timedelta(milliseconds=10 * n), lambda n=n: fired.append(n))
    timers.call_at(start + timedelta(milliseconds=50), done.set)
    assert done.wait(2)
    assert fired == [0, 1, 2, 3]
