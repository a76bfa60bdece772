"""The REST API: Metronome's /v1 and /v0 routes and service endpoints over aiohttp."""

from metronome.api._app import create_app
from metronome.api._services import Instance, Services, ServiceSlot

__all__ = ["Instance", "ServiceSlot", "Services", "create_app"]
