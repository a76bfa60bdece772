"""What an actor's failure means, decided by its owner (issue 19: no silently dead actor).

The strategies, from the mildest:

1. A write the store refuses (disk full, ZooKeeper down or timing out) is retried with back-off
   (`PendingWrites`). The step changes the actor's state only once its write succeeds, so running
   it again is the retry; the view keeps showing what the store holds meanwhile, and the run that
   ended meanwhile is recorded with its real outcome when the store takes writes again. A
   request runs the pending steps first (`ensure_clear`) and is a 503 while they are refused.
2. Any other exception kills the actor; its parent restarts it from the store (a job actor from
   its records by the supervisor, a run actor from its record by the job actor) after
   `RESTART_BACKOFF`, and the job answers 503 naming the cause until then.
3. A job that keeps failing (more than `MAX_RESTARTS` within `RESTART_WINDOW_S`) is withdrawn
   from listings with its cause; its own requests answer 503 with it, and restarts go on at the
   longest back-off, so the job returns by itself once the cause is gone. A run actor that keeps
   failing is aborted: its run ends FAILED (LOST, with the cause).

Each failure is logged once with its context (later retries of the same write log at DEBUG) and
counted: `jobs.write.failures`, `jobs.restarts`, `jobs.withdrawn`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pykka

from metronome.errors import Unavailable
from metronome.storage import NodeExistsError, NoNodeError, StorageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from metronome.actors._context import ActorContext
    from metronome.actors._timers import TimerHandle

logger = logging.getLogger(__name__)

MAX_RESTARTS = 3
"""Restarts of one job allowed within `RESTART_WINDOW_S` before it is withdrawn."""
RESTART_WINDOW_S = 60.0


@dataclass(frozen=True)
class Backoff:
    """Delays that double from `first_s` up to `max_s`."""

    first_s: float
    max_s: float

    def delay_s(self, attempt: int) -> float:
        return min(self.first_s * 2.0 ** max(attempt - 1, 0), self.max_s)


WRITE_BACKOFF = Backoff(first_s=0.5, max_s=30.0)
RESTART_BACKOFF = Backoff(first_s=1.0, max_s=60.0)


def retryable(exc: BaseException) -> bool:
    """Whether a failed write may succeed later unchanged: the store failed, not the request.

    A missing or existing node is an answer about the data (a 404 or a 409), never retried.
    """
    return isinstance(exc, StorageError) and not isinstance(exc, NoNodeError | NodeExistsError)


@dataclass(frozen=True)
class RetryWrites:
    """Told to an actor by its timer: run its pending writes again."""


@dataclass(slots=True)  # one per job
class PendingWrites:
    """An actor's refused writes, run again in order with back-off until the store takes them.

    Each step MUST change the actor's state only after its write succeeded.
    """

    context: ActorContext
    actor: pykka.ActorRef[Any]
    name: str
    """Whose writes, for the logs (e.g. `Job a`)."""
    cause: str | None = None
    """Why the first pending write failed; None while nothing is pending."""
    _steps: list[tuple[str, Callable[[], None]]] = field(default_factory=list)
    """A list, not a deque: few steps are ever pending, and an empty deque costs 760 bytes on
    each of 100,000 idle jobs (docs/benchmarks.md)."""
    _attempt: int = 0
    _timer: TimerHandle | None = None
    _retrying: bool = False

    def run(self, what: str, step: Callable[[], None]) -> None:
        """Run `step` now, or queue it behind the writes already pending (order is kept); a
        write the store refuses is queued for a retry. Steps a request waits for are not
        queued: the request runs `ensure_clear`, then writes, and a refusal is its 503."""
        if self._retrying:  # asked by the step being retried: it runs next, in this retry
            self._steps.append((what, step))
            return
        if self._steps:
            self.retry()
        if self._steps:
            self._steps.append((what, step))
            return
        try:
            step()
        except Exception as exc:
            if not retryable(exc):
                raise
            self._steps.append((what, step))
            self._failed(what, exc)

    def ensure_clear(self) -> None:
        """Run the pending writes before a requested change, which must not overtake them.

        Raises:
            Unavailable: the store still refuses them (the message says why).
        """
        if self._steps:
            self.retry()
        if self._steps:
            msg = f"{self.name} cannot be changed now: the store refuses its writes ({self.cause})"
            raise Unavailable(msg)

    def retry(self) -> None:
        """Run the pending steps in order; stop at the first one refused again."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._retrying = True
        try:
            while self._steps:
                what, step = self._steps[0]
                try:
                    step()
                except Exception as exc:
                    if not retryable(exc):
                        raise
                    self._failed(what, exc)
                    return
                del self._steps[0]
        finally:
            self._retrying = False
        if self.cause is not None:
            logger.info(
                "%s: the store takes writes again after %d retries", self.name, self._attempt
            )
            self.cause = None
            self._attempt = 0

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _failed(self, what: str, exc: BaseException) -> None:
        self._attempt += 1
        self.context.metrics.counter("jobs.write.failures").inc()
        delay_s = WRITE_BACKOFF.delay_s(self._attempt)
        if self.cause is None:
            self.cause = str(exc)
            logger.warning("%s: cannot %s (%s); retrying with back-off", self.name, what, exc)
        else:
            logger.debug("%s: cannot %s (%s); retry %d", self.name, what, exc, self._attempt)
        if self._timer is None:
            self._timer = tell_later(self.context, delay_s, self.actor, RetryWrites())


class RestartCounter:
    """Restarts of one child in a sliding window: how long to wait, and when to give up."""

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def record(self) -> None:
        now = time.monotonic()
        self._times.append(now)
        while self._times and now - self._times[0] > RESTART_WINDOW_S:
            self._times.popleft()

    @property
    def recent(self) -> int:
        """Restarts within the window."""
        return len(self._times)

    @property
    def exhausted(self) -> bool:
        return self.recent > MAX_RESTARTS

    def delay_s(self) -> float:
        if self.exhausted:
            return RESTART_BACKOFF.max_s
        return RESTART_BACKOFF.delay_s(self.recent)


def describe(exc: BaseException | None) -> str:
    """An exception as a cause in an answer: its type and message."""
    if exc is None:
        return "unknown error"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _tell(actor: pykka.ActorRef[Any], message: object) -> None:
    """Tell from a timer; an actor gone meanwhile has nothing left to retry."""
    with contextlib.suppress(pykka.ActorDeadError):
        actor.tell(message)


def tell_later(
    context: ActorContext, delay_s: float, actor: pykka.ActorRef[Any], message: object
) -> TimerHandle:
    due = context.clock() + timedelta(seconds=delay_s)
    return context.timers.call_at(due, lambda: _tell(actor, message))
