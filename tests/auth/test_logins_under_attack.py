"""Wrong-password floods: limited per client and per identity, a bounded KDF queue, a cache keyed
on the parsed credentials, and honest logins that stay fast while a flood runs."""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from metronome.api import Instance, ServiceSlot, create_app
from metronome.api._auth_config import load_auth_config
from metronome.api._authenticator import Authenticator, LoginsBusy, TooManyLogins
from metronome.api._login_limits import LoginLimits, TokenBuckets
from metronome.api._passwords import hash_password, hash_token
from metronome.config import Settings
from metronome.ha import SoleLeadership
from metronome.metrics import MetricsRegistry
from tests.auth.conftest import CI_TOKEN, basic, bearer, leading_app_client, write_auth_file

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


Made = tuple[Authenticator, Clock, MetricsRegistry]


def make_authenticator(tmp_path: Path, **options: Any) -> Made:
    clock, metrics = Clock(), MetricsRegistry()
    config = load_auth_config(write_auth_file(tmp_path / "auth.toml"))
    limits = LoginLimits(config.logins.per_client, config.logins.per_user, clock=clock)
    return Authenticator(config, metrics=metrics, limits=limits, **options), clock, metrics


@pytest.fixture
async def authenticator(tmp_path: Path) -> AsyncIterator[Made]:
    made = make_authenticator(tmp_path)
    yield made
    await made[0].close()


def derivations(metrics: MetricsRegistry) -> int:
    return metrics.counter("auth.kdf.derivations").count


