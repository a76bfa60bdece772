"""Who may override what in a manual run, and what the run records, with an auth file on."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from metronome.api._auth_config import load_auth_config
from metronome.api._passwords import hash_password
from metronome.model import RunOverrides
from tests.auth.conftest import FAST_N, UNPLACEABLE_RUN, basic, leading_app_client, write_auth_file
from tests.support.system import FakeClock, create_job, entry, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services

COMMANDER = """
[[users]]
name = "commander"
password_hash = "{hash}"
grants = [{{ action = ["view", "update", "override-command"], jobs = "app" }}]
"""


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    async with running(tmp_path / "data", FakeClock(datetime.now(UTC))) as started:
        await create_job(started, {"id": "app", "run": {**UNPLACEABLE_RUN, "env": {"A": "a"}}})
        yield started


@pytest.fixture
async def client(
    services: Services,
    tmp_path: Path,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> TestClient[Any, Any]:
    extra = textwrap.dedent(COMMANDER).format(hash=hash_password("commander-pw", n=FAST_N))
    auth = load_auth_config(write_auth_file(tmp_path / "auth.toml", extra))
    return await leading_app_client(services, auth, aiohttp_client)


async def test_env_needs_update_and_the_command_its_own_grant(
    client: TestClient[Any, Any], services: Services
) -> None:
    admin = basic("admin")  # view, create, update, delete on every job; no override-command
    env = await client.post("/v1/jobs/app/runs", json={"env": {"B": "b"}}, headers=admin)
    assert env.status == 201, await env.text()
    for command in ({"cmd": "id"}, {"args": ["id"]}):
        refused = await client.post("/v1/jobs/app/runs", json=command, headers=admin)
        assert refused.status == 403
        assert (await refused.json()) == {
            "message": "Not Authorized to perform this action! "
            "user:admin may not override-command job 'app'."
        }
    viewer = await client.post("/v1/jobs/app/runs", json={"env": {}}, headers=basic("viewer"))
    assert viewer.status == 403  # triggering at all needs update
    allowed = await client.post(
        "/v1/jobs/app/runs", json={"cmd": "id"}, headers=basic("commander", "commander-pw")
    )
    assert allowed.status == 201, await allowed.text()

    runs = {run.id: run for run in entry(services, "app").runs}
    by_env = runs[(await env.json())["id"]]
    assert (by_env.overrides, by_env.triggered_by) == (RunOverrides(env={"B": "b"}), "admin")
    assert by_env.run_spec.env == {"A": "a", "B": "b"}
    by_cmd = runs[(await allowed.json())["id"]]
    assert (by_cmd.overrides, by_cmd.triggered_by) == (RunOverrides(cmd="id"), "commander")
    assert (by_cmd.run_spec.cmd, by_cmd.run_spec.env) == ("id", {"A": "a"})
    assert entry(services, "app").spec.run.cmd == "true"  # the job itself is unchanged
    assert len(runs) == 2
