"""Settings: declared once with type, bounds, default and env var; read from flags and env.

Each setting is a flag of `metronome serve` and an environment variable (`METRONOME_*`, plus
Metronome's own names as aliases). A flag beats the environment, which beats the default. All
problems are reported together, each naming the flag, the variable and the bad value.
"""

from __future__ import annotations

import argparse
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metronome.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


@dataclass(frozen=True)
class ZkUrl:
    """`zk://host1:2181,host2:2181/metronome`: the ensemble and the root of our nodes."""

    hosts: str
    root: str

    def __str__(self) -> str:
        return f"zk://{self.hosts}{self.root}"


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one server process (frozen; passed explicitly)."""

    http_port: int | None = 9000
    """None: HTTP disabled (`--http-port disabled`, as Metronome), HTTPS only."""
    https_port: int | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    auth_config: Path | None = None
    http_address: str = "0.0.0.0"
    data_dir: Path = Path("data")
    hostname: str = field(default_factory=socket.gethostname)
    attributes: dict[str, str] = field(default_factory=dict)
    cpus: float = field(default_factory=lambda: float(os.cpu_count() or 1))
    mem: float = field(default_factory=lambda: _total_memory_mb())
    disk: float = 100_000.0
    history_count: int = 1000
    sandbox_retention: float = 7 * 24 * 3600.0
    """Seconds the local launcher keeps an ended task's sandbox (a week, as a Mesos agent)."""
    actor_threads: int = 8
    """Threads shared by all actors: with 16, more threads contended for the GIL and a burst of
    due jobs fired later (docs/benchmarks.md)."""
    ask_timeout_s: float = 10.0
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    zk: ZkUrl | None = None
    master: str | None = None
    """Mesos master URL; None keeps the local launcher."""
    framework_name: str = "metronome"
    mesos_role: str = "*"
    mesos_user: str | None = None
    mesos_principal: str | None = None
    mesos_secret_file: Path | None = None
    mesos_failover_timeout: float = 7 * 24 * 3600.0
    """Seconds."""
    webui_url: str | None = None
    zk_session_timeout: float = 10.0
    """Seconds."""

    @property
    def advertised_address(self) -> str:
        """`host:port` as `/leader` and other instances see this one (HTTP, else HTTPS)."""
        return f"{self.hostname}:{self.http_port or self.https_port}"

    @property
    def advertised_scheme(self) -> str:
        return "http" if self.http_port is not None else "https"

    def public(self) -> dict[str, str]:
        """Every setting as text for `/info`, secrets masked."""
        shown = {}
        for option in OPTIONS:
            value = getattr(self, option.name)
            shown[option.name] = "********" if option.secret else _show(value)
        return shown


@dataclass(frozen=True)
class Option:
    """One setting: its flag, env vars (first is canonical), parser and help."""

    name: str
    envs: tuple[str, ...]
    parse: Callable[[str], Any]
    help: str
    secret: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def _port(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        msg = "must be between 1 and 65535"
        raise ValueError(msg)
    return port


def _port_or_disabled(text: str) -> int | None:
    return None if text.strip().lower() == "disabled" else _port(text)


def _file(text: str) -> Path:
    path = Path(_non_empty(text))
    if not path.is_file():
        msg = "no such file"
        raise ValueError(msg)
    return path


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        msg = "must be at least 1"
        raise ValueError(msg)
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        msg = "must be greater than 0"
        raise ValueError(msg)
    return value


def _non_empty(text: str) -> str:
    if not text.strip():
        msg = "must not be empty"
        raise ValueError(msg)
    return text.strip()


def _attributes(text: str) -> dict[str, str]:
    """`rack:rack-2,zone:a` -> {"rack": "rack-2", "zone": "a"} (Mesos agent attribute syntax)."""
    pairs = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition(":")
        if not sep or not key.strip():
            msg = f"expected name:value pairs separated by commas, got {item!r}"
            raise ValueError(msg)
        pairs[key.strip()] = value.strip()
    return pairs


def _total_memory_mb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1024 * 1024)


