"""Model <-> record round trips, and decoding failures that name the node."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from metronome.model import JobId, JobRun, JobSpec, RunSpec, RunStatus
from metronome.storage import (
    HistoryPages,
    StorageError,
    decode_history,
    decode_history_pages,
    decode_job,
    decode_page,
    decode_run,
    encode_history,
    encode_job,
    encode_page_entry,
    encode_run,
)
from metronome.storage import metronome_pb2 as pb

if TYPE_CHECKING:
    from tests.storage.conftest import ModelGen

ROUNDS = 300


def test_job_specs_round_trip(gen: ModelGen) -> None:
    for _ in range(ROUNDS):
        spec = gen.spec()
        assert decode_job(encode_job(spec), "/p") == spec


def test_job_runs_round_trip(gen: ModelGen) -> None:
    for _ in range(ROUNDS):
        run = gen.run()
        assert decode_run(encode_run(run), "/p") == run


def test_histories_and_pages_round_trip(gen: ModelGen) -> None:
    for _ in range(ROUNDS // 10):
        history = gen.history(successful=5, failed=2)
        pages = HistoryPages(("page-1", "page-3"), ("page-2",))

        data = encode_history(history, pages)
        page = b"".join(map(encode_page_entry, history.successful_runs))  # as the repository does
        runs = decode_page(page, "/p")

        assert decode_history_pages(data, "/p") == pages
        assert decode_history(data, "/p", runs, history.failed_runs) == history
        assert decode_history(data, "/p").successful_runs == ()


@pytest.mark.parametrize(
    "changes",
    [
        {"args": None, "cmd": None, "user": None, "task_kill_grace_period_s": None},
        {"args": (), "cmd": "", "user": "", "task_kill_grace_period_s": 0.0},
        {"args": ("",)},
    ],
)
def test_absent_and_empty_values_stay_distinct(gen: ModelGen, changes: dict) -> None:
    spec = gen.spec()
    spec = dataclasses.replace(spec, description="", run=dataclasses.replace(spec.run, **changes))

    decoded = decode_job(encode_job(spec), "/p")

    assert decoded == spec
    assert [getattr(decoded.run, name) for name in changes] == list(changes.values())
    assert decoded.description == ""


def test_order_of_env_and_labels_is_kept(gen: ModelGen) -> None:
    run = RunSpec(cpus=1, mem=32, disk=0, env={"b": "1", "a": "2", "c": "3"})
    spec = JobSpec(id=JobId("j"), run=run, labels={"z": "", "y": ""})

    decoded = decode_job(encode_job(spec), "/p")

    assert list(decoded.run.env) == ["b", "a", "c"]
    assert list(decoded.labels) == ["z", "y"]


def test_times_are_kept_to_the_millisecond_in_utc(gen: ModelGen) -> None:
    paris = timezone(timedelta(hours=2))
    created = datetime(2024, 3, 31, 2, 30, 15, 123_999, tzinfo=paris)
    run = dataclasses.replace(gen.run(), created_at=created)

    decoded = decode_run(encode_run(run), "/p")

    assert decoded.created_at == created.replace(microsecond=123_000)
    assert decoded.created_at.tzinfo is UTC


def test_naive_times_are_refused(gen: ModelGen) -> None:
    run = dataclasses.replace(gen.run(), created_at=datetime(2024, 1, 1))

    with pytest.raises(ValueError, match="naive"):
        encode_run(run)


@pytest.mark.parametrize(
    "decode", [decode_job, decode_run, decode_history, decode_history_pages, decode_page]
)
def test_garbage_is_a_storage_error_naming_the_path(decode: object) -> None:
    with pytest.raises(StorageError, match=r"^/state/x/job\.a: not a valid"):
        decode(b"\xff\xff\xff\xff", "/state/x/job.a")  # type: ignore[operator]


def test_record_without_run_spec_is_refused() -> None:
    data = pb.JobSpec(id="job.a").SerializeToString()

    with pytest.raises(StorageError, match=r"job\.a: not a valid JobSpec record: missing run"):
        decode_job(data, "/state/job-specs/job.a")


def test_unknown_enum_value_is_refused(gen: ModelGen) -> None:
    message = pb.JobRun.FromString(encode_run(gen.run()))
    message.status = 42  # written by a newer version, say

    with pytest.raises(StorageError, match="/r: not a valid JobRun record"):
        decode_run(message.SerializeToString(), "/r")


def test_every_status_round_trips(gen: ModelGen) -> None:
    runs = [dataclasses.replace(gen.run(), status=status) for status in RunStatus]

    assert [decode_run(encode_run(r), "/p") for r in runs] == runs
    assert all(isinstance(r, JobRun) for r in runs)
