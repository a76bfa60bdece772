"""Task processes: the wrapper that records exit codes, identity via /proc, watching, signals."""

from __future__ import annotations

import logging
import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from metronome.launch._launcher import TaskSetupError
from metronome.launch._sandbox import EXIT_STATUS_FILE

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Mapping, Sequence

    from metronome.launch._sandbox import Sandbox

logger = logging.getLogger(__name__)

# The wrapper outlives the server and writes the command's exit code into the sandbox. It waits
# for "go" on stdin, sent once the launcher has recorded its pid, so no task runs unrecorded (a
# launcher that dies first closes the pipe and the wrapper gives up). The command runs as a child,
# so its own `exit` or `exec` cannot skip the recording. The TERM trap makes the wrapper outlast a
# group SIGTERM until its command ends (POSIX defers traps while a foreground command runs); the
# trap is reset to the default in the command, but a SIGTERM landing between the wrapper's `trap`
# and its command's exec is lost (see `command_started`). Only builtins here: no extra process.
_WRAPPER = f"""read -r go && [ "$go" = go ] || exit 111
exec </dev/null
trap : TERM
"$@"
echo $? >{EXIT_STATUS_FILE}
"""
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class RunAs:
    """Another user the task runs as (only when the server is root)."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


def resolve_user(user: str | None) -> RunAs | None:
    """Who the task runs as; None means the server's own user.

    Raises:
        TaskSetupError: the user does not exist, or the server cannot switch to it.
    """
    if user is None:
        return None
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        msg = f"user '{user}' does not exist on this host"
        raise TaskSetupError(msg) from None
    if entry.pw_uid == os.geteuid():
        return None
    if os.geteuid() != 0:
        current = pwd.getpwuid(os.geteuid()).pw_name
        msg = f"cannot run the task as user '{user}': the launcher runs as '{current}', not root"
        raise TaskSetupError(msg)
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid, groups, entry.pw_dir)


def task_env(
    extra: Mapping[str, str], *, sandbox: str, task_id: str, hostname: str, run_as: RunAs | None
) -> dict[str, str]:
    """A minimal environment, Mesos-style sandbox variables, then the job's `env` on top."""
    home = run_as.home if run_as else os.environ.get("HOME", pwd.getpwuid(os.geteuid()).pw_dir)
    env = {
        "PATH": os.environ.get("PATH", _DEFAULT_PATH),
        "HOME": home,
        "HOST": hostname,
        "MESOS_SANDBOX": sandbox,
        "MESOS_DIRECTORY": sandbox,
        "MESOS_TASK_ID": task_id,
    }
    if run_as:
        env["USER"] = env["LOGNAME"] = run_as.name
    env.update(extra)
    return env


class _TaskProcess(subprocess.Popen[bytes]):
    """A wrapper process meant to outlive the launcher.

    The launcher reaps it with `reap` and drops this object right after the launch, so Popen's
    "subprocess is still running" warning on collection would be noise.
    """

    def __del__(self) -> None:
        pass


def spawn(
    argv: Sequence[str], sandbox: Sandbox, env: Mapping[str, str], run_as: RunAs | None
) -> subprocess.Popen[bytes]:
    """Start the wrapper for `argv` in its own session; it waits for `release` to run `argv`.

    Raises:
        TaskSetupError: the process could not be created.
    """
    try:
        with sandbox.stdout.open("ab") as out, sandbox.stderr.open("ab") as err:
            return _TaskProcess(  # noqa: S603 - argv comes from the job's run spec by design
                ["/bin/sh", "-c", _WRAPPER, "metronome-task", *argv],
                cwd=sandbox.path,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                env=dict(env),
                start_new_session=True,
                user=run_as.uid if run_as else None,
                group=run_as.gid if run_as else None,
                extra_groups=list(run_as.groups) if run_as else None,
            )
    except OSError as exc:
        msg = f"cannot start the task's process: {exc}"
        raise TaskSetupError(msg) from exc


def release(process: subprocess.Popen[bytes]) -> None:
    """Let a spawned wrapper run its command (call after its pid is recorded)."""
    assert process.stdin is not None
    try:
        with process.stdin:
            process.stdin.write(b"go\n")
    except BrokenPipeError:
        # The wrapper died before reading; its watch reports the end.
        logger.warning("task process %d ended before it was released", process.pid)


def abandon(process: subprocess.Popen[bytes]) -> None:
    """Make a spawned wrapper exit without running its command, and reap it."""
    assert process.stdin is not None
    process.stdin.close()  # EOF instead of "go"
    process.wait()


def start_time(pid: int) -> int | None:
    """The start time of a live (non-zombie) process, in clock ticks since boot (stat field 22)."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # comm (field 2) may hold spaces or parentheses: split after its closing one.
    fields = data[data.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def command_started(pid: int) -> bool:
    """Whether the wrapper `pid` has exec'd its command, so that a SIGTERM to its group is not lost.

    Until then the signal would be consumed by the wrapper's trap, or dropped by the forked child
    as it resets that trap. True as well when it cannot be told (wrapper gone, kernel without
    /proc children lists): then waiting would not help.
    """
    try:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return True
    for child in children:
        # A forked child shows the wrapper's command line until it execs (a zombie shows none).
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() != own:
                return True
        except OSError:
            continue
    return False


def is_alive(pid: int, started: int) -> bool:
    """Whether `pid` is still the process that started at `started` (not a reused pid)."""
    return start_time(pid) == started


def reap(pid: int) -> int | None:
    """Collect an ended child of this process; its wait status, or None if not our child."""
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return status if reaped else None


def signal_group(pgid: int, signum: int) -> None:
    """Signal a task's process group; a group already gone is fine."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass
    except PermissionError:
        logger.exception("not allowed to signal process group %d", pgid)


class ExitWatch:
    """Calls `on_exit` once on the loop when a process ends, whether or not we spawned it.

    Uses a pidfd on the event loop (Linux 5.3+), else polls /proc.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, pid: int, started: int, on_exit: Callable[[], None]
    ) -> None:
        self._loop = loop
        self._pid = pid
        self._started = started
        self._on_exit = on_exit
        self._fd: int | None = None
        self._timer: asyncio.Handle | None = None
        try:
            self._fd = os.pidfd_open(pid)
        except OSError:
            self._timer = loop.call_later(_POLL_S, self._poll)
            return
        # Checked after opening: if the pid was reused before pidfd_open, this sees it.
        if is_alive(pid, started):
            loop.add_reader(self._fd, self._fire)
        else:
            self._timer = loop.call_soon(self._fire)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = None

    def _poll(self) -> None:
        if is_alive(self._pid, self._started):
            self._timer = self._loop.call_later(_POLL_S, self._poll)
        else:
            self._fire()

    def _fire(self) -> None:
        self._timer = None
        self.cancel()
        self._on_exit()
