"""Cron schedules and time zones: when a job fires, as pure functions of the time given."""

from metronome.scheduling._cron import Cron, parse_cron
from metronome.scheduling._syntax import CronError
from metronome.scheduling._zones import parse_timezone

__all__ = ["Cron", "CronError", "parse_cron", "parse_timezone"]
