"""The records of dependencies, manual-run overrides and time limits: they round-trip, and a
record written before them loads with their defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from metronome.model import (
    JobHistory,
    JobId,
    JobRun,
    JobSpec,
    RunId,
    RunOverrides,
    RunSpec,
    RunStatus,
    Task,
    TaskStatus,
)
from metronome.storage import metronome_pb2 as pb
from metronome.storage._codec import (
    HistoryPages,
    decode_history,
    decode_job,
    decode_run,
    encode_history,
    encode_job,
    encode_run,
)

AT = datetime(2026, 1, 5, 10, 0, 30, 123000, tzinfo=UTC)
SPEC = RunSpec(cpus=0.1, mem=32, disk=0, cmd="true", env={"A": "a"}, timeout_s=60)


def test_the_new_fields_round_trip() -> None:
    job = JobSpec(JobId("c"), SPEC, dependencies=(JobId("a"), JobId("b")))
    assert decode_job(encode_job(job), "/j") == job
    for overrides in (
        RunOverrides(env={"B": "b"}, args=("x", "")),
        RunOverrides(cmd="echo hi"),
    ):
        task = Task("t", TaskStatus.TASK_RUNNING, AT, running_since=AT)
        run = JobRun(
            RunId("r"), JobId("c"), RunStatus.FAILED, AT, overrides.applied_to(SPEC),
            completed_at=AT, tasks=(task,), overrides=overrides,
        )  # fmt: skip
        assert decode_run(encode_run(run), "/r") == run
    history = JobHistory(JobId("c"), dependency_marks={JobId("a"): AT, JobId("b"): AT})
    assert decode_history(encode_history(history, HistoryPages()), "/h") == history


def test_records_from_before_load_with_the_defaults() -> None:
    old_spec = pb.RunSpec(cpus=1, mem=32, disk=0, max_launch_delay_s=3600, restart=pb.Restart(
        policy=pb.Restart.NEVER
    ))  # fmt: skip
    job = decode_job(pb.JobSpec(id="a", run=old_spec).SerializeToString(), "/j")
    assert (job.dependencies, job.run.timeout_s) == ((), None)
    old_run = pb.JobRun(
        id="r", job_id="a", status=pb.JobRun.ACTIVE, created_at_ms=1, run_spec=old_spec,
        tasks=[pb.Task(id="t", status=pb.Task.TASK_RUNNING, started_at_ms=1)],
    )  # fmt: skip
    run = decode_run(old_run.SerializeToString(), "/r")
    assert (run.overrides, run.end, run.tasks[0].running_since) == (None, None, None)
    history = decode_history(pb.JobHistory(job_id="a").SerializeToString(), "/h")
    assert history.dependency_marks == {}
