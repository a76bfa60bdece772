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


def test_zookeeper_url_and_session_timeout() -> None:
    env = {
        "METRONOME_ZK_URL": "zk://a:2181,b:2181/metronome/",
        "METRONOME_ZK_SESSION_TIMEOUT": "6000",
    }
    settings = config.load(_flags(), environ=env)
    assert settings.zk == config.ZkUrl("a:2181,b:2181", "/metronome")
    assert settings.zk_session_timeout_s == 6.0
    assert config.load(_flags("--zk-session-timeout", "4s"), environ={}).zk_session_timeout_s == 4.0


def test_bad_zookeeper_url() -> None:
    for url in ("http://a:2181/m", "zk://a:2181", "zk:///m", "zk://u:p@a:2181/m"):
        with pytest.raises(ConfigError, match="--zk"):
            config.load(_flags("--zk", url), environ={})


def test_bad_numbers_are_explained_in_the_users_terms() -> None:
    env = {"METRONOME_CPUS": "5x", "METRONOME_ZK_SESSION_TIMEOUT": "soon"}
    with pytest.raises(ConfigError) as caught:
        config.load(_flags("--history-count", "ten"), environ=env)
    message = str(caught.value)
    assert "'5x' is not valid: expected a number" in message
    assert "'ten' is not valid: expected a whole number" in message
    assert "'soon' is not valid: expected a duration such as 6s" in message
    assert "could not convert" not in message
    assert "invalid literal" not in message


def test_help_states_each_default_once() -> None:
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    text = parser.format_help()
    assert "(default 1000)" in text  # --history-count, derived from the field's default
    assert "(default 7 days)" in text
    assert {option.flag for option in config.OPTIONS} >= {"--zk-session-timeout", "--http-port"}
