"""Job dependencies (metronome-behavior.md §3.6): which job waits for which, and when it runs.

`DependencyGraph` is the one place that knows every job's parents and checks the rules
(unknown parents, cycles, no schedules beside dependencies, no deleting a parent): job actors
claim their spec's edges before persisting it and give them back if the write fails, so two
concurrent changes can never build a cycle between them.

A job runs once every parent's latest run has succeeded since the job's own last success and
since the parent run it last answered (`JobHistory.dependency_marks`). Both are persisted, the
parents' outcomes in their own histories, so the rule is re-evaluated after a restart or a
fail-over: a dependent run is neither lost (a parent ended while nobody was told) nor repeated
(its mark is written in the same commit as the run). Metronome keeps parents' runs in memory only.
"""

from __future__ import annotations

import dataclasses
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metronome.errors import Conflict, ServiceError
from metronome.model import DEPENDENCIES_AND_SCHEDULES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from datetime import datetime

    from metronome.actors._context import ActorContext
    from metronome.actors._view import JobView
    from metronome.model import JobHistory, JobId, JobSpec


class InvalidDependencies(ServiceError):
    """A job's dependencies break a rule (Metronome's 422 messages, behavior §2.6)."""

    status = 422


@dataclass(frozen=True)
class ParentFinished:
    """Told to a job actor: a run of one of its parents ended; the rule may now be met."""


