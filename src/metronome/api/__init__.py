"""The REST API: Metronome's /v1 and /v0 routes and service endpoints over aiohttp."""

from metronome.api._app import create_app
from metronome.api._services import Services

__all__ = ["Services", "create_app"]
