"""No trust in what a task can write: a restarted server decides from records out of its reach."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from typing import TYPE_CHECKING

import pytest

from metronome.launch._process import start_time
from metronome.launch._sandbox import Sandbox, records_root_of
from metronome.model import TaskStatus
from tests.isolation.conftest import needs_root
from tests.launch.conftest import process_gone, spec, wait_until
from tests.launch.test_local_restart import run_and_crash

if TYPE_CHECKING:
    from pathlib import Path


def _forged_record(pid: int) -> str:
    started = start_time(pid)
    fields = {"started_at": 0.0, "cpus": 0.1, "mem": 8, "disk": 0, "kill_grace_s": 0.5}
    return json.dumps({"pid": pid, "start_time": started, **fields})


@needs_root
async def test_a_task_cannot_redirect_the_kill_of_a_restarted_server(
    make_launcher, sandbox_root: Path
) -> None:
    # Another process group on the host, which the task would like the server to kill.
    victim = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        forged = _forged_record(victim.pid)
        records = records_root_of(sandbox_root) / "t0"
        # The task overwrites every process.json it can reach: its own directory (where the
        # records used to be) and the records' directory.
        task = (
            f"echo '{forged}' >process.json; echo '{forged}' >{records}/process.json;"
            " echo >written; sleep 30"
        )
        await run_and_crash(sandbox_root, task)
        await wait_until((sandbox_root / "t0" / "written").exists)

        launcher, updates = await make_launcher()  # the server, restarted
        launcher.kill("t0")
        final = await updates.final("t0")

        assert final.status is TaskStatus.TASK_KILLED
        assert victim.poll() is None, "the server signalled a process group the task named"
        record = json.loads((records / "process.json").read_text())
        assert record["pid"] != victim.pid
        assert process_gone(record["pid"])  # the real task was the one killed
        assert "Permission denied" in (sandbox_root / "t0" / "stderr").read_text()
    finally:
        victim.kill()
        victim.wait()


@needs_root
async def test_records_are_not_the_tasks_to_read_or_write(
    make_launcher, sandbox_root: Path
) -> None:
    launcher, updates = await make_launcher()
    records = records_root_of(sandbox_root)
    launcher.launch("r1", spec(cmd=f"ls {records}/r1"))
    final = await updates.final("r1")
    assert final.status is TaskStatus.TASK_FAILED  # the task's user may not even look
    assert "Permission denied" in (sandbox_root / "r1" / "stderr").read_text()
    assert os.stat(records).st_mode & 0o777 == 0o700
    nobody = pwd.getpwnam("nobody").pw_uid
    for path in ("", "stdout", "stderr"):  # the task's own, as in a Mesos agent's sandbox
        assert (sandbox_root / "r1" / path).stat().st_uid == nobody


@needs_root
def test_a_planted_hard_link_is_not_handed_to_the_task(tmp_path: Path) -> None:
    # Another task of the same user may write into a sandbox between its making and its start.
    secret = tmp_path / "secret"
    secret.write_text("root's")
    sandbox = Sandbox(tmp_path / "sandboxes", "h1")
    sandbox.path.mkdir(parents=True)
    os.link(secret, sandbox.stdout)
    with pytest.raises(OSError, match="has other links"):
        sandbox.create((65534, 65534))
    assert secret.stat().st_uid == 0
