"""The job CLI against a server with auth on: credentials from flags or the environment, and
the exit code of a refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from metronome.client import Exit
from tests.auth.conftest import CI_TOKEN, secured_server
from tests.cli.conftest import cli

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with secured_server(tmp_path_factory.mktemp("cli-auth")) as process:
        yield process


def test_credentials_come_from_flags_or_the_environment(secured: ServerProcess) -> None:
    assert cli(secured, "job", "list", "--user", "admin", "--password", "admin-pw").returncode == 0
    env = {"METRONOME_USER": "viewer", "METRONOME_PASSWORD": "viewer-pw"}
    assert cli(secured, "job", "list", env=env).returncode == Exit.OK
    assert cli(secured, "job", "list", env={"METRONOME_TOKEN": CI_TOKEN}).returncode == Exit.OK


def test_refusals_exit_with_denied_and_say_why(secured: ServerProcess, tmp_path: Path) -> None:
    anonymous = cli(secured, "job", "list")
    assert anonymous.returncode == Exit.DENIED
    assert anonymous.stderr == "metronome: Invalid username or password. (HTTP 401)\n"

    job = tmp_path / "job.json"
    job.write_text('{"id": "cli.denied", "run": {"cmd": "true", "cpus": 0.01, "mem": 32}}')
    viewer = ["--user", "viewer", "--password", "viewer-pw"]
    refused = cli(secured, "job", "add", str(job), *viewer)
    assert refused.returncode == Exit.DENIED
    assert "user:viewer may not create job 'cli.denied'" in refused.stderr
    assert "(HTTP 403)" in refused.stderr

    no_password = cli(secured, "job", "list", "--user", "viewer")
    assert no_password.returncode == Exit.USAGE
    assert "--user needs --password" in no_password.stderr
