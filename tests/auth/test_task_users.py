"""`task_users` in the auth file: the users an identity's jobs may name in `run.user`."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest

from metronome.api._auth_config import AuthConfigError, load_auth_config
from metronome.api._passwords import hash_password
from tests.auth.conftest import FAST_N, leading_app_client

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services

_ALL = '[{ action = ["view", "create", "update"], jobs = "*" }]'


def _auth_file(path: Path) -> Path:
    entries = [("batcher", '["batch"]'), ("rooted", '["root"]'), ("free", None)]
    text = ""
    for name, users in entries:
        text += f'[[users]]\nname = "{name}"\npassword_hash = "{hash_password(name, n=FAST_N)}"\n'
        text += f"grants = {_ALL}\n" + (f"task_users = {users}\n" if users else "") + "\n"
    path.write_text(text)
    return path


def _as(name: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{name}".encode()).decode()}


def _job(job_id: str, **run: Any) -> dict[str, Any]:
    return {"id": job_id, "run": {"cmd": "true", "cpus": 0.1, "mem": 32, "disk": 0, **run}}


async def test_an_identity_names_only_its_task_users(
    tmp_path: Path,
    services: Services,
    aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]],
) -> None:
    """The in-process service lets tasks run as root (tests/support/system.py)."""
    config = load_auth_config(_auth_file(tmp_path / "auth.toml"))
    client = await leading_app_client(services, config, aiohttp_client)
    refused = await client.post("/v1/jobs", json=_job("a", user="root"), headers=_as("batcher"))
    assert refused.status == 403
    message = (await refused.json())["message"]
    assert message.endswith("user:batcher may not run tasks as user 'root' (job 'a')")
    assert (await client.get("/v1/jobs/a", headers=_as("free"))).status == 404  # nothing made
    for name in ("rooted", "free"):  # its own user, or no limit beyond the server's
        job_id = f"{name}.job"
        created = await client.post("/v1/jobs", json=_job(job_id, user="root"), headers=_as(name))
        assert created.status == 201, await created.text()
    updated = await client.put(
        "/v1/jobs/rooted.job", json=_job("rooted.job", user="root"), headers=_as("batcher")
    )
    assert updated.status == 403
    # A job that names no user runs as the server's --task-user, which the operator chose.
    plain = await client.post("/v1/jobs", json=_job("b"), headers=_as("batcher"))
    assert plain.status == 201


def test_task_users_must_be_a_list_of_names(tmp_path: Path) -> None:
    path = tmp_path / "auth.toml"
    path.write_text('[[users]]\nname = "a"\npassword_hash = "x"\ntask_users = "root"\n')
    with pytest.raises(AuthConfigError, match="task_users must be a list"):
        load_auth_config(path)
