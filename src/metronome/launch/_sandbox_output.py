"""Reading a task's output from its sandbox on this host (the local launcher's `read_output`)."""

from __future__ import annotations

import asyncio
import os
import stat
from typing import TYPE_CHECKING

from metronome.launch._launcher import LaunchError
from metronome.launch._output import OutputChunk, OutputReplaced, OutputUnavailable
from metronome.launch._sandbox import Sandbox

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.launch._output import OutputStream


async def read_sandbox_output(
    root: Path, task_id: str, stream: OutputStream, offset: int, length: int
) -> OutputChunk:
    """At most `length` bytes of `stream` from `offset`, from the task's sandbox under `root`.

    Raises:
        OutputUnavailable: the task has no sandbox under `root` (never placed here, or removed).
    """
    return await asyncio.to_thread(_read, root, task_id, stream, offset, length)


def _read(root: Path, task_id: str, stream: OutputStream, offset: int, length: int) -> OutputChunk:
    try:
        sandbox = Sandbox(root, task_id)
    except LaunchError as exc:
        raise OutputUnavailable(str(exc)) from exc
    path = sandbox.stdout if stream == "stdout" else sandbox.stderr
    try:
        # The task owns its sandbox: what it put there in place of its output (a link to a file
        # only the server may read, a FIFO) is not followed, opened for long, nor served.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        if sandbox.exists():
            return OutputChunk(b"", 0)  # placed, its command not started yet
        msg = f"Task '{task_id}' has no sandbox on this host: its output is gone"
        raise OutputUnavailable(msg) from None
    except OSError as exc:  # ELOOP: a symbolic link
        raise OutputReplaced(_not_its_output(task_id, stream)) from exc
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
            raise OutputReplaced(_not_its_output(task_id, stream))
        file.seek(offset)
        return OutputChunk(file.read(max(0, min(length, status.st_size - offset))), status.st_size)


def _not_its_output(task_id: str, stream: OutputStream) -> str:
    return f"Task '{task_id}' replaced its {stream} file with something else: it is not served"
