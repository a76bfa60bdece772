"""Pykka actors that share a small pool of threads instead of owning one each.

`pykka.ThreadingActor` costs one OS thread per actor: 10,000 of them take seconds to start and
hundreds of MB (shared/docs/architecture.md). A `PooledActor` keeps pykka's contract (refs,
proxies, futures, `on_start`/`on_stop`/`on_failure`, one message at a time, in order) but runs its
messages on an `ActorPool` worker only while it has mail, so an idle actor costs one small object.

pykka has no public hook for running an actor's loop elsewhere, so this module overrides private
methods of `pykka.Actor` and uses `pykka._envelope`. pykka is therefore pinned to one version in
pyproject.toml, and tests/actors/test_runtime_contract.py fails when an upgrade changes any of
what is relied on here (names, signatures, and the body of `_actor_loop_running` that
`_handle_envelope` follows).
"""

from __future__ import annotations

import logging
import queue
import random
import sys
import threading
import uuid
from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

import pykka

if TYPE_CHECKING:
    from collections.abc import Callable

    from pykka._envelope import Envelope

logger = logging.getLogger(__name__)

_SLICE = 64
"""Messages an actor handles before it yields its worker, so one busy actor cannot starve others."""


class CallbackFuture(pykka.ThreadingFuture[Any]):
    """A threading future that also calls callbacks when it completes.

    Callbacks run on the thread that completes the future; they must only hand the future over
    (e.g. `loop.call_soon_threadsafe`), never block.
    """

    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[CallbackFuture], None]] | None = []

    def add_done_callback(self, callback: Callable[[CallbackFuture], None]) -> None:
        with self._condition:
            if self._callbacks is not None:
                self._callbacks.append(callback)
                return
        callback(self)

    def set(self, value: Any | None = None) -> None:
        super().set(value)
        self._run_callbacks()

    def set_exception(self, exc_info: Any = None) -> None:
        super().set_exception(exc_info if exc_info is not None else sys.exc_info())
        self._run_callbacks()

    def _run_callbacks(self) -> None:
        with self._condition:
            callbacks, self._callbacks = self._callbacks or [], None
        for callback in callbacks:
            try:
                callback(self)
            except Exception:
                logger.exception("Future callback %r failed", callback)