def test_a_bucket_allows_a_burst_then_one_per_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(3, 2.0, clock=clock)
    for _ in range(3):
        assert buckets.wait_s("a") == 0
        buckets.take("a")
    assert buckets.wait_s("a") == pytest.approx(2.0)
    assert buckets.wait_s("b") == 0
    clock.now += 1.5
    assert buckets.wait_s("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.wait_s("a") == 0
    buckets.take("a")
    buckets.give_back("a")
    assert buckets.wait_s("a") == 0


def test_buckets_forget_the_least_recently_used() -> None:
    buckets = TokenBuckets(1, 60.0, clock=Clock(), max_tracked=2)
    for key in ("a", "b", "c"):
        buckets.take(key)
    assert buckets.wait_s("a") == 0  # forgotten: full again
    assert buckets.wait_s("c") > 0


async def test_the_cache_is_keyed_on_the_parsed_credentials(
    authenticator: Made,
) -> None:
    auth, _, metrics = authenticator
    encoded = base64.b64encode(b"admin:admin-pw").decode()
    variants = [f"Basic {encoded}", f"basic  {encoded}", f"BASIC {encoded}  ", f" Basic\t{encoded}"]
    for variant in variants:
        assert str(await auth.identify(variant, "10.0.0.1")) == "user:admin", variant
    assert derivations(metrics) == 1


async def test_failed_logins_are_limited_per_client(
    authenticator: Made,
) -> None:
    auth, clock, metrics = authenticator
    for attempt in range(20):  # the default allowance, each a different name
        assert await auth.identify(header(f"guess{attempt}", "x"), "10.0.0.1") is None
    with pytest.raises(TooManyLogins) as refused:
        await auth.identify(header("admin", "admin-pw"), "10.0.0.1")
    assert refused.value.retry_after_s == 3  # 20 a minute: one every 3 s
    assert "retry in 3 s" in str(refused.value)
    assert derivations(metrics) == 20
    assert str(await auth.identify(header("admin", "admin-pw"), "10.0.0.2")) == "user:admin"
    clock.now += 3
    assert str(await auth.identify(header("viewer", "viewer-pw"), "10.0.0.1")) == "user:viewer"


async def test_failed_logins_are_limited_per_identity_but_a_cached_login_passes(
    authenticator: Made,
) -> None:
    auth, clock, _ = authenticator
    assert str(await auth.identify(header("admin", "admin-pw"), "10.0.0.1")) == "user:admin"
    for attempt in range(10):  # from ten clients
        assert await auth.identify(header("admin", "wrong"), f"10.1.0.{attempt}") is None
    with pytest.raises(TooManyLogins) as refused:
        await auth.identify(header("admin", "other"), "10.2.0.1")
    assert refused.value.retry_after_s == 6
    assert str(await auth.identify(header("admin", "admin-pw"), "10.2.0.1")) == "user:admin"
    assert str(await auth.identify(header("viewer", "viewer-pw"), "10.2.0.1")) == "user:viewer"
    clock.now += 6
    assert await auth.identify(header("admin", "wrong"), "10.2.0.1") is None


async def test_a_login_that_succeeds_gives_its_allowance_back(tmp_path: Path) -> None:
    auth, _, metrics = make_authenticator(tmp_path, cache_ttl_s=0)  # every login derives
    try:
        for _ in range(10):
            for user in ("admin", "viewer", "prod", "nobody"):
                assert await auth.identify(header(user, f"{user}-pw"), "10.0.0.1") is not None
        assert derivations(metrics) == 40
        for attempt in range(20):
            assert await auth.identify(header(f"guess{attempt}", "x"), "10.0.0.1") is None
    finally:
        await auth.close()


async def test_the_kdf_queue_is_bounded(tmp_path: Path) -> None:
    slow = hash_password("pw", n=2**14)
    path = tmp_path / "auth.toml"
    path.write_text(f'[[users]]\nname = "u"\npassword_hash = "{slow}"\n')
    metrics = MetricsRegistry()
    auth = Authenticator(load_auth_config(path), metrics=metrics, max_pending_kdf=3)
    try:
        guesses = [auth.identify(header("u", f"x{i}"), f"10.0.{i}.1") for i in range(30)]
        outcomes = await asyncio.gather(*guesses, return_exceptions=True)
        busy = [o for o in outcomes if isinstance(o, LoginsBusy)]
        assert len(busy) == 30 - 3
        assert all(o is None for o in outcomes if not isinstance(o, LoginsBusy))
        assert busy[0].retry_after_s == 1
        assert derivations(metrics) == 3
        assert metrics.counter("auth.logins.busy").count == 27
    finally:
        await auth.close()


async def test_refusals_are_json_with_retry_after(
    tmp_path: Path,
    services: Services,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    path = write_auth_file(
        tmp_path / "auth.toml",
        "\n[logins]\nfailures_per_minute_per_client = 2\nfailures_per_minute_per_user = 50\n",
    )
    client = await leading_app_client(services, load_auth_config(path), aiohttp_client)
    for _ in range(2):
        assert (await client.get("/v1/jobs", headers=basic("admin", "wrong"))).status == 401
    refused = await client.get("/v1/jobs", headers=basic("admin"))
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "30"
    message = (await refused.json())["message"]
    assert message == "Too many failed logins from this client or for 'admin'; retry in 30 s"
    assert (await client.get("/v1/jobs", headers=bearer(CI_TOKEN))).status == 200
    metrics = (await (await client.get("/v1/metrics")).json())["counters"]
    assert metrics["metronome.auth.logins.throttled.counter"]["count"] == 1
    assert metrics["metronome.auth.logins.failed.counter"]["count"] == 2


async def _median_s(client: TestClient[Any, Any], headers: dict[str, str], n: int) -> float:
    """Median seconds of `n` sequential calls of an endpoint that needs credentials."""
    spent = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get("/info", headers=headers)
        spent.append(time.perf_counter() - started)
        assert response.status == 200
    return statistics.median(spent)


async def _fresh_login_s(session: aiohttp.ClientSession, url: str, user: str) -> float:
    started = time.perf_counter()
    async with session.get(url, headers=basic(user, "pw")) as response:
        assert response.status == 200, await response.text()
    return time.perf_counter() - started


@pytest.mark.timeout(90)
async def test_honest_logins_stay_fast_during_a_flood(
    tmp_path: Path,
    services: Services,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    """150 wrong passwords at once from one client (the issue's flood), with scrypt's real cost:
    a token, a cached login and a first login from another address, each measured against the
    same call just before the flood."""
    users = "".join(
        f'[[users]]\nname = "{name}"\npassword_hash = "{hash_password("pw")}"\n'
        'grants = [{ action = "view", jobs = "*" }]\n'
        for name in ("cached", "first", "second")
    )
    token = f'[[tokens]]\nname = "ci"\ntoken_hash = "{hash_token(CI_TOKEN)}"\n'
    path = tmp_path / "auth.toml"
    path.write_text(users + token)
    client = await leading_app_client(services, load_auth_config(path), aiohttp_client)
    url = str(client.make_url("/info"))
    # Another client address: the flood's limit is its own client's, not this one's.
    other = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=("127.0.0.2", 0)))
    cached, token_header = basic("cached", "pw"), bearer(CI_TOKEN)
    try:
        await _median_s(client, cached, 1)  # derives once; cached from here on
        baseline = {
            "token": await _median_s(client, token_header, 20),
            "cached": await _median_s(client, cached, 20),
            "first login": await _fresh_login_s(other, url, "first"),
        }

        async def guess(i: int) -> int:
            return (await client.get("/info", headers=basic(f"u{i}", "wrong"))).status

        flood = [asyncio.ensure_future(guess(i)) for i in range(150)]
        await asyncio.sleep(0.05)  # the guesses are in
        during = {
            "first login": await _fresh_login_s(other, url, "second"),
            "token": await _median_s(client, token_header, 20),
            "cached": await _median_s(client, cached, 20),
        }
        statuses = await asyncio.gather(*flood)
    finally:
        await other.close()
    assert set(statuses) <= {401, 429, 503}
    assert statuses.count(401) <= 20  # the client's allowance: the rest never reached scrypt
    print("baseline", baseline, "during the flood", during)
    for kind in ("token", "cached"):
        assert during[kind] < 3 * baseline[kind] + 0.02, (kind, baseline, during)
    # Before the limits, a first login waited behind every guess: 60 times its baseline.
    assert during["first login"] < 6 * baseline["first login"], (baseline, during)


async def test_one_client_has_at_most_two_derivations_in_flight(tmp_path: Path) -> None:
    auth, _, metrics = make_authenticator(tmp_path)
    try:
        guesses = [auth.identify(header(f"u{i}", "x"), "10.0.0.1") for i in range(6)]
        outcomes = await asyncio.gather(*guesses, return_exceptions=True)
        refused = [o for o in outcomes if isinstance(o, TooManyLogins)]
        assert len(refused) == 4
        assert str(refused[0]) == "Too many logins at once from this client; retry in 1 s"
        assert derivations(metrics) == 2
    finally:
        await auth.close()


async def test_behind_a_follower_failed_logins_count_against_the_client(
    tmp_path: Path,
    services: Services,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    """A flood through a follower is refused for its client (here 127.0.0.2), not for every
    client of that follower: the follower names the client in X-Forwarded-For."""
    path = write_auth_file(
        tmp_path / "auth.toml", "\n[logins]\nfailures_per_minute_per_client = 3\n"
    )
    config = load_auth_config(path)
    leading = await leading_app_client(services, config, aiohttp_client)
    leader_address = f"127.0.0.1:{leading.server.port}"
    settings = Settings(data_dir=services.settings.data_dir, hostname="follower", http_port=1)
    follower = await aiohttp_client(
        create_app(
            Instance(settings, MetricsRegistry(), SoleLeadership(leader_address)), ServiceSlot()
        )
    )
    url = str(follower.make_url("/info"))
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as attacker:
        for i in range(3):
            async with attacker.get(url, headers=basic(f"u{i}", "wrong")) as response:
                assert (response.status, response.headers["X-VIA"]) == (401, "follower:1")
        async with attacker.get(url, headers=basic("admin")) as response:
            assert response.status == 429
    assert (await follower.get("/info", headers=basic("viewer"))).status == 200
