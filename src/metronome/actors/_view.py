"""The read side: job snapshots that actors publish and HTTP handlers read.

Handlers answer reads from here instead of asking an actor, so `GET /v1/jobs/{id}` costs a dict
lookup, not two thread hops. An entry is published after the change it shows is persisted, so a
reader never sees a state that is not on disk: by the job's own actor, and by the supervisor when it
loads, creates or withdraws a job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import pykka

    from metronome.actors._job import JobActor, JobActorProxy
    from metronome.model import JobHistory, JobId, JobRun, JobSpec


class JobEntry:
    """One published version of a job: its spec, active runs and history.

    Its fields are not reassigned once published, except `rendered`: a cache that the HTTP layer
    fills with its rendering of the spec on first read (a benign race: two readers render the same
    text). It is carried over to the next version while the spec is the same object.
    """

    __slots__ = ("_actor", "history", "ref", "rendered", "runs", "spec")

    def __init__(
        self,
        spec: JobSpec,
        ref: pykka.ActorRef[JobActor],
        runs: tuple[JobRun, ...] = (),
        history: JobHistory | None = None,
    ) -> None:
        self.spec = spec
        self.ref = ref
        self.runs = runs
        self.history = history
        self.rendered: bytes | None = None
        self._actor: JobActorProxy | None = None

    def carry_over(self, previous: JobEntry) -> None:
        """Keep what the previous version built that is still valid: its proxy, and its
        rendering while the spec is the same object."""
        self._actor = previous._actor
        if previous.spec is self.spec:
            self.rendered = previous.rendered

    @property
    def actor(self) -> JobActorProxy:
        """A proxy to the job's actor, built on first use: a proxy costs ~0.1 ms to build, too much
        to spend on each of 10,000 jobs loaded at start-up."""
        if self._actor is None:
            self._actor = cast("JobActorProxy", self.ref.proxy())
        return self._actor

    def run(self, run_id: str) -> JobRun | None:
        return next((run for run in self.runs if run.id == run_id), None)


class JobView:
    """Map of job id to its latest published entry, and of failed jobs to why.

    A job whose actor failed keeps its entry (what the store holds) and gains a failure until it
    is published again; a withdrawn job keeps only its failure, so it leaves listings while its
    own requests still learn why (a 503, never a 404 for a job that exists).

    No lock: one job's entry is written by one party at a time (its actor, or the supervisor
    while the actor is not running), so each write is a few single dict operations, which the
    interpreter makes atomic. A lock here was a convoy: eight pool threads publishing 100,000
    loaded jobs queued on it behind the GIL, and the load took 28 s instead of 9
    (docs/benchmarks.md).
    """

    def __init__(self) -> None:
        self._entries: dict[str, JobEntry] = {}  # keyed by JobId; read with a path's text
        self._failures: dict[str, str] = {}

    def publish(self, entry: JobEntry) -> None:
        self._entries[entry.spec.id] = entry
        if self._failures:
            self._failures.pop(entry.spec.id, None)

    def publish_loaded(self, entry: JobEntry) -> None:
        """Publish a job as loaded unless its actor, already started, published a newer one."""
        self._entries.setdefault(entry.spec.id, entry)

    def withdraw(self, job_id: JobId, *, failure: str | None = None) -> None:
        """Remove the job; with `failure`, it still exists but cannot be served (why)."""
        if failure is not None:
            self._failures[job_id] = failure
        self._entries.pop(job_id, None)
        if failure is None:
            self._failures.pop(job_id, None)

    def mark_failed(self, job_id: JobId, failure: str) -> None:
        self._failures[job_id] = failure

    def failure(self, job_id: str) -> str | None:
        """Why the job cannot be served now, if its actor failed."""
        return self._failures.get(job_id)

    def get(self, job_id: str) -> JobEntry | None:
        return self._entries.get(job_id)

    def entries(self) -> list[JobEntry]:
        """Every entry, in no particular order (a copy: one C call, so no write interleaves)."""
        return list(self._entries.copy().values())

    def all(self) -> list[JobEntry]:
        """Every entry, sorted by job id (for listings)."""
        return sorted(self.entries(), key=lambda entry: entry.spec.id)

    def __len__(self) -> int:
        return len(self._entries)
