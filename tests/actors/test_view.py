"""The read side's writes: which entry and which failure a reader sees after each."""

from __future__ import annotations

from typing import Any, cast

from metronome.actors._view import JobEntry, JobView
from metronome.model import JobId, JobSpec, RunSpec

JOB = JobId("nightly")
REF = cast("Any", object())  # the view never calls the actor


def entry() -> JobEntry:
    return JobEntry(JobSpec(JOB, RunSpec(cpus=0.1, mem=32, disk=0)), REF)


def test_a_loaded_entry_never_replaces_one_its_started_actor_published() -> None:
    view = JobView()
    newer, loaded = entry(), entry()
    view.publish(newer)  # the actor's own, from its start, landed first
    view.publish_loaded(loaded)
    assert view.get(JOB) is newer
    fresh = JobView()
    fresh.publish_loaded(loaded)
    assert fresh.get(JOB) is loaded


def test_a_withdrawn_job_keeps_its_failure_until_published_again() -> None:
    view = JobView()
    view.publish(entry())
    view.withdraw(JOB, failure="withdrawn after failures: disk full")
    assert view.get(JOB) is None
    assert view.failure(JOB) == "withdrawn after failures: disk full"
    assert view.entries() == []
    again = entry()
    view.publish(again)
    assert view.get(JOB) is again
    assert view.failure(JOB) is None


def test_a_failed_job_keeps_its_entry_and_a_deleted_one_keeps_nothing() -> None:
    view = JobView()
    published = entry()
    view.publish(published)
    view.mark_failed(JOB, "its actor failed (boom); restarting")
    assert view.get(JOB) is published
    assert view.failure(JOB) == "its actor failed (boom); restarting"
    view.withdraw(JOB)
    assert view.get(JOB) is None
    assert view.failure(JOB) is None
    assert len(view) == 0
