"""`dump`: every node decoded by its place in the layout, as JSON values."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import TYPE_CHECKING

import pytest

from metronome.model import RunStatus
from metronome.storage import (
    JobHistoryRepository,
    JobRunRepository,
    JobSpecRepository,
    NoNodeError,
    dump,
)

if TYPE_CHECKING:
    from metronome.storage import Store
    from tests.storage.conftest import ModelGen


def test_job_with_runs_and_paged_history(store: Store, gen: ModelGen) -> None:
    spec = dataclasses.replace(gen.spec("job.a"), description="nightly")
    run = dataclasses.replace(gen.run("job.a", "20240101000000abcde"), status=RunStatus.ACTIVE)
    history = gen.history("job.a", successful=150, failed=1)
    JobSpecRepository(store).create(spec)
    JobRunRepository(store).create(run)
    JobHistoryRepository(store).save(history)

    nodes = dump(store)

    assert json.loads(json.dumps(nodes)) == nodes
    assert list(nodes)[:4] == ["/", "/state", "/state/job-histories", "/state/job-histories/job.a"]
    assert nodes["/state/job-runs/job.a"] == {"version": 0}
    job = nodes["/state/job-specs/job.a"]
    assert (job["type"], job["value"]["id"], job["value"]["description"]) == (
        "JobSpec",
        "job.a",
        "nightly",
    )
    assert job["value"]["run"]["cmd"] == spec.run.cmd
    active = nodes["/state/job-runs/job.a/20240101000000abcde"]
    assert (active["type"], active["value"]["status"]) == ("JobRun", "ACTIVE")
    assert active["value"]["created_at"] == run.created_at.isoformat()
    header = nodes["/state/job-histories/job.a"]
    assert header["type"] == "JobHistory"
    assert header["value"]["success_count"] == history.success_count
    assert header["value"]["pages"] == {"successful": ["page-1", "page-2"], "failed": ["page-3"]}
    assert "successful_runs" not in header["value"]
    pages = [nodes[f"/state/job-histories/job.a/page-{n}"] for n in (1, 2, 3)]
    assert [(p["type"], len(p["value"])) for p in pages] == [
        ("RunInfoPage", 100),
        ("RunInfoPage", 50),
        ("RunInfoPage", 1),
    ]
    oldest = history.successful_runs[-1]
    shown = pages[0]["value"][0]
    assert {key: value for key, value in shown.items() if key != "details"} == {
        "id": oldest.id,
        "created_at": oldest.created_at.isoformat(),
        "finished_at": oldest.finished_at.isoformat(),
        "tasks": list(oldest.tasks),
    }
    kept = oldest.details
    assert (shown["details"] is None) == (kept is None)
    if kept is not None:
        assert [t["id"] for t in shown["details"]["tasks"]] == [t.id for t in kept.tasks]


def test_unknown_and_undecodable_nodes_are_shown_raw(store: Store) -> None:
    store.create("/other/text", "héllo".encode(), makepath=True)
    store.create("/other/binary", b"\xff\x00\x01")
    store.create("/state/job-specs/broken", b"\xff\xff\xff", makepath=True)

    nodes = dump(store, "/other")

    assert nodes == {
        "/other": {"version": 0},
        "/other/binary": {"version": 0, "base64": base64.b64encode(b"\xff\x00\x01").decode()},
        "/other/text": {"version": 0, "text": "héllo"},
    }
    broken = dump(store, "/state/job-specs")["/state/job-specs/broken"]
    assert broken["type"] == "JobSpec"
    assert broken["error"].startswith("/state/job-specs/broken: not a valid JobSpec record")
    assert broken["base64"] == base64.b64encode(b"\xff\xff\xff").decode()


def test_missing_path_is_an_error(store: Store) -> None:
    with pytest.raises(NoNodeError, match="/nope"):
        dump(store, "/nope")
