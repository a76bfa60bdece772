"""Run details in the records: kept for every finished run, and older records still load."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from metronome.model import (
    EndKind,
    RunDetails,
    RunEnd,
    RunId,
    RunInfo,
    ScheduleId,
    Task,
    TaskStatus,
)
from metronome.storage import metronome_pb2 as pb
from metronome.storage._codec import decode_page, decode_run, encode_page_entry, encode_run
from tests.storage.conftest import ModelGen

T0 = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
T1 = datetime(2026, 1, 2, 3, 5, 0, tzinfo=UTC)


def test_a_page_written_before_details_loads_without_them() -> None:
    old = pb.RunInfoPage(
        runs=[pb.RunInfo(id="r1", created_at_ms=1000, finished_at_ms=2000, tasks=["t1"])]
    ).SerializeToString()
    [info] = decode_page(old, "/state/job-histories/a/page-1")
    assert (info.id, info.tasks, info.details) == ("r1", ("t1",), None)


def test_a_run_record_written_before_reasons_loads_without_them(gen: ModelGen) -> None:
    run = gen.run()
    message = pb.JobRun()
    message.ParseFromString(encode_run(run))
    message.ClearField("end")
    message.ClearField("triggered_by")
    for task in message.tasks:
        task.ClearField("exit_code")
        task.ClearField("ended_at_ms")
    loaded = decode_run(message.SerializeToString(), "/state/job-runs/a/r")
    assert loaded.end is None
    assert loaded.triggered_by is None
    assert all(t.exit_code is None and t.ended_at is None for t in loaded.tasks)


def test_details_round_trip_and_pages_still_concatenate() -> None:
    task = Task("a_r1.1", TaskStatus.TASK_FAILED, T0, None, "exited with status 3", 3, T1)
    details = RunDetails(
        RunEnd(EndKind.EXITED, exit_code=3, message="exited with status 3"),
        (task,),
        ScheduleId("nightly"),
        T0,
        None,
    )
    first = RunInfo(RunId("r1"), T0, T1, ("a_r1.1",), details)
    second = RunInfo(RunId("r2"), T0, T1, (), RunDetails(RunEnd(EndKind.STOPPED, by="alice")))
    legacy = RunInfo(RunId("r3"), T0, T1, ("x",))
    page = b"".join(encode_page_entry(r) for r in (first, second, legacy))
    decoded = decode_page(page, "/p")
    assert decoded[1:] == (second, legacy)
    assert decoded[0].details is not None
    assert decoded[0].details.tasks[0] == Task(
        "a_r1.1", TaskStatus.TASK_FAILED, datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        None, "exited with status 3", 3, T1,
    )  # fmt: skip
    assert decoded[0] == first


def test_every_end_kind_round_trips(gen: ModelGen) -> None:
    for kind in EndKind:
        run = dataclasses.replace(gen.run(), end=RunEnd(kind))
        assert decode_run(encode_run(run), "/r").end == RunEnd(kind)


def test_a_long_launcher_message_is_cut_to_a_bounded_size() -> None:
    end = RunEnd(EndKind.FAILED_TO_START, message="x" * 10_000)
    assert end.message is not None
    assert len(end.message) == 512
