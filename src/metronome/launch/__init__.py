"""Launchers: run job tasks and report their status (local processes, Mesos)."""

from metronome.launch._launcher import (
    HostResources,
    Launcher,
    LaunchError,
    TaskSetupError,
    TaskUpdate,
    UpdateCallback,
)
from metronome.launch._local import DEFAULT_KILL_GRACE_S, LocalLauncher

__all__ = [
    "DEFAULT_KILL_GRACE_S",
    "HostResources",
    "LaunchError",
    "Launcher",
    "LocalLauncher",
    "TaskSetupError",
    "TaskUpdate",
    "UpdateCallback",
]
