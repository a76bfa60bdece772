"""Webhook notifications of finished runs and missed or skipped slots."""

from metronome.webhooks._notifier import WebhookNotifier
from metronome.webhooks._targets import EVENTS_LABEL, URL_LABEL, Event, parse_events

__all__ = ["EVENTS_LABEL", "URL_LABEL", "Event", "WebhookNotifier", "parse_events"]
