"""Reading a task's output from its sandbox on this host (the local launcher's `read_output`)."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING

from metronome.launch._launcher import LaunchError
from metronome.launch._output import OutputChunk, OutputUnavailable
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
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            file.seek(offset)
            return OutputChunk(file.read(max(0, min(length, size - offset))), size)
    except FileNotFoundError:
        if sandbox.exists():
            return OutputChunk(b"", 0)  # placed, its command not started yet
        msg = f"Task '{task_id}' has no sandbox on this host: its output is gone"
        raise OutputUnavailable(msg) from None
