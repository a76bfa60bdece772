"""A task's sandbox directory and the records in it that outlive the server.

Layout of `<root>/<task id>/`:
  stdout, stderr   the task's output
  process.json     pid + process start time (+ resources, kill grace), written by the wrapper
                   process before it may run the command
  exit_status      the command's exit code, written by the wrapper when the command ends
  killed           present once a kill was requested for the live task
  failed           why the task failed before its command could start
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from metronome.launch._launcher import HostResources, LaunchError
from metronome.model import TaskStatus

if TYPE_CHECKING:
    from pathlib import Path

STDOUT_FILE = "stdout"
STDERR_FILE = "stderr"
EXIT_STATUS_FILE = "exit_status"
PROCESS_FILE = "process.json"
FAILED_FILE = "failed"
KILLED_MESSAGE = "killed on request"
UNRELEASED_MESSAGE = "the launcher stopped before the task started"


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    """Identifies a task's wrapper process; `start_time` tells it apart from a reused pid."""

    pid: int
    start_time: int
    started_at: float
    resources: HostResources
    kill_grace_s: float


@dataclass(frozen=True, slots=True)
class Outcome:
    """The final status the records of an ended task show."""

    status: TaskStatus
    at: datetime
    message: str | None = None
    exit_code: int | None = None


def exited(code: int, at: datetime) -> Outcome:
    """The outcome of a command that exited with `code`."""
    status = TaskStatus.TASK_FINISHED if code == 0 else TaskStatus.TASK_FAILED
    return Outcome(status, at, None if code == 0 else f"exited with status {code}", code)


class Sandbox:
    """The directory of one task and its records."""

    def __init__(self, root: Path, task_id: str) -> None:
        if not task_id or task_id in (".", "..") or "/" in task_id or "\0" in task_id:
            msg = f"task id {task_id!r} cannot name a sandbox directory"
            raise LaunchError(msg)
        self.path = root / task_id
        self.stdout = self.path / STDOUT_FILE
        self.stderr = self.path / STDERR_FILE
        self._process = self.path / PROCESS_FILE
        self._exit_status = self.path / EXIT_STATUS_FILE
        self._killed = self.path / "killed"
        self._failed = self.path / FAILED_FILE

    def exists(self) -> bool:
        return self.path.is_dir()

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)

    def read_process(self) -> ProcessRecord | None:
        """The wrapper's record; None if it never wrote one (an empty file: it was killed
        between creating the file and its single write)."""
        try:
            text = self._process.read_text()
            if not text:
                return None
            data = json.loads(text)
            return ProcessRecord(
                pid=int(data["pid"]),
                start_time=int(data["start_time"]),
                started_at=float(data["started_at"]),
                resources=HostResources(
                    float(data["cpus"]), float(data["mem"]), float(data["disk"])
                ),
                kill_grace_s=float(data["kill_grace_s"]),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            msg = f"unreadable process record {self._process}"
            raise LaunchError(msg) from exc

    def hand_over(self, uid: int, gid: int) -> None:
        """Give the directory and what is in it to the user the task runs as."""
        os.chown(self.path, uid, gid)
        for parent, dirs, files in os.walk(self.path):
            for name in dirs + files:
                os.chown(os.path.join(parent, name), uid, gid, follow_symlinks=False)

    def kill_requested(self) -> bool:
        return self._killed.exists()

    def mark_killed(self) -> None:
        self.create()
        self._killed.touch()

    def record_failure(self, message: str) -> None:
        self.create()
        _write_atomically(self._failed, message)

    def outcome(self) -> Outcome:
        """The final status of a task whose process is gone (or never started)."""
        if self._killed.exists():
            return Outcome(TaskStatus.TASK_KILLED, _mtime(self._killed), KILLED_MESSAGE)
        code = self._read_exit_status()
        if code is not None:
            return exited(code, _mtime(self._exit_status))
        if self._failed.exists():
            message = self._failed.read_text()
            never_ran = message == UNRELEASED_MESSAGE  # the wrapper's stdin closed before "go"
            status = TaskStatus.TASK_DROPPED if never_ran else TaskStatus.TASK_FAILED
            return Outcome(status, _mtime(self._failed), message)
        if self._process.exists():
            message = "the task's process ended without recording an exit status"
        else:
            message = (
                "the task's process was never recorded (its launcher stopped first, or it could "
                "not write its sandbox)"
            )
        return Outcome(TaskStatus.TASK_FAILED, datetime.now(UTC), message)

    def _read_exit_status(self) -> int | None:
        # The wrapper writes a few bytes in one write(2), and this is only read once the wrapper
        # is gone, so the file is complete or empty (wrapper killed between open and write).
        try:
            text = self._exit_status.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None


def record_fields(started_at: float, resources: HostResources, kill_grace_s: float) -> str:
    """The end of a process record, after the pid and start time the wrapper writes itself."""
    fields = {
        "started_at": started_at,
        "cpus": resources.cpus,
        "mem": resources.mem,
        "disk": resources.disk,
        "kill_grace_s": kill_grace_s,
    }
    return json.dumps(fields)[1:]


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
