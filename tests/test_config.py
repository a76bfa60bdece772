"""Settings from flags, env vars (with Metronome's aliases) and defaults."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from metronome import config
from metronome.errors import ConfigError


def _flags(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    return parser.parse_args(argv)


def test_defaults() -> None:
    settings = config.load(_flags(), environ={})
    assert settings.http_port == 9000
    assert settings.data_dir == Path("data")
    assert settings.history_count == 1000


def test_flag_beats_env_beats_default() -> None:
    env = {"METRONOME_HTTP_PORT": "9100", "METRONOME_DATA_DIR": "/tmp/x"}
    settings = config.load(_flags("--http-port", "9200"), environ=env)
    assert settings.http_port == 9200
    assert settings.data_dir == Path("/tmp/x")


def test_metronome_port_alias() -> None:
    settings = config.load(_flags(), environ={"METRONOME_PLAY_SERVER_HTTP_PORT": "9300"})
    assert settings.http_port == 9300


def test_attributes_parse() -> None:
    settings = config.load(_flags("--attributes", "rack:rack-2, zone:a"), environ={})
    assert settings.attributes == {"rack": "rack-2", "zone": "a"}


def test_every_error_is_reported_with_its_source() -> None:
    env = {"METRONOME_HISTORY_COUNT": "0"}
    with pytest.raises(ConfigError) as caught:
        config.load(_flags("--http-port", "http", "--attributes", "rack"), environ=env)
    message = str(caught.value)
    assert "--http-port: 'http'" in message
    assert "$METRONOME_HISTORY_COUNT" in message
    assert "--attributes: 'rack'" in message


def test_public_settings_are_text() -> None:
    shown = config.load(_flags("--attributes", "a:b"), environ={}).public()
    assert shown["attributes"] == "a:b"
    assert shown["http_port"] == "9000"
