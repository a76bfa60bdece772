"""Why a run ended: what an operator reads first when looking at a finished run."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_MESSAGE_CHARS = 512
"""A launcher's message is cut to this length: a history keeps up to 2,000 runs per job."""


class EndKind(StrEnum):
    """The kinds of end a run can have."""

    SUCCEEDED = "SUCCEEDED"
    EXITED = "EXITED"
    """Its last task's command exited with a non-zero code (`exitCode`)."""
    SIGNALED = "SIGNALED"
    """Its last task's command was killed by a signal (`signal`; `exitCode` as the shell saw it)."""
    KILLED = "KILLED"
    """Its last task was killed, not at this service's request (e.g. by an agent)."""
    LOST = "LOST"
    """Its last task was lost, or ended without an exit code; `message` says what is known."""
    FAILED_TO_START = "FAILED_TO_START"
    """Its last task failed before its command ran (`message`: the launcher's)."""
    STOPPED = "STOPPED"
    """Stopped through the API (`by`: who, when authentication is on)."""
    REPLACED = "REPLACED"
    """Stopped for a newer run of a REPLACE schedule (`scheduleId`)."""
    LAUNCH_DEADLINE = "LAUNCH_DEADLINE"
    """No task ran within maxLaunchDelay or the schedule's startingDeadlineSeconds."""
    RESTART_DEADLINE = "RESTART_DEADLINE"
    """A task failed after activeDeadlineSeconds, so ON_FAILURE did not relaunch it; the other
    fields describe that task's end."""
    NOT_STORED = "NOT_STORED"
    """The run's record could not be written, so it never launched."""
    TIMED_OUT = "TIMED_OUT"
    """Its running task outran `run.timeoutSeconds` and was killed (`message` says so)."""
    OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
    """Its task belongs to a launcher this instance cannot reach (another instance's own data
    dir): never started twice, so its outcome is not known here (`message` names the task, the
    launcher and its host)."""


@dataclass(frozen=True, slots=True)
class RunEnd:
    """Why a run ended, with the facts that go with its kind (the others are None)."""

    kind: EndKind
    exit_code: int | None = None
    signal: int | None = None
    message: str | None = None
    by: str | None = None
    """Who stopped the run (STOPPED), or the schedule that replaced it (REPLACED)."""

    def __post_init__(self) -> None:
        if self.message is not None and len(self.message) > MAX_MESSAGE_CHARS:
            object.__setattr__(self, "message", self.message[: MAX_MESSAGE_CHARS - 1] + "…")
