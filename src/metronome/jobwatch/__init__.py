"""Reacting to changes of the published jobs outside the scheduler: webhooks, trigger lateness."""

from metronome.jobwatch._lateness import TriggerLateness
from metronome.jobwatch._watcher import Listener, ViewWatcher

__all__ = ["Listener", "TriggerLateness", "ViewWatcher"]
