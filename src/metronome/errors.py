"""The project's exceptions: one base, one class per layer, specific errors below those."""

from __future__ import annotations


class MetronomeError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(MetronomeError):
    """The configuration (flags, environment) is invalid; the message lists every problem."""


class ServiceError(MetronomeError):
    """A request to the job service cannot be carried out; `status` is the HTTP answer."""

    status = 500


class JobNotFound(ServiceError):
    """No job with that id."""

    status = 404

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job '{job_id}' does not exist")


class ScheduleNotFound(ServiceError):
    """The job has no schedule with that id."""

    status = 404

    def __init__(self, schedule_id: str) -> None:
        super().__init__(f"Schedule '{schedule_id}' does not exist")


class RunNotFound(ServiceError):
    """The job has no active run with that id."""

    status = 404

    def __init__(self, run_id: str) -> None:
        super().__init__(f"JobRun '{run_id}' does not exist")


class Conflict(ServiceError):
    """The change contradicts the current state (duplicate id, active runs...)."""

    status = 409


class Unavailable(ServiceError):
    """The service cannot answer now (store down, actor overloaded); retrying later may work."""

    status = 503


class StartupError(MetronomeError):
    """The server cannot start; the message (and the log above it) says why."""