class DependencyGraph:
    """Every job's parents, and who depends on whom; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parents: dict[JobId, tuple[JobId, ...]] = {}
        self._children: dict[JobId, set[JobId]] = {}

    def load(self, specs: Iterable[JobSpec]) -> None:
        """Take the stored jobs as they are (they were checked when written)."""
        with self._lock:
            for spec in specs:
                self._set(spec.id, spec.dependencies)

    def check(self, spec: JobSpec, *, new: bool) -> None:
        """Raises InvalidDependencies if `spec` breaks a rule (see `claimed`)."""
        with self._lock:
            self._validate(spec, new=new)

    @contextmanager
    def claimed(self, spec: JobSpec, *, new: bool = False) -> Iterator[None]:
        """Record `spec`'s edges while the caller persists it; undone if the body raises.

        Raises:
            InvalidDependencies: an unknown parent, a cycle, or dependencies beside schedules.
        """
        undo = self.claim(spec, new=new)
        try:
            yield
        except BaseException:
            undo()
            raise

    def claim(self, spec: JobSpec, *, new: bool = False) -> Callable[[], None]:
        """Record `spec`'s edges now, for a write whose outcome comes later; the call returned
        undoes it (the write failed). Raises as `claimed` does."""
        with self._lock:
            self._validate(spec, new=new)
            previous = self._parents.get(spec.id)
            self._set(spec.id, spec.dependencies)

        def undo() -> None:
            with self._lock:
                self._restore(spec.id, previous)

        return undo

    @contextmanager
    def released(self, job_id: JobId) -> Iterator[None]:
        """Forget the job while the caller deletes it; put back if the body raises.

        Raises:
            Conflict: other jobs depend on it (Metronome's 409, naming them).
        """
        with self._lock:
            children = sorted(self._children.get(job_id, ()))
            if children:
                msg = (
                    f"There are jobs with a dependency on {job_id}. "
                    f"children=[{', '.join(children)}]"
                )
                raise Conflict(msg)
            previous = self._parents.get(job_id)
            self._restore(job_id, None)
        try:
            yield
        except BaseException:
            with self._lock:
                self._restore(job_id, previous)
            raise

    def knows(self, job_id: JobId) -> bool:
        """Whether the job exists (or is being created) and is not being deleted."""
        with self._lock:
            return job_id in self._parents

    def children(self, job_id: JobId) -> list[JobId]:
        with self._lock:
            return sorted(self._children.get(job_id, ()))

    def _validate(self, spec: JobSpec, *, new: bool) -> None:
        if spec.dependencies and spec.schedules:
            raise InvalidDependencies(DEPENDENCIES_AND_SCHEDULES)
        if not new and self._parents.get(spec.id) == spec.dependencies:
            return
        # A job being created is not in the graph yet: depending on itself reads as unknown.
        unknown = sorted(p for p in set(spec.dependencies) if p not in self._parents)
        if unknown:
            msg = f"Dependencies contain unknown jobs. unknown=[{', '.join(unknown)}]"
            raise InvalidDependencies(msg)
        if not new and self._reaches(spec.dependencies, spec.id):
            raise InvalidDependencies("Dependencies have a cycle.")

    def _reaches(self, starts: Iterable[JobId], target: JobId) -> bool:
        """Whether `target` is one of `starts` or among their ancestors."""
        seen: set[JobId] = set()
        pending = list(starts)
        while pending:
            job_id = pending.pop()
            if job_id == target:
                return True
            if job_id not in seen:
                seen.add(job_id)
                pending.extend(self._parents.get(job_id, ()))
        return False

    def _set(self, job_id: JobId, parents: tuple[JobId, ...]) -> None:
        self._restore(job_id, None)
        self._parents[job_id] = parents
        for parent in parents:
            self._children.setdefault(parent, set()).add(job_id)

    def _restore(self, job_id: JobId, parents: tuple[JobId, ...] | None) -> None:
        for parent in self._parents.pop(job_id, ()):
            children = self._children.get(parent)
            if children is not None:
                children.discard(job_id)
                if not children:
                    del self._children[parent]
        if parents is not None:
            self._set(job_id, parents)


def tell_children(context: ActorContext, job_id: JobId) -> None:
    """A run of `job_id` ended (its history is published): its children re-evaluate."""
    for child in context.dependencies.children(job_id):
        entry = context.view.get(child)
        if entry is not None:
            entry.ref.tell(ParentFinished())


def with_baseline(view: JobView, spec: JobSpec, history: JobHistory) -> JobHistory:
    """The history with a mark for each new parent at its latest run: a parent's runs from
    before the job depended on it do not count (as in Metronome, which starts knowing none)."""
    marks = {
        parent: history.dependency_marks.get(parent) or _latest(view, parent)
        for parent in spec.dependencies
    }
    kept = {parent: mark for parent, mark in marks.items() if mark is not None}
    if kept == history.dependency_marks:
        return history
    return dataclasses.replace(history, dependency_marks=kept)


def due(context: ActorContext, spec: JobSpec, history: JobHistory) -> JobHistory | None:
    """The history to write with a dependency run if one is due now, else None.

    Due when each parent's latest run succeeded, after the job's last success and after the
    parent's mark; the new marks are those runs' ends. Never for a job being deleted (its runs
    are stopped first, and each stop would be a chance to start another).
    """
    if not spec.dependencies or not context.dependencies.knows(spec.id):
        return None
    view = context.view
    marks: dict[JobId, datetime] = {}
    for parent in spec.dependencies:
        entry = view.get(parent)
        outcome = None if entry is None or entry.history is None else _outcome(entry.history)
        if outcome is None or not outcome[0]:
            return None
        ended = outcome[1]
        mark = history.dependency_marks.get(parent)
        if (history.last_success_at is not None and ended <= history.last_success_at) or (
            mark is not None and ended <= mark
        ):
            return None
        marks[parent] = ended
    return dataclasses.replace(history, dependency_marks=marks)


def _latest(view: JobView, job_id: JobId) -> datetime | None:
    entry = view.get(job_id)
    outcome = None if entry is None or entry.history is None else _outcome(entry.history)
    return None if outcome is None else outcome[1]


def _outcome(history: JobHistory) -> tuple[bool, datetime] | None:
    """(succeeded, ended at) of the job's latest finished run; None if it never ran."""
    success, failure = history.last_success_at, history.last_failure_at
    if success is None and failure is None:
        return None
    if failure is None or (success is not None and success > failure):
        assert success is not None
        return True, success
    return False, failure
