"""The isolation flags: parsed, checked, and turned into the launcher's and the API's policy."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from metronome import config
from metronome.errors import ConfigError
from metronome.launch import TaskPolicy


def _load(*argv: str, **environ: str) -> config.Settings:
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    return config.load(parser.parse_args(argv), environ=environ)


def test_the_defaults_are_the_strict_ones() -> None:
    policy = TaskPolicy.from_settings(_load())
    assert policy.task_user == "nobody"
    assert policy.allowed_users == {"nobody"}
    assert policy.artifact_dirs == ()
    assert (policy.allow_loopback_artifacts, policy.docker_privileged) == (False, False)
    assert policy.docker_parameters == frozenset()
    assert policy.pids_max == 4096


def test_flags_and_variables_set_the_policy() -> None:
    settings = _load(
        "--task-user", "daemon",
        "--task-users", " root, bin ,,root",
        "--artifact-dirs", "/srv/artifacts,/opt/tools",
        "--allow-loopback-artifacts", "yes",
        "--docker-parameters", "memory,label",
        "--task-pids-max", "100",
        METRONOME_DOCKER_PRIVILEGED="true",
    )  # fmt: skip
    policy = TaskPolicy.from_settings(settings)
    assert policy.allowed_users == {"daemon", "root", "bin"}
    assert policy.artifact_dirs == (Path("/srv/artifacts"), Path("/opt/tools"))
    assert policy.allow_loopback_artifacts and policy.docker_privileged
    assert policy.docker_parameters == {"memory", "label"}
    assert policy.pids_max == 100
    assert settings.public()["task_users"] == "root,bin"  # /info's config: text as before


def test_bad_values_name_their_flag() -> None:
    with pytest.raises(ConfigError) as caught:
        _load("--artifact-dirs", "relative/dir", "--allow-loopback-artifacts", "maybe")
    assert str(caught.value).splitlines()[1:] == [
        "  --artifact-dirs: 'relative/dir' is not valid: expected absolute directories, got "
        "relative/dir",
        "  --allow-loopback-artifacts: 'maybe' is not valid: expected true or false",
    ]
