"""What a job's notifications say, from two versions of its history (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from metronome.model import JobHistory, JobId, RunId, RunInfo
from metronome.webhooks._changes import changes
from metronome.webhooks._targets import Event

AT = datetime(2026, 12, 3, 12, tzinfo=UTC)


def _run(run_id: str) -> RunInfo:
    return RunInfo(RunId(run_id), AT, AT)


def test_missed_and_skipped_slots_are_counted_since_last_seen() -> None:
    before = JobHistory(JobId("j"), missed_count=1, skipped_count=2)
    after = JobHistory(JobId("j"), missed_count=4, skipped_count=2)
    assert changes(before, after) == [(Event.MISSED, {"slots": 3, "total": 4})]


def test_new_finished_runs_come_oldest_first() -> None:
    before = JobHistory(JobId("j"), success_count=1, successful_runs=(_run("r1"),))
    after = JobHistory(
        JobId("j"), success_count=3, successful_runs=(_run("r3"), _run("r2"), _run("r1"))
    )
    found = changes(before, after)
    assert [(event, fields["run"]["id"]) for event, fields in found] == [
        (Event.SUCCESS, "r2"),
        (Event.SUCCESS, "r3"),
    ]
    assert changes(after, after) == []
