"""What a launcher answers when asked for a task's output (`stdout` or `stderr`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from metronome.errors import MetronomeError

OutputStream = Literal["stdout", "stderr"]


@dataclass(frozen=True, slots=True)
class OutputChunk:
    """Bytes of one output file from an offset, and how large the file was when read (a file
    not written yet reads as empty, of size 0)."""

    data: bytes
    size: int


class OutputUnavailable(MetronomeError):
    """The output cannot be read: unknown task, sandbox removed, agent gone; the message says
    which. The API answers 404 with it."""


class OutputReplaced(OutputUnavailable):
    """The task put something other than its output file in its place (a link, a FIFO)."""
