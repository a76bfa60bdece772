"""Credentials: the Basic cache, hostile headers, metrics behind auth, and forwarding."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

from metronome.api import Instance, ServiceSlot, create_app
from metronome.api._auth_config import load_auth_config
from metronome.api._authenticator import Authenticator
from metronome.api._passwords import hash_password, hash_token
from metronome.config import Settings
from metronome.ha import SoleLeadership
from metronome.metrics import MetricsRegistry
from tests.auth.conftest import basic, leading_app_client, write_auth_file

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services
    from metronome.api._auth_config import AuthConfig


async def test_verified_basic_credentials_are_cached_not_rederived(tmp_path: Path) -> None:
    slow = hash_password("pw", n=2**16)  # ~130 ms per derivation
    path = tmp_path / "auth.toml"
    path.write_text(f'[[users]]\nname = "u"\npassword_hash = "{slow}"\n')
    authenticator = Authenticator(load_auth_config(path))
    header = "Basic " + base64.b64encode(b"u:pw").decode()
    try:
        assert str(await authenticator.identify(header)) == "user:u"
        started = time.perf_counter()
        for _ in range(100):
            assert str(await authenticator.identify(header)) == "user:u"
        assert time.perf_counter() - started < 0.05
        wrong = "Basic " + base64.b64encode(b"u:wrong").decode()
        assert await authenticator.identify(wrong) is None
    finally:
        await authenticator.close()


async def test_hostile_authorization_headers_are_401(tmp_path: Path) -> None:
    authenticator = Authenticator(load_auth_config(write_auth_file(tmp_path / "auth.toml")))
    hostile = [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"admin:" + b"x" * 6000).decode(),
        "Bearer " + "t" * 8000,
        "token=",
        "Bearer",
        "",
    ]
    try:
        for header in hostile:
            assert await authenticator.identify(header) is None, header[:40]
    finally:
        await authenticator.close()


async def test_metrics_are_open_unless_the_file_says_otherwise(
    tmp_path: Path,
    services: Services,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    path = write_auth_file(tmp_path / "auth.toml", "\n[metrics]\nrequire_auth = true\n")
    client = await leading_app_client(services, load_auth_config(path), aiohttp_client)
    for route in ("/metrics", "/v1/metrics"):
        assert (await client.get(route)).status == 401
        assert (await client.get(route, headers=basic("nobody"))).status == 200
    assert (await client.get("/ping")).status == 200


async def test_behind_a_non_leader_the_leader_decides(
    services: Services,
    auth_config: AuthConfig,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    leading = await leading_app_client(services, auth_config, aiohttp_client)
    leader_address = f"127.0.0.1:{leading.server.port}"
    # The follower's own file lets everyone do everything: only the leader's file may count.
    follower_file = load_auth_config_from_text(
        f'[[tokens]]\nname = "any"\ntoken_hash = "{hash_token("t")}"\n'
        'grants = [{ action = ["view", "create", "update", "delete"], jobs = "*" }]\n',
        services.settings.data_dir.parent / "follower.toml",
    )
    settings = Settings(data_dir=services.settings.data_dir, hostname="follower", http_port=1)
    follower = create_app(
        Instance(settings, MetricsRegistry(), SoleLeadership(leader_address)),
        ServiceSlot(),
        auth=follower_file,
    )
    client = await aiohttp_client(follower)
    anonymous = await client.get("/v1/jobs")
    assert (anonymous.status, anonymous.headers["X-LEADER"]) == (401, leader_address)
    assert (await client.get("/v1/jobs", headers={"Authorization": "Bearer t"})).status == 401
    refused = await client.post("/v1/jobs", json={"id": "x"}, headers=basic("viewer"))
    assert refused.status == 403
    allowed = await client.get("/v1/jobs", headers=basic("viewer"))
    assert (allowed.status, allowed.headers["X-VIA"]) == (200, "follower:1")


def load_auth_config_from_text(text: str, path: Path) -> AuthConfig:
    path.write_text(text)
    return load_auth_config(path)
