"""The actor pool: pykka's contract on shared threads."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

from metronome.actors import ActorPool
from metronome.actors._runtime import PooledActor

if TYPE_CHECKING:
    from collections.abc import Iterator


class Recorder(PooledActor):
    """Appends `(name, message)` to a shared list and answers twice the message."""

    def __init__(self, pool: ActorPool, name: str, seen: list[tuple[str, Any]]) -> None:
        super().__init__(pool)
        self._name = name
        self._seen = seen

    def on_receive(self, message: Any) -> Any:
        self._seen.append((self._name, message))
        return message * 2


class FirstRecorder(Recorder):
    first_in_pool = True


class Blocker(PooledActor):
    """Holds its worker until `release` is set."""

    def __init__(self, pool: ActorPool, began: threading.Event, release: threading.Event) -> None:
        super().__init__(pool)
        self._began = began
        self._release = release

    def on_receive(self, message: Any) -> None:
        self._began.set()
        self._release.wait(5)


@pytest.fixture
def pool() -> Iterator[ActorPool]:
    pool = ActorPool(1, name="test-actor")
    yield pool
    pool.stop()


def test_one_actor_handles_its_mail_in_order_and_answers(pool: ActorPool) -> None:
    seen: list[tuple[str, Any]] = []
    actor = Recorder.start(pool, "a", seen)

    futures = [actor.ask(n, block=False) for n in range(100)]

    assert [f.get(timeout=5) for f in futures] == [2 * n for n in range(100)]
    assert seen == [("a", n) for n in range(100)]


def test_stop_handles_the_mail_queued_before_it() -> None:
    pool = ActorPool(2, name="test-actor")
    seen: list[tuple[str, Any]] = []
    actors = [Recorder.start(pool, f"a{i}", seen) for i in range(4)]
    for actor in actors:
        actor.tell(1)

    pool.stop()

    assert sorted(seen) == [(f"a{i}", 1) for i in range(4)]


def test_an_actor_first_in_pool_runs_ahead_of_the_others_waiting(pool: ActorPool) -> None:
    seen: list[tuple[str, Any]] = []
    began, release = threading.Event(), threading.Event()
    Blocker.start(pool, began, release).tell("hold")
    assert began.wait(5)  # the pool's one worker is busy: what follows waits for it
    rest = [Recorder.start(pool, f"r{i}", seen) for i in range(3)]
    for actor in rest:
        actor.tell(1)
    first = FirstRecorder.start(pool, "f", seen)
    answer = first.ask(1, block=False)

    release.set()

    assert answer.get(timeout=5) == 2
    for actor in rest:
        assert actor.ask(2, block=False).get(timeout=5) == 4
    assert seen[0] == ("f", 1)
    assert sorted(seen[1:4]) == [(f"r{i}", 1) for i in range(3)]
