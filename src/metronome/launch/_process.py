"""Task processes: the wrapper that records exit codes, identity via /proc, watching, signals."""

from __future__ import annotations

import logging
import os
import pwd
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from metronome.launch._launcher import TaskSetupError
from metronome.launch._sandbox import (
    EXIT_STATUS_FILE,
    FAILED_FILE,
    PROCESS_FILE,
    UNRELEASED_MESSAGE,
)

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable, Mapping, Sequence

    from metronome.launch._policy import RunAs
    from metronome.launch._sandbox import Sandbox

logger = logging.getLogger(__name__)


def _wrapper(run: str, join: str) -> str:
    """The script of a task's wrapper, which enters the task's cgroups (`join`), then runs `run`.

    The wrapper stays the server's user and keeps the task's records in its records directory,
    its working directory, where the task's user cannot write; only its command runs as the
    task's user (`_confine`), in the sandbox. It waits for "go" and its own start time on stdin
    (see `release`): a launcher that dies first closes the pipe and the wrapper gives up. Then
    it enters the cgroups (exit 113 if it cannot) and records itself in process.json (its pid,
    its start time, and the fields the launcher passed as $1; exit 112 if it cannot) before it
    runs the command, so no command runs that a restarted launcher cannot find, nor one outside
    its limits. The files are the wrapper's work, not the server's: there each file operation
    was a GIL hand-over between threads (docs/benchmarks.md).

    The command runs as a child, so its own `exit` or `exec` cannot skip writing its exit code;
    the wrapper then exits with that code too, which spares a launcher that reaps it reading
    the file when the command succeeded. The TERM trap makes the wrapper outlast a group SIGTERM
    until its command ends (POSIX defers traps while a foreground command runs); the command's
    subshell resets it, but a SIGTERM landing between the wrapper's `trap` and that reset is
    lost (see `command_started`). Only builtins: no extra process.
    """
    return f"""read -r go start && [ "$go" = go ] || {{
  printf '{UNRELEASED_MESSAGE}' >{FAILED_FILE}; exit 111; }}
{join}printf '{{"pid": %s, "start_time": %s, %s' $$ "$start" "$1" >{PROCESS_FILE} || exit 112
shift
exec </dev/null
trap : TERM
unset go start
{run}
code=$?
echo $code >{EXIT_STATUS_FILE}
exit $code
"""


def _script(shell: bool, sandbox: str, prefix: Sequence[str], procs_files: Sequence[str]) -> str:
    """The wrapper of a shell command line (`shell`) or a program, run in `sandbox` through the
    argv `prefix` (user switch, mount namespace), after entering the cgroups of `procs_files`."""
    cd = f"cd {shlex.quote(sandbox)} &&"
    if shell and not prefix:
        # A subshell: a fork of the wrapper, where `sh -c` would add the exec of a second
        # shell (its task processes took 1.5 ms of CPU per run instead of 1.0-1.2 ms;
        # docs/benchmarks.md). eval's text is expanded before it runs, so its `shift` leaves the
        # command no positional parameters, as under `sh -c`.
        run = f'( {cd} eval "shift\n$1" )'
    elif not prefix:
        run = f'( {cd} exec "$@" )'
    else:
        command = '"$1"' if shell else '"$@"'
        run = f"( {cd} exec {shlex.join(prefix)} {command} )"
    join = "".join(
        f"echo $$ >{shlex.quote(path)} || {{ printf %s {shlex.quote(_JOIN_FAILED + path)}"
        f" >{FAILED_FILE}; exit 113; }}\n"
        for path in procs_files
    )
    return _wrapper(run, join)


