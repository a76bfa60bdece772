"""What a launcher answers when asked for a task's output (`stdout` or `stderr`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from metronome.errors import MetronomeError

OutputStream = Literal["stdout", "stderr"]


@dataclass(frozen=True, slots=True)
class OutputChunk:
    """Bytes of one output file from an offset, and how large the file was when read.

    `running` says whether the task may still write more (a follower polls until it is False).
    """

    data: bytes
    size: int
    running: bool


class OutputUnavailable(MetronomeError):
    """The output cannot be read: unknown task, sandbox removed, agent gone. The message says
    which, and when the output was removed where that is known; the API answers 404 with it."""
