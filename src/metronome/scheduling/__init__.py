"""Cron schedules and time zones: when a job fires, as pure functions of the time given."""

from metronome.scheduling._cron import Cron, Every, Recurrence, parse_cron
from metronome.scheduling._syntax import CronError
from metronome.scheduling._zones import parse_timezone

__all__ = ["Cron", "CronError", "Every", "Recurrence", "parse_cron", "parse_timezone"]
