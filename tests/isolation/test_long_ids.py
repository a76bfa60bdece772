"""Every id the API accepts can run: names fit the file system whatever the id."""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

import pytest

from metronome.launch._sandbox import MAX_NAME_BYTES, Sandbox, dir_name, records_root_of
from metronome.model import TaskStatus
from tests.isolation.conftest import ended
from tests.launch.conftest import spec
from tests.support.jobs import job_body
from tests.support.server import ServerProcess, wait

if TYPE_CHECKING:
    from pathlib import Path

S = TaskStatus


def test_long_ids_get_short_distinct_names() -> None:
    a, b = "j" * 300 + "_1", "j" * 300 + "_2"
    assert len(dir_name(a).encode()) <= MAX_NAME_BYTES
    assert dir_name(a) != dir_name(b)
    assert dir_name(a).startswith("j" * 100)
    assert dir_name("short_id.1") == "short_id.1"
    assert len(dir_name("é" * 200).encode()) <= MAX_NAME_BYTES  # cut on a character boundary


async def test_a_task_with_a_long_id_runs(make_launcher, sandbox_root: Path) -> None:
    task_id = "a" * 255 + "_20260101000000abcdef.3e1c5a3b-7d0e-4d0c-9a9c-2f6c8c6d1e0f"
    launcher, updates = await make_launcher()
    launcher.launch(task_id, spec(cmd='echo "$MESOS_TASK_ID"'))
    final = await updates.final(task_id)
    assert final.status is S.TASK_FINISHED, final.message
    assert (sandbox_root / dir_name(task_id) / "stdout").read_text() == f"{task_id}\n"
    assert (records_root_of(sandbox_root) / dir_name(task_id) / "exit_status").exists()

    later, later_updates = await make_launcher()  # a restarted server finds it by its id
    later.reconcile([task_id])
    await later_updates.final(task_id)
    assert later_updates.statuses(task_id) == [S.TASK_FINISHED]


async def test_a_sandbox_that_cannot_be_made_fails_the_task_at_once(
    make_launcher, sandbox_root: Path
) -> None:
    sandbox_root.mkdir(parents=True)
    (sandbox_root / "x1").write_text("not a directory")
    launcher, updates = await make_launcher()
    launcher.launch("x1", spec(cmd="true"))
    final = await updates.final("x1")
    assert final.status is S.TASK_FAILED
    assert "File exists" in (final.message or "")


def test_a_job_with_a_255_character_id_runs(tmp_path: Path) -> None:
    job_id = "long." + "x" * 250
    server = ServerProcess(tmp_path / "data").start()
    try:
        client = server.client
        created = client.post("/v1/jobs", job_body(job_id, cmd="true"))
        assert created.status == 201, created.text
        assert client.post(f"/v1/jobs/{job_id}/runs").status == 201
        history = wait(lambda: ended(client, job_id), 15)
        assert history["successCount"] == 1, client.get(f"/v1/jobs/{job_id}?embed=history").text
    finally:
        assert server.stop() == 0, server.log()


async def test_an_error_while_queueing_fails_the_task_at_once(
    make_launcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a too-long sandbox name did before names were bounded: the error escaped the loop
    # callback and the run waited for its launch deadline.
    def too_long(_self: Sandbox) -> bool:
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))

    monkeypatch.setattr(Sandbox, "exists", too_long)
    launcher, updates = await make_launcher()
    launcher.launch("q1", spec(cmd="true"))
    final = await updates.final("q1", timeout=2)
    assert final.status is S.TASK_FAILED
    assert final.message == "cannot queue the task: [Errno 36] File name too long"
    launcher.launch("q2", spec(cmd="true"))  # the launcher goes on
    assert (await updates.final("q2", timeout=2)).status is S.TASK_FAILED
