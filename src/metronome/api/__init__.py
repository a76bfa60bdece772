"""The REST API: Metronome's /v1 and /v0 routes and service endpoints over aiohttp."""

from metronome.api._app import create_app
from metronome.api._app_keys import Instance, Services, ServiceSlot
from metronome.api._auth_config import AuthConfig, AuthConfigError, load_auth_config
from metronome.api._limits import SERVER_LIMITS
from metronome.api._passwords import hash_password, hash_token, new_token
from metronome.api._render import render_finished_run
from metronome.api._tls import TlsConfigError, tls_context

__all__ = [
    "SERVER_LIMITS",
    "AuthConfig",
    "AuthConfigError",
    "Instance",
    "ServiceSlot",
    "Services",
    "TlsConfigError",
    "create_app",
    "hash_password",
    "hash_token",
    "load_auth_config",
    "new_token",
    "render_finished_run",
    "tls_context",
]