def _zk_url(text: str) -> ZkUrl:
    scheme, sep, rest = text.strip().partition("://")
    if scheme != "zk" or not sep:
        msg = "expected zk://host:port[,host:port...]/path"
        raise ValueError(msg)
    hosts, slash, path = rest.partition("/")
    if not hosts or "@" in hosts:
        msg = "expected zk://host:port[,host:port...]/path (credentials are not supported)"
        raise ValueError(msg)
    root = "/" + path.strip("/")
    if root == "/":
        msg = "the path (e.g. /metronome) must not be empty"
        raise ValueError(msg)
    return ZkUrl(hosts, root)


def _duration_s(text: str) -> float:
    """`6s`, `500ms`, or a bare number of milliseconds (Metronome's unit for durations)."""
    text = text.strip().lower()
    if text.endswith("ms"):
        value = float(text[:-2]) / 1000
    elif text.endswith("s"):
        value = float(text[:-1])
    else:
        value = float(text) / 1000
    if not value > 0:
        msg = "must be greater than 0"
        raise ValueError(msg)
    return value


def _log_level(text: str) -> str:
    level = text.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        msg = "must be one of DEBUG, INFO, WARNING, ERROR"
        raise ValueError(msg)
    return level


OPTIONS: tuple[Option, ...] = (
    Option(
        "http_port",
        ("METRONOME_HTTP_PORT", "METRONOME_PLAY_SERVER_HTTP_PORT"),
        _port_or_disabled,
        "TCP port of the REST API, or `disabled` to serve HTTPS only (default 9000)",
    ),
    Option(
        "https_port",
        ("METRONOME_HTTPS_PORT", "METRONOME_PLAY_SERVER_HTTPS_PORT"),
        _port,
        "TCP port of the REST API over TLS; needs --tls-cert and --tls-key (default: none)",
    ),
    Option(
        "tls_cert",
        ("METRONOME_TLS_CERT",),
        _file,
        "PEM certificate (chain) for HTTPS",
    ),
    Option(
        "tls_key",
        ("METRONOME_TLS_KEY",),
        _file,
        "PEM private key for HTTPS (unencrypted)",
    ),
    Option(
        "auth_config",
        ("METRONOME_AUTH_CONFIG",),
        _file,
        "TOML file of users, tokens and their grants; turns authentication on (default: off)",
    ),
    Option(
        "http_address",
        ("METRONOME_HTTP_ADDRESS",),
        _non_empty,
        "address the REST API binds to (default 0.0.0.0)",
    ),
    Option(
        "data_dir",
        ("METRONOME_DATA_DIR",),
        lambda text: Path(_non_empty(text)),
        "directory of the embedded store and task sandboxes (default ./data)",
    ),
    Option(
        "hostname",
        ("METRONOME_HOSTNAME", "METRONOME_LEADER_ELECTION_HOSTNAME"),
        _non_empty,
        "host name this instance advertises, in /leader and to other instances (default: this"
        " machine's host name)",
    ),
    Option(
        "attributes",
        ("METRONOME_ATTRIBUTES",),
        _attributes,
        "attributes of this host for placement constraints, e.g. rack:rack-2,zone:a",
    ),
    Option(
        "cpus",
        ("METRONOME_CPUS",),
        _positive_float,
        "CPUs the local launcher may give tasks at once (default: this host's count)",
    ),
    Option(
        "mem",
        ("METRONOME_MEM",),
        _positive_float,
        "memory in MB the local launcher may give tasks at once (default: this host's total)",
    ),
    Option(
        "disk",
        ("METRONOME_DISK",),
        _positive_float,
        "disk in MB the local launcher may give tasks at once (default 100000)",
    ),
    Option(
        "history_count",
        ("METRONOME_HISTORY_COUNT",),
        _positive_int,
        "finished runs kept per job in each history list (default 1000)",
    ),
    Option(
        "sandbox_retention",
        ("METRONOME_SANDBOX_RETENTION",),
        _duration_s,
        "how long the local launcher keeps the sandbox of an ended task: 7d as 604800s, or a"
        " bare number of ms (default 7 days)",
    ),
    Option(
        "actor_threads",
        ("METRONOME_ACTOR_THREADS",),
        _positive_int,
        "threads shared by all actors (default 8)",
    ),
    Option(
        "ask_timeout_s",
        ("METRONOME_ASK_TIMEOUT",),
        _positive_float,
        "seconds a request waits for the job service before a 503 (default 10)",
    ),
    Option(
        "max_body_bytes",
        ("METRONOME_MAX_BODY_BYTES",),
        _positive_int,
        "largest request body accepted, in bytes (default 1048576)",
    ),
    Option(
        "zk",
        ("METRONOME_ZK_URL",),
        _zk_url,
        "ZooKeeper for storage and leader election, zk://host:2181,host2:2181/metronome"
        " (default: none, the embedded store)",
    ),
    Option(
        "zk_session_timeout",
        ("METRONOME_ZK_SESSION_TIMEOUT",),
        _duration_s,
        "ZooKeeper session timeout: 6s, 6000ms, or a bare number of ms (default 10s)",
    ),
    Option(
        "master",
        ("METRONOME_MESOS_MASTER_URL",),
        _non_empty,
        "Mesos master: http://host:5050[,host2:5050] or zk://host:2181/mesos; launches tasks on"
        " Mesos instead of this host (default: none, the local launcher)",
    ),
    Option(
        "framework_name",
        ("METRONOME_FRAMEWORK_NAME",),
        _non_empty,
        "Mesos framework name (default metronome)",
    ),
    Option("mesos_role", ("METRONOME_MESOS_ROLE",), _non_empty, "Mesos role (default *)"),
    Option(
        "mesos_user",
        ("METRONOME_MESOS_USER",),
        _non_empty,
        "user the framework's tasks run as by default (default: the server's user)",
    ),
    Option(
        "mesos_principal",
        ("METRONOME_MESOS_AUTHENTICATION_PRINCIPAL",),
        _non_empty,
        "principal to authenticate to Mesos as",
    ),
    Option(
        "mesos_secret_file",
        ("METRONOME_MESOS_AUTHENTICATION_SECRET_FILE",),
        _file,
        "file holding the principal's secret",
    ),
    Option(
        "mesos_failover_timeout",
        ("METRONOME_MESOS_FAILOVER_TIMEOUT",),
        _duration_s,
        "how long Mesos keeps the framework's tasks while no scheduler is connected:"
        " 7d as 604800s, or a bare number of ms (default 7 days)",
    ),
    Option("webui_url", ("METRONOME_WEB_UI_URL",), _non_empty, "web UI URL advertised to Mesos"),
    Option(
        "log_level",
        ("METRONOME_LOG_LEVEL",),
        _log_level,
        "DEBUG, INFO, WARNING or ERROR (default INFO)",
    ),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare every option as a flag; values stay text until `load` parses them."""
    for option in OPTIONS:
        envs = ", ".join(f"${env}" for env in option.envs)
        parser.add_argument(option.flag, dest=option.name, help=f"{option.help} [{envs}]")


def load(flags: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Settings:
    """The settings from flags, then env vars, then defaults.

    Raises:
        ConfigError: listing every invalid value at once.
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    for option in OPTIONS:
        source, text = _raw(option, flags, environ)
        if text is None:
            continue
        try:
            values[option.name] = option.parse(text)
        except ValueError as exc:
            errors.append(f"{source}: {text!r} is not valid: {exc}")
    errors += _inconsistencies(values)
    if errors:
        raise ConfigError("Invalid configuration:\n  " + "\n  ".join(errors))
    return Settings(**values)


def _inconsistencies(values: dict[str, Any]) -> list[str]:
    """Problems between settings that are each valid alone."""
    errors = []
    https = values.get("https_port") is not None
    if https != (values.get("tls_cert") is not None) or https != (
        values.get("tls_key") is not None
    ):
        errors.append("--https-port, --tls-cert and --tls-key go together: give all three or none")
    if "http_port" in values and values["http_port"] is None and not https:
        errors.append("--http-port disabled needs --https-port, or nothing would serve the API")
    return errors


def _raw(
    option: Option, flags: argparse.Namespace, environ: Mapping[str, str]
) -> tuple[str, str | None]:
    flag_value = getattr(flags, option.name, None)
    if flag_value is not None:
        return option.flag, flag_value
    for env in option.envs:
        if env in environ:
            return f"{option.flag} (${env})", environ[env]
    return option.flag, None


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


__all__ = ["OPTIONS", "Option", "Settings", "ZkUrl", "add_arguments", "load"]