class _Mailbox:
    """An actor inbox that asks the pool for a worker when mail arrives for an idle actor.

    Its queue is made on the first message: an empty deque costs 760 bytes, and most of 100,000
    loaded job actors never receive one until their schedule fires (docs/benchmarks.md).
    """

    __slots__ = ("_lock", "_messages", "_scheduled", "_wake")

    def __init__(self) -> None:
        self._messages: deque[Envelope[Any]] | None = None
        self._lock = threading.Lock()
        self._scheduled = False
        self._wake: Callable[[], None] | None = None

    def bind(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wake = wake
            self._scheduled = True
        wake()

    def put(self, envelope: Envelope[Any], /) -> None:
        with self._lock:
            if self._messages is None:
                self._messages = deque()
            self._messages.append(envelope)
            if self._scheduled or self._wake is None:
                return
            self._scheduled = True
            wake = self._wake
        wake()

    def get(self) -> Envelope[Any]:
        assert self._messages is not None, "get() only after empty() said there is mail"
        return self._messages.popleft()

    def empty(self) -> bool:
        return not self._messages

    def release(self) -> bool:
        """Give up the worker; True if mail arrived meanwhile and the actor must run again."""
        with self._lock:
            if self._messages:
                return True
            self._scheduled = False
            return False


class ActorPool:
    """A fixed set of worker threads that run pooled actors' message slices.

    Actors whose class says `first_in_pool` are run before any other that is waiting: a job
    actor's `Fire` does not queue behind the run work of the fires before it (docs/benchmarks.md,
    10,000 jobs due at one instant).
    """

    def __init__(self, threads: int, name: str = "actor") -> None:
        self._wakeups: queue.SimpleQueue[bool] = queue.SimpleQueue()
        """One True per actor queued (it is in one of the deques); False stops a worker."""
        self._lock = threading.Lock()
        self._first: deque[PooledActor] = deque()
        self._rest: deque[PooledActor] = deque()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()
        logger.info("Started actor pool with %d threads", threads)

    def submit(self, actor: PooledActor) -> None:
        (self._first if actor.first_in_pool else self._rest).append(actor)
        self._wakeups.put(True)  # after the append: a worker woken finds an actor queued

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the workers once the mail queued so far is handled."""
        for _ in self._threads:
            self._wakeups.put(False)
        for thread in self._threads:
            thread.join(timeout_s)
        logger.info("Stopped actor pool")

    def _work(self) -> None:
        while self._wakeups.get():
            with self._lock:
                actor = self._first.popleft() if self._first else self._rest.popleft()
            try:
                actor._run_slice()
            except BaseException:
                logger.exception("Actor %s crashed its worker slice", actor)


class _StopFlag(threading.Event):
    """`actor_stopped` without the condition variable: a `threading.Event` costs 1.2 KB, most of
    it its `Condition`, on each of 100,000 actors. Pykka and this runtime only set and test it
    (nothing waits on it: a stop is awaited through its reply future), so a flag does."""

    def __init__(self) -> None:  # no super().__init__(): that is the Condition this avoids
        self._flag = False

    def set(self) -> None:
        self._flag = True

    def wait(self, timeout: float | None = None) -> bool:
        msg = "a pooled actor's stop is awaited through ActorRef.stop(), not actor_stopped"
        raise NotImplementedError(msg)


class PooledActor(pykka.Actor):
    """A pykka actor whose messages run on an `ActorPool` worker.

    Subclasses MUST call `super().__init__(pool)`. Like every pykka actor, it handles one message
    at a time, in arrival order; blocking calls inside a handler (a store write) hold one worker.
    """

    first_in_pool: ClassVar[bool] = False
    """Run ahead of the other actors waiting for a worker (see `ActorPool`)."""

    def __init__(self, pool: ActorPool) -> None:
        # The fields of pykka.Actor.__init__, set here instead of calling it: its uuid4() is an
        # os.urandom system call per actor, which on a loaded machine waits for the GIL again
        # (~0.2 ms each when 100,000 jobs load), and its threading.Event is what _StopFlag saves.
        self.actor_urn = uuid.UUID(int=random.getrandbits(128), version=4).urn
        self.actor_inbox = self._create_actor_inbox()
        self.actor_stopped = _StopFlag()
        self._actor_ref = pykka.ActorRef(self)
        self._pool = pool
        self._started = False

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> pykka.ActorRef[Any]:
        """Start the actor without entering it in pykka's `ActorRegistry`.

        The registry is a list: every stop scans it, so stopping 50,000 registered actors took a
        minute (docs/benchmarks.md). Pooled actors are owned and stopped by their parents instead.
        """
        actor = cls(*args, **kwargs)
        actor._start_actor_loop()
        return actor.actor_ref

    @staticmethod
    def _create_actor_inbox() -> _Mailbox:
        return _Mailbox()

    @staticmethod
    def _create_future() -> CallbackFuture:
        return CallbackFuture()

    def _start_actor_loop(self) -> None:
        # The ref in pykka's registry holds the mailbox and the mailbox's wake-up closure holds
        # the actor: that chain keeps an idle actor alive, as its thread does for ThreadingActor.
        # pykka types actor_inbox as its Queue; __init__ above made it a _Mailbox.
        mailbox: _Mailbox = self.actor_inbox  # type: ignore[assignment]
        mailbox.bind(lambda: self._pool.submit(self))

    def _run_slice(self) -> None:
        mailbox: _Mailbox = self.actor_inbox  # type: ignore[assignment]  # a _Mailbox, as above
        if not self._started:
            self._started = True
            self._actor_loop_setup()
        for _ in range(_SLICE):
            if self.actor_stopped.is_set() or mailbox.empty():
                break
            self._handle_envelope(mailbox.get())
        if self.actor_stopped.is_set():
            self._actor_loop_teardown()
            return
        if mailbox.release():
            self._pool.submit(self)

    def _actor_loop_setup(self) -> None:
        # pykka stops an actor whose `on_start` raises without calling `on_failure`, so its
        # parent would never hear of it (issue 19): report it like any other failure.
        try:
            self.on_start()
        except Exception:  # noqa: BLE001 - pykka's contract: any failure of a hook stops the actor
            self._fail()

    def _fail(self) -> None:
        """Stop after an unhandled exception (the one being handled) and call `on_failure`."""
        self._handle_failure(*sys.exc_info())
        try:
            self.on_failure(*sys.exc_info())
        except Exception:  # noqa: BLE001 - pykka's contract: a failing hook is logged
            self._handle_failure(*sys.exc_info())

    def _handle_envelope(self, envelope: Envelope[Any]) -> None:
        # The body of pykka's `_actor_loop_running`, for one message.
        try:
            response = self._handle_receive(envelope.message)
            if envelope.reply_to is not None:
                envelope.reply_to.set(response)
        except Exception:
            if envelope.reply_to is not None:
                logger.debug("Exception returned from %s to caller", self, exc_info=True)
                envelope.reply_to.set_exception()
            else:
                self._fail()
        except BaseException:  # noqa: BLE001 - SystemExit and the like end this actor only
            # pykka would call ActorRegistry.stop_all() here, but pooled actors are not in the
            # registry: this one stops, and its parent learns of it as of any stopped actor.
            logger.error("%r in %s: stopping the actor", sys.exc_info()[1], self)
            self._stop()


__all__ = ["ActorPool", "CallbackFuture", "PooledActor"]
