"""An in-process API with an auth file, over a real job service and a real auth file."""

from __future__ import annotations

import base64
import contextlib
import textwrap
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from metronome.api import Instance, ServiceSlot, create_app
from metronome.api._auth_config import load_auth_config
from metronome.api._passwords import hash_password, hash_token
from metronome.ha import SoleLeadership
from tests.support.server import ServerProcess
from tests.support.system import FakeClock, create_job, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services
    from metronome.api._auth_config import AuthConfig

FAST_N = 2**10
"""scrypt cost for test hashes: the format and the check are the same, only cheaper."""

PASSWORDS = {"admin": "admin-pw", "viewer": "viewer-pw", "prod": "prod-pw", "nobody": "nobody-pw"}
CI_TOKEN = "ci-token-0123456789abcdefghijklmnopqrstuvwxyz"

AUTH_FILE = """
[[users]]
name = "admin"
password_hash = "{admin}"
grants = [{{ action = ["view", "create", "update", "delete"], jobs = "*" }}]

[[users]]
name = "viewer"
password_hash = "{viewer}"
grants = [{{ action = "view", jobs = "*" }}]

[[users]]
name = "prod"
password_hash = "{prod}"
grants = [{{ action = ["view", "create", "update", "delete"], jobs = "prod.*" }}]

[[users]]
name = "nobody"
password_hash = "{nobody}"

[[tokens]]
name = "ci"
token_hash = "{ci}"
grants = [{{ action = ["view", "update"], jobs = "prod.*" }}]
"""

UNPLACEABLE_RUN = {"cmd": "true", "cpus": 0.1, "mem": 100_000, "disk": 0}
"""More memory than the test launcher has: its runs wait in the queue and never start a process."""


def basic(user: str, password: str | None = None) -> dict[str, str]:
    secret = PASSWORDS[user] if password is None else password
    encoded = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def write_auth_file(path: Path, extra: str = "") -> Path:
    hashes = {name: hash_password(pw, n=FAST_N) for name, pw in PASSWORDS.items()}
    path.write_text(textwrap.dedent(AUTH_FILE).format(ci=hash_token(CI_TOKEN), **hashes) + extra)
    return path


@contextlib.contextmanager
def secured_server(root: Path, *extra_args: str) -> Iterator[ServerProcess]:
    """A real `metronome serve` under `root` with the test auth file, stopped on exit."""
    auth = write_auth_file(root / "auth.toml")
    process = ServerProcess(root / "data", extra_args=["--auth-config", str(auth), *extra_args])
    try:
        yield process.start()
    finally:
        process.stop()


LENIENT_LOGINS = """
[logins]
failures_per_minute_per_client = 1000
failures_per_minute_per_user = 1000
"""
"""For tests that send many wrong passwords on purpose, about something else than the limits."""


@pytest.fixture
def auth_config(tmp_path: Path) -> AuthConfig:
    return load_auth_config(write_auth_file(tmp_path / "auth.toml", LENIENT_LOGINS))


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with running(tmp_path / "data", FakeClock(datetime.now(UTC))) as started:
        yield started


async def leading_app_client(
    services: Services,
    auth: AuthConfig | None,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> TestClient[Any, Any]:
    leadership = SoleLeadership("test:9000")

    async def nothing() -> None:
        return None

    await leadership.campaign(nothing, nothing)
    slot = ServiceSlot()
    slot.current = services
    instance = Instance(services.settings, services.metrics, leadership)
    return await aiohttp_client(create_app(instance, slot, auth=auth))


@pytest.fixture
async def client(
    services: Services,
    auth_config: AuthConfig,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> TestClient[Any, Any]:
    """The API with the auth file, and jobs prod.app and dev.app that each have a queued run."""
    for job_id in ("prod.app", "dev.app"):
        schedule = {"id": "nightly", "cron": "0 3 * * *"}
        await create_job(services, {"id": job_id, "run": UNPLACEABLE_RUN, "schedules": [schedule]})
        await services.ask_job(job_id, lambda actor: actor.trigger())
    return await leading_app_client(services, auth_config, aiohttp_client)
