"""A task's two directories: its sandbox, which the task owns, and its records, which it cannot
touch.

`<sandbox root>/<name>/` is the task's MESOS_SANDBOX and working directory (stdout, stderr,
artifacts), owned by the user the task runs as. `<records root>/<name>/` holds what decides the
task's fate after a restart, written by the server and by the wrapper, which stays the server's
user (root) while only its command runs as the task's; the records root is mode 0700:
  process.json     pid + process start time (+ resources, kill grace, cgroups), written by the
                   wrapper process before it may run the command
  exit_status      the command's exit code, written by the wrapper when the command ends
  killed           present once a kill was requested for the live task
  failed           why the task failed before its command could start
A task that could write these could name any process group for the server to signal on its
next restart (issue 14), so they never live where the task can write.

`<name>` is the task id itself when it fits a file name comfortably, else a prefix of it and a
hash of the whole: every id the API accepts can run.
"""

from __future__ import annotations

import errno
import hashlib
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
RECORDS_DIR = "task-records"
MAX_NAME_BYTES = 200
"""Below the 255 bytes of a file name (ext4, xfs, cgroupfs), with room for a container name's
prefix."""
_HASH_CHARS = 32


def dir_name(task_id: str) -> str:
    """The directory (and cgroup) name of a task: its id, or a prefix and a hash when too long."""
    raw = task_id.encode()
    if len(raw) <= MAX_NAME_BYTES:
        return task_id
    digest = hashlib.sha256(raw).hexdigest()[:_HASH_CHARS]
    prefix = raw[: MAX_NAME_BYTES - _HASH_CHARS - 1].decode(errors="ignore")
    return f"{prefix}.{digest}"


def records_root_of(sandbox_root: Path) -> Path:
    """Where the records of the tasks whose sandboxes are under `sandbox_root` live by default."""
    return sandbox_root.parent / RECORDS_DIR


@dataclass(frozen=True, slots=True)
class ProcessRecord:
    """Identifies a task's wrapper process; `start_time` tells it apart from a reused pid."""

    pid: int
    start_time: int
    started_at: float
    resources: HostResources
    kill_grace_s: float
    cgroups: tuple[str, ...] = ()
    """The task's cgroup directories (one per v1 controller, or one v2 group)."""


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
    """The sandbox and the records of one task."""

    def __init__(self, root: Path, task_id: str) -> None:
        if not task_id or task_id in (".", "..") or "/" in task_id or "\0" in task_id:
            msg = f"task id {task_id!r} cannot name a sandbox directory"
            raise LaunchError(msg)
        self.task_id = task_id
        self.name = dir_name(task_id)
        self.path = root / self.name
        self.records = records_root_of(root) / self.name
        self.stdout = self.path / STDOUT_FILE
        self.stderr = self.path / STDERR_FILE
        self._process = self.records / PROCESS_FILE
        self._exit_status = self.records / EXIT_STATUS_FILE
        self._killed = self.records / "killed"
        self._failed = self.records / FAILED_FILE

    def exists(self) -> bool:
        return self.records.is_dir() or self.path.is_dir()

    def create(self, owner: tuple[int, int] | None = None) -> None:
        """Both directories; the sandbox and its output files belong to `owner` (uid, gid) when
        given, as in a Mesos agent's sandbox."""
        self.create_records()
        self.path.mkdir(parents=True, exist_ok=True)
        if owner is None:
            return
        os.chown(self.path, *owner)
        for path in (self.stdout, self.stderr):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            try:
                # A hard link planted here would hand another file to the task's user.
                if os.fstat(fd).st_nlink != 1:
                    msg = f"{path} has other links: not the task's own file"
                    raise OSError(errno.EMLINK, msg)
                os.fchown(fd, *owner)
            finally:
                os.close(fd)

    def create_records(self) -> None:
        if not self.records.parent.is_dir():
            self.records.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.records.mkdir(exist_ok=True)

    def hand_over(self, uid: int, gid: int) -> None:
        """Give the sandbox and what is in it to the user the task runs as, the directory last:
        until then no process of that user can change what is in it."""
        for parent, dirs, files in os.walk(self.path):
            for name in dirs + files:
                os.chown(os.path.join(parent, name), uid, gid, follow_symlinks=False)
        os.chown(self.path, uid, gid)

    def open_output(self) -> tuple[int, int]:
        """Descriptors of stdout and stderr for the task, opened by the server.

        Opened here, not by the wrapper, so that O_NOFOLLOW refuses a link planted in the
        sandbox (by an artifact, or another task of its user) that would make the server's user
        append to another file.
        """
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        out = os.open(self.stdout, flags, 0o644)
        try:
            err = os.open(self.stderr, flags, 0o644)
        except OSError:
            os.close(out)
            raise
        return out, err

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
                cgroups=tuple(str(path) for path in data.get("cgroups", ())),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            msg = f"unreadable process record {self._process}"
            raise LaunchError(msg) from exc

    def kill_requested(self) -> bool:
        return self._killed.exists()

    def mark_killed(self) -> None:
        self.create_records()
        self._killed.touch()

    def record_failure(self, message: str) -> None:
        self.create_records()
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
                "not write its records)"
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


def record_fields(
    started_at: float, resources: HostResources, kill_grace_s: float, cgroups: tuple[str, ...]
) -> str:
    """The end of a process record, after the pid and start time the wrapper writes itself."""
    fields = {
        "started_at": started_at,
        "cpus": resources.cpus,
        "mem": resources.mem,
        "disk": resources.disk,
        "kill_grace_s": kill_grace_s,
        "cgroups": list(cgroups),
    }
    return json.dumps(fields)[1:]


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
