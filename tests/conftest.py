"""Fixtures shared by the whole suite: real server processes on loopback."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from tests.support.server import Client, ServerProcess

pytest_plugins = ["tests.support.zookeeper"]

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server shared by the tests that only need the API; they isolate by job id."""
    # Metronome's own example job (tests/http/test_jobs.py) runs as root: the operator allows it.
    shared = tmp_path_factory.mktemp("shared") / "data"
    process = ServerProcess(shared, extra_args=["--task-users", "root"]).start()
    yield process
    assert process.stop() == 0, process.log()


@pytest.fixture
def client(server: ServerProcess) -> Client:
    return server.client


@pytest.fixture
def job_id(request: pytest.FixtureRequest) -> str:
    """A job id unique to the test, valid under the job-id pattern."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    return f"t.{name[:200]}"


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of the test's own, for tests that restart or kill it."""
    process = ServerProcess(tmp_path / "data")
    yield process
    if process.process is not None:
        process.stop()