_JOIN_FAILED = "cannot put the task into its cgroup: "
_SIGTERM_CAUGHT = 1 << (signal.SIGTERM - 1)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_POLL_S = 0.2
_NS_PER_TICK = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def task_env(
    extra: Mapping[str, str], *, sandbox: str, task_id: str, hostname: str, run_as: RunAs | None
) -> dict[str, str]:
    """A minimal environment, Mesos-style sandbox variables, then the job's `env` on top."""
    # `or`, not a default argument: the password database is read only when HOME is unset.
    home = run_as.home if run_as else os.environ.get("HOME") or pwd.getpwuid(os.geteuid()).pw_dir
    env = {
        "PATH": os.environ.get("PATH", DEFAULT_PATH),
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
    command: str | Sequence[str],
    sandbox: Sandbox,
    env: Mapping[str, str],
    prefix: Sequence[str],
    procs_files: Sequence[str],
    record_fields: str,
) -> tuple[subprocess.Popen[bytes], int | None]:
    """Start the wrapper for `command` (a shell command line, or a program and its arguments)
    in its own session; once released, it enters the cgroups of `procs_files`, records itself
    with `record_fields` (see `_sandbox.record_fields`) and runs the command through `prefix`.
    Returns it with its start time, None if it is already gone.

    Raises:
        TaskSetupError: the process could not be created.
    """
    if isinstance(command, str):  # $0 is the wrapper's, so the command sees what `sh -c` gives
        script = _script(True, str(sandbox.path), prefix, procs_files)
        args = ["/bin/sh", record_fields, command]
    else:
        script = _script(False, str(sandbox.path), prefix, procs_files)
        args = ["metronome-task", record_fields, *command]
    try:
        out, err = sandbox.open_output()
    except OSError as exc:
        msg = f"cannot open the task's output files: {exc}"
        raise TaskSetupError(msg) from exc
    try:
        before = _boot_ticks()
        process = _TaskProcess(
            ["/bin/sh", "-c", script, *args],
            bufsize=0,  # `release` writes once: no buffer, and no lseek or ioctl to set one up
            cwd=sandbox.records,
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            env=dict(env),
            start_new_session=True,
        )
        after = _boot_ticks()
    except OSError as exc:
        msg = f"cannot start the task's process: {exc}"
        raise TaskSetupError(msg) from exc
    finally:
        os.close(out)
        os.close(err)
    # The kernel stamps a child's start time at its fork, on the boot-time clock. Unless a tick
    # began during the spawn, that is the tick read on both sides: no /proc read (3 syscalls).
    return process, before if before == after else start_time(process.pid)


def _boot_ticks() -> int:
    """Now, in the clock ticks since boot that /proc gives start times in."""
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME) // _NS_PER_TICK


def release(process: subprocess.Popen[bytes], started: int) -> None:
    """Let a spawned wrapper record itself with its start time `started` and run its command."""
    assert process.stdin is not None
    try:
        with process.stdin:
            process.stdin.write(b"go %d\n" % started)
    except BrokenPipeError:
        # The wrapper died before reading; its watch reports the end.
        logger.warning("task process %d ended before it was released", process.pid)


def start_time(pid: int) -> int | None:
    """The start time of a live (non-zombie) process, in clock ticks since boot (stat field 22)."""
    try:  # the file is a few hundred bytes: one read
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
        try:
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
    except OSError:
        return None
    # comm (field 2) may hold spaces or parentheses: split after its closing one.
    fields = data[data.rindex(b")") + 2 :].split()
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def command_started(pid: int) -> bool:
    """Whether the wrapper `pid` runs its command, so that a SIGTERM to its group is not lost.

    Until then the signal would be consumed by the wrapper's trap, or dropped by the forked child
    as it resets that trap. A child runs the command once it no longer catches SIGTERM (the trap
    is reset) or has exec'd (a program may catch SIGTERM itself). True as well when it cannot be
    told (wrapper gone, kernel without /proc children lists): then waiting would not help.
    """
    try:
        own = Path(f"/proc/{pid}/cmdline").read_bytes()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return True
    for child in children:
        try:
            status = Path(f"/proc/{child}/status").read_text()
            if not _catches_sigterm(status) or Path(f"/proc/{child}/cmdline").read_bytes() != own:
                return True
        except OSError:
            continue  # gone meanwhile
    return False


def _catches_sigterm(status: str) -> bool:
    """From /proc/PID/status: whether the process has a handler for SIGTERM."""
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & _SIGTERM_CAUGHT)


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


def succeeded(status: int | None) -> bool:
    """Whether a reaped wrapper's wait status says its command exited 0 (see `_wrapper`); any
    other end is told by the sandbox's records."""
    return status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


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

    `started` is the process's start time, which tells it from a reused pid; None for a child
    of this process not yet reaped, whose pid cannot be reused. Uses a pidfd on the event loop
    (Linux 5.3+), else polls /proc.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        pid: int,
        started: int | None,
        on_exit: Callable[[], None],
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
            if started is None:  # still ours: a pid that is gone has no start time
                self._started = start_time(pid)
            self._timer = loop.call_later(_POLL_S, self._poll)
            return
        # Checked after opening: if the pid was reused before pidfd_open, this sees it.
        if started is None or is_alive(pid, started):
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
        if self._started is not None and is_alive(self._pid, self._started):
            self._timer = self._loop.call_later(_POLL_S, self._poll)
        else:
            self._fire()

    def _fire(self) -> None:
        self._timer = None
        self.cancel()
        self._on_exit()
