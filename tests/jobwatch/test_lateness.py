"""Trigger lateness as new scheduled runs appear (pure, on real model objects)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from metronome.actors import JobEntry
from metronome.jobwatch import TriggerLateness
from metronome.model import JobId, JobRun, JobSpec, RunId, RunSpec, RunStatus, ScheduleId

DUE = datetime(2026, 12, 3, 3, tzinfo=UTC)
SPEC = JobSpec(JobId("nightly"), RunSpec(cpus=0.1, mem=32, disk=0))


def run(run_id: str, late_s: float | None) -> JobRun:
    scheduled = None if late_s is None else DUE
    return JobRun(
        RunId(run_id), SPEC.id, RunStatus.STARTING, DUE + timedelta(seconds=late_s or 0),
        SPEC.run, schedule_id=ScheduleId("n") if scheduled else None, scheduled_at=scheduled,
    )  # fmt: skip


def entry(*runs: JobRun) -> JobEntry:
    return JobEntry(SPEC, None, runs)  # type: ignore[arg-type]  # no actor: not asked here


def test_each_new_scheduled_run_is_observed_once() -> None:
    lateness = TriggerLateness()
    first = entry(run("a", 0.2))
    lateness.changed(None, first)
    second = entry(run("a", 0.2), run("b", 30), run("manual", None))
    lateness.changed(first, second)
    lateness.changed(second, second)  # nothing new
    text = lateness.render(["nightly"])
    buckets = dict(re.findall(r'le="([^"]+)"\} (\d+)', text))
    assert buckets == {"0.1": "0", "0.5": "1", "1.0": "1", "5.0": "1", "15.0": "1",
                       "60.0": "2", "300.0": "2", "900.0": "2", "+Inf": "2"}  # fmt: skip
    assert 'metronome_job_trigger_lateness_seconds_count{job_id="nightly"} 2' in text
    assert 'metronome_job_trigger_lateness_seconds_sum{job_id="nightly"} 30.2' in text
    assert "# TYPE metronome_job_trigger_lateness_seconds histogram" in text

    lateness.removed("nightly")
    assert "_count" not in lateness.render(["nightly"])
