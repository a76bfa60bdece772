"""Settings: each declared once, as a `Settings` field with its env vars, parser and help.

Each setting is a flag of `metronome serve` and an environment variable (`METRONOME_*`, plus
Metronome's own names as aliases). A flag beats the environment, which beats the default. All
problems are reported together, each naming the flag, the variable and the bad value.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
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
class Option:
    """How one setting is read: its flag, env vars (first is canonical), parser and help."""

    name: str
    flag: str
    envs: tuple[str, ...]
    parse: Callable[[str], Any]
    help: str


def _setting(
    default: Any = None,
    *,
    envs: tuple[str, ...],
    parse: Callable[[str], Any],
    help_text: str,
    factory: Callable[[], Any] | None = None,
    shown_default: str | None = None,
    flag: str | None = None,
) -> Any:
    """A `Settings` field whose metadata is its `Option`; the help ends with the default.

    `shown_default` words a default that is computed (a host's CPUs) or has no value (none);
    `flag` is given where the value carries its own unit, so the name's `_s` stays off the flag.
    """
    shown = shown_default or _show(default) or "none"
    metadata = {
        "envs": envs,
        "parse": parse,
        "help": f"{help_text} (default {shown})",
        "flag": flag,
    }
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def _show(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return str(value)


def _whole_number(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        msg = "expected a whole number"
        raise ValueError(msg) from None


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        msg = "expected a number, e.g. 2 or 0.5"
        raise ValueError(msg) from None
    if not math.isfinite(value):
        msg = "expected a finite number"
        raise ValueError(msg)
    return value


def _port(text: str) -> int:
    port = _whole_number(text)
    if not 1 <= port <= 65535:
        msg = "expected a port number between 1 and 65535"
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


def _directory(text: str) -> Path:
    return Path(_non_empty(text))


def _http_url(text: str) -> str:
    url = _non_empty(text)
    if not url.startswith(("http://", "https://")):
        msg = "expected an http:// or https:// URL"
        raise ValueError(msg)
    return url


WEBHOOK_EVENTS = ("success", "failure", "missed", "skipped")


def _webhook_events(text: str) -> str:
    """The events named, in a canonical order: `failure,missed`."""
    names = {part.strip().lower() for part in text.split(",") if part.strip()}
    if not names or not names <= set(WEBHOOK_EVENTS):
        msg = f"expected events among {', '.join(WEBHOOK_EVENTS)}, separated by commas"
        raise ValueError(msg)
    return ",".join(name for name in WEBHOOK_EVENTS if name in names)


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        msg = "must be at least 1"
        raise ValueError(msg)
    return value


def _positive_float(text: str) -> float:
    value = _number(text)
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


def _host_cpus() -> float:
    return float(os.cpu_count() or 1)


def _zk_url(text: str) -> ZkUrl:
    scheme, sep, rest = text.strip().partition("://")
    if scheme != "zk" or not sep:
        msg = "expected zk://host:port[,host:port...]/path"
        raise ValueError(msg)
    hosts, _slash, path = rest.partition("/")
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
    try:
        if text.endswith("ms"):
            value = float(text[:-2]) / 1000
        elif text.endswith("s"):
            value = float(text[:-1])
        else:
            value = float(text) / 1000
    except ValueError:
        msg = "expected a duration such as 6s, 500ms, or a bare number of milliseconds"
        raise ValueError(msg) from None
    if not 0 < value < float("inf"):
        msg = "must be greater than 0"
        raise ValueError(msg)
    return value


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        msg = "expected one of DEBUG, INFO, WARNING, ERROR"
        raise ValueError(msg)
    return level


def _names(text: str) -> tuple[str, ...]:
    """`a,b,c` -> ("a", "b", "c"): a comma-separated list, blanks dropped."""
    return tuple(dict.fromkeys(filter(None, (part.strip() for part in text.split(",")))))


def _directories(text: str) -> tuple[Path, ...]:
    paths = tuple(Path(name) for name in _names(text))
    relative = [str(path) for path in paths if not path.is_absolute()]
    if relative:
        msg = f"expected absolute directories, got {', '.join(relative)}"
        raise ValueError(msg)
    return paths


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0"):
        return False
    msg = "expected true or false"
    raise ValueError(msg)


EVENT_LOOPS = ("asyncio", "uvloop")


def _event_loop(text: str) -> str:
    name = text.strip().lower()
    if name not in EVENT_LOOPS:
        msg = f"expected one of {', '.join(EVENT_LOOPS)}"
        raise ValueError(msg)
    return name


_WEEK_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one server process (frozen; passed explicitly)."""

    http_port: int | None = _setting(
        9000,
        envs=("METRONOME_HTTP_PORT", "METRONOME_PLAY_SERVER_HTTP_PORT"),
        parse=_port_or_disabled,
        help_text="TCP port of the REST API, or `disabled` to serve HTTPS only",
    )
    """None: HTTP disabled (`--http-port disabled`, as Metronome), HTTPS only."""
    https_port: int | None = _setting(
        envs=("METRONOME_HTTPS_PORT", "METRONOME_PLAY_SERVER_HTTPS_PORT"),
        parse=_port,
        help_text="TCP port of the REST API over TLS; needs --tls-cert and --tls-key",
    )
    tls_cert: Path | None = _setting(
        envs=("METRONOME_TLS_CERT",), parse=_file, help_text="PEM certificate (chain) for HTTPS"
    )
    tls_key: Path | None = _setting(
        envs=("METRONOME_TLS_KEY",),
        parse=_file,
        help_text="PEM private key for HTTPS (unencrypted)",
    )
    auth_config: Path | None = _setting(
        envs=("METRONOME_AUTH_CONFIG",),
        parse=_file,
        help_text="TOML file of users, tokens and their grants; turns authentication on",
        shown_default="off",
    )
    http_address: str = _setting(
        "0.0.0.0",
        envs=("METRONOME_HTTP_ADDRESS",),
        parse=_non_empty,
        help_text="address the REST API binds to",
    )
    data_dir: Path = _setting(
        Path("data"),
        envs=("METRONOME_DATA_DIR",),
        parse=_directory,
        help_text="directory of the embedded store and task sandboxes",
    )
    hostname: str = _setting(
        envs=("METRONOME_HOSTNAME", "METRONOME_LEADER_ELECTION_HOSTNAME"),
        parse=_non_empty,
        help_text="host name this instance advertises, in /leader and to other instances",
        factory=socket.gethostname,
        shown_default="this machine's host name",
    )
    attributes: dict[str, str] = _setting(
        envs=("METRONOME_ATTRIBUTES",),
        parse=_attributes,
        help_text="attributes of this host for placement constraints, e.g. rack:rack-2,zone:a",
        factory=dict,
        shown_default="none",
    )
    cpus: float = _setting(
        envs=("METRONOME_CPUS",),
        parse=_positive_float,
        help_text="CPUs the local launcher may give tasks at once",
        factory=_host_cpus,
        shown_default="this host's count",
    )
    mem: float = _setting(
        envs=("METRONOME_MEM",),
        parse=_positive_float,
        help_text="memory in MB the local launcher may give tasks at once",
        factory=_total_memory_mb,
        shown_default="this host's total",
    )
    disk: float = _setting(
        100_000.0,
        envs=("METRONOME_DISK",),
        parse=_positive_float,
        help_text="disk in MB the local launcher may give tasks at once",
    )
    history_count: int = _setting(
        1000,
        envs=("METRONOME_HISTORY_COUNT",),
        parse=_positive_int,
        help_text="finished runs kept per job in each history list",
    )
    webhook_url: str | None = _setting(
        envs=("METRONOME_WEBHOOK_URL",),
        parse=_http_url,
        help_text="where jobs without a metronome.webhook.url label send their notifications",
        shown_default="none",
    )
    webhook_events: str = _setting(
        "failure,missed,skipped",
        envs=("METRONOME_WEBHOOK_EVENTS",),
        parse=_webhook_events,
        help_text="what the default webhook is told of: success, failure, missed, skipped",
    )
    metrics_job_labels: int = _setting(
        1000,
        envs=("METRONOME_METRICS_JOB_LABELS",),
        parse=_positive_int,
        help_text="at most this many jobs (the first by id) get per-job metrics in /metrics",
    )
    sandbox_retention_s: float = _setting(
        _WEEK_S,
        envs=("METRONOME_SANDBOX_RETENTION",),
        parse=_duration_s,
        help_text="how long the local launcher keeps the sandbox of an ended task, as a Mesos"
        " agent: 604800s, or a bare number of ms",
        shown_default="7 days",
        flag="--sandbox-retention",
    )
    actor_threads: int = _setting(
        8,
        envs=("METRONOME_ACTOR_THREADS",),
        parse=_positive_int,
        help_text="threads shared by all actors",
    )
    """With 16, more threads contended for the GIL and a burst of due jobs fired later
    (docs/benchmarks.md)."""
    max_launch_rate: float | None = _setting(
        envs=("METRONOME_MAX_LAUNCH_RATE",),
        parse=_positive_float,
        help_text="scheduled launches per second at most: a burst of due instants is spread,"
        " each still firing inside its startingDeadlineSeconds",
        shown_default="no limit",
    )
    ask_timeout_s: float = _setting(
        10.0,
        envs=("METRONOME_ASK_TIMEOUT",),
        parse=_positive_float,
        help_text="seconds a request waits for the job service before a 503",
    )
    max_body_bytes: int = _setting(
        1024 * 1024,
        envs=("METRONOME_MAX_BODY_BYTES",),
        parse=_positive_int,
        help_text="largest request body accepted, in bytes",
    )
    zk: ZkUrl | None = _setting(
        envs=("METRONOME_ZK_URL",),
        parse=_zk_url,
        help_text="ZooKeeper for storage and leader election, zk://host:2181,host2:2181/metronome",
        shown_default="none, the embedded store",
    )
    zk_session_timeout_s: float = _setting(
        10.0,
        envs=("METRONOME_ZK_SESSION_TIMEOUT",),
        parse=_duration_s,
        help_text="ZooKeeper session timeout: 6s, 6000ms, or a bare number of ms",
        shown_default="10s",
        flag="--zk-session-timeout",
    )
    separate_data_dirs: bool = _setting(
        False,
        envs=("METRONOME_SEPARATE_DATA_DIRS",),
        parse=_switch,
        help_text="with --zk and the local launcher, let instances have their own data dirs (one"
        " per host): a fail-over then ends the old leader's running runs FAILED with an unknown"
        " outcome instead of adopting them; true or false",
        shown_default="false: every instance must use the cluster's data dir",
    )
    master: str | None = _setting(
        envs=("METRONOME_MESOS_MASTER_URL",),
        parse=_non_empty,
        help_text="Mesos master: http://host:5050[,host2:5050] or zk://host:2181/mesos; launches"
        " tasks on Mesos instead of this host",
        shown_default="none, the local launcher",
    )
    framework_name: str = _setting(
        "metronome",
        envs=("METRONOME_FRAMEWORK_NAME",),
        parse=_non_empty,
        help_text="Mesos framework name",
    )
    mesos_role: str = _setting(
        "*", envs=("METRONOME_MESOS_ROLE",), parse=_non_empty, help_text="Mesos role"
    )
    mesos_user: str | None = _setting(
        envs=("METRONOME_MESOS_USER",),
        parse=_non_empty,
        help_text="user the framework's tasks run as by default",
        shown_default="the server's user",
    )
    mesos_principal: str | None = _setting(
        envs=("METRONOME_MESOS_AUTHENTICATION_PRINCIPAL",),
        parse=_non_empty,
        help_text="principal to authenticate to Mesos as",
    )
    mesos_secret_file: Path | None = _setting(
        envs=("METRONOME_MESOS_AUTHENTICATION_SECRET_FILE",),
        parse=_file,
        help_text="file holding the principal's secret",
    )
    mesos_failover_timeout_s: float = _setting(
        _WEEK_S,
        envs=("METRONOME_MESOS_FAILOVER_TIMEOUT",),
        parse=_duration_s,
        help_text="how long Mesos keeps the framework's tasks while no scheduler is connected:"
        " 604800s, or a bare number of ms",
        shown_default="7 days",
        flag="--mesos-failover-timeout",
    )
    webui_url: str | None = _setting(
        envs=("METRONOME_WEB_UI_URL",),
        parse=_non_empty,
        help_text="web UI URL advertised to Mesos",
        shown_default="this instance",
    )
    log_level: str = _setting(
        "INFO",
        envs=("METRONOME_LOG_LEVEL",),
        parse=_log_level,
        help_text="DEBUG, INFO, WARNING or ERROR",
    )
    mesos_ca_file: Path | None = _setting(
        envs=("METRONOME_MESOS_CA_FILE",),
        parse=_file,
        help_text="CA certificates (PEM) that https:// Mesos masters are verified by; with a"
        " zk:// master, it also makes the masters spoken to over https",
        shown_default="none, the system's CAs",
    )
    task_user: str = _setting(
        "nobody",
        envs=("METRONOME_TASK_USER",),
        parse=_non_empty,
        help_text="user a task without `user` runs as, when the server runs as root",
    )
    task_users: tuple[str, ...] = _setting(
        (),
        envs=("METRONOME_TASK_USERS",),
        parse=_names,
        help_text="further users a job may name in `user`, comma-separated; root only if listed",
        shown_default="none",
    )
    artifact_dirs: tuple[Path, ...] = _setting(
        (),
        envs=("METRONOME_ARTIFACT_DIRS",),
        parse=_directories,
        help_text="directories file:// artifacts may come from, comma-separated",
        shown_default="none: no file:// artifacts",
    )
    allow_loopback_artifacts: bool = _setting(
        False,
        envs=("METRONOME_ALLOW_LOOPBACK_ARTIFACTS",),
        parse=_switch,
        help_text="let artifacts come from loopback and link-local addresses (this host's"
        " services, cloud metadata): true or false",
        shown_default="false",
    )
    docker_privileged: bool = _setting(
        False,
        envs=("METRONOME_DOCKER_PRIVILEGED",),
        parse=_switch,
        help_text="let jobs run privileged Docker containers: true or false",
        shown_default="false",
    )
    docker_parameters: tuple[str, ...] = _setting(
        (),
        envs=("METRONOME_DOCKER_PARAMETERS",),
        parse=_names,
        help_text="Docker `parameters` keys jobs may pass (e.g. memory,label), comma-separated",
        shown_default="none",
    )
    task_pids_max: int = _setting(
        4096,
        envs=("METRONOME_TASK_PIDS_MAX",),
        parse=_positive_int,
        help_text="most processes and threads one task may have at once (cgroup pids limit)",
    )
    event_loop: str = _setting(
        "asyncio",
        envs=("METRONOME_EVENT_LOOP",),
        parse=_event_loop,
        help_text="the event loop: asyncio (the standard library's) or uvloop",
    )
    """asyncio by default: uvloop made POST /v1/jobs faster in one of four same-run A/Bs, GETs
    5-22 % faster (docs/benchmarks.md, sixth round)."""

    @property
    def advertised_address(self) -> str:
        """`host:port` as `/leader` and other instances see this one (HTTP, else HTTPS)."""
        return f"{self.hostname}:{self.http_port or self.https_port}"

    @property
    def advertised_scheme(self) -> str:
        return "http" if self.http_port is not None else "https"

    def public(self) -> dict[str, str]:
        """Every setting as text, for `/info` (none of them is a secret: a secret is a file)."""
        return {option.name: _show(getattr(self, option.name)) for option in OPTIONS}


def _option(spec: dataclasses.Field[Any]) -> Option:
    meta = spec.metadata
    flag = meta["flag"] or "--" + spec.name.replace("_", "-")
    return Option(spec.name, flag, meta["envs"], meta["parse"], meta["help"])


OPTIONS: tuple[Option, ...] = tuple(_option(spec) for spec in dataclasses.fields(Settings))


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


__all__ = ["OPTIONS", "Option", "Settings", "ZkUrl", "add_arguments", "load"]
