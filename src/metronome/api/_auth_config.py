"""The auth file (`--auth-config FILE`): who may use the API and what each identity may do.

The file is TOML::

    [metrics]                # optional; the metrics endpoints are open unless this says otherwise
    require_auth = false

    [logins]                 # optional; failed password logins allowed, refilled over a minute
    failures_per_minute_per_client = 20
    failures_per_minute_per_user = 10

    [[users]]                # HTTP Basic; `metronome passwd` prints the hash to paste
    name = "alice"
    password_hash = "scrypt$32768$8$1$...$..."
    grants = [
      { action = "view", jobs = "*" },
      { action = ["create", "update", "delete"], jobs = "prod.*" },
    ]

    [[tokens]]               # `Authorization: Bearer <token>` or DC/OS's `token=<token>`
    name = "ci"
    token_hash = "sha256$..."
    grants = [{ action = "update", jobs = ["nightly.*", "reports"] }]
    task_users = ["batch"]   # optional: the only `run.user` its jobs may name

Actions are `view`, `create`, `update` (which covers schedules, triggering and stopping runs, and
a manual run's `env` overrides), `delete`, and `override-command` (a manual run's own `cmd` or
`args`: running another command than the job's is more than triggering it). `jobs` patterns
match whole job ids; `*` stands for any characters, dots included. `task_users` limits the users
an identity's jobs may name in `run.user` (DC/OS's `dcos:mesos:master:task:user:<name>`), within
what the server allows (`--task-users`); without it, any the server allows.
Every mistake is reported with the line it is on, so a bad file stops the server at start.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from metronome.api._passwords import (
    HashFormatError,
    PasswordHash,
    parse_password_hash,
    parse_token_hash,
)
from metronome.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    OVERRIDE_COMMAND = "override-command"
    """Replace a job's `cmd` or `args` for one manual run (beside `update`, which triggers it)."""


_PATTERN = re.compile(r"[a-z0-9.*-]+")


class AuthConfigError(ConfigError):
    """The auth file cannot be used; `line` is where the problem is (1 for the whole file)."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Grant:
    """One action on the jobs whose id matches `jobs`."""

    action: Action
    jobs: str
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.compile(".*".join(re.escape(part) for part in self.jobs.split("*")))
        object.__setattr__(self, "_regex", regex)

    def covers(self, job_id: str) -> bool:
        return self._regex.fullmatch(job_id) is not None


@dataclass(frozen=True)
class Identity:
    """A user or a token, with what it may do."""

    name: str
    kind: Literal["user", "token"]
    grants: tuple[Grant, ...]
    task_users: frozenset[str] | None = None
    """The only task users its jobs may name; None: any the server allows."""

    def may(self, action: Action, job_id: str) -> bool:
        return any(g.action is action and g.covers(job_id) for g in self.grants)

    def may_some(self, action: Action) -> bool:
        """Whether it holds `action` on at least one pattern."""
        return any(g.action is action for g in self.grants)

    def may_all(self, action: Action) -> bool:
        """Whether it holds `action` on every job (a `*` grant)."""
        return any(g.action is action and g.jobs == "*" for g in self.grants)

    def may_run_as(self, user: str) -> bool:
        return self.task_users is None or user in self.task_users

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class User:
    identity: Identity
    password: PasswordHash


@dataclass(frozen=True)
class LoginAllowance:
    """Failed password logins allowed per minute (as a burst that refills over the minute)."""

    per_client: int = 20
    per_user: int = 10


@dataclass(frozen=True)
class AuthConfig:
    """The identities of the auth file. Token digests are SHA-256 of the token."""

    users: Mapping[str, User]
    tokens: tuple[tuple[bytes, Identity], ...]
    metrics_require_auth: bool = False
    logins: LoginAllowance = field(default_factory=LoginAllowance)


def load_auth_config(path: Path) -> AuthConfig:
    """Read and check the auth file.

    Raises:
        AuthConfigError: unreadable, not TOML, or any entry wrong; names the line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthConfigError(path, 1, f"cannot read the auth file: {exc}") from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = int(m.group(1)) if (m := re.search(r"line (\d+)", str(exc))) else 1
        raise AuthConfigError(path, line, f"not valid TOML: {exc}") from exc
    return _Reader(path, text).config(document)


class _Reader:
    """Turns the parsed TOML into an AuthConfig; finds the line of each problem in the text,
    since tomllib keeps no positions."""

    def __init__(self, path: Path, text: str) -> None:
        self._path = path
        self._lines = text.splitlines()
        self._headers: dict[str, list[int]] = {}
        for number, line in enumerate(self._lines, start=1):
            if m := re.match(r"\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]", line):
                self._headers.setdefault(m.group(1), []).append(number)

    def config(self, document: dict[str, Any]) -> AuthConfig:
        for key in document.keys() - {"users", "tokens", "metrics", "logins"}:
            msg = f"unknown key {key!r}; expected users, tokens, metrics or logins"
            self._fail(msg, key=key)
        users: dict[str, User] = {}
        for index, entry in enumerate(self._tables(document, "users")):
            name, grants, task_users = self._identity_fields(entry, "users", index, "password_hash")
            if ":" in name:
                self._fail("a user name must not contain ':'", "users", index, "name")
            if name in users:
                self._fail(f"user {name!r} appears twice", "users", index, "name")
            password = self._hash(entry, "users", index, "password_hash", parse_password_hash)
            users[name] = User(Identity(name, "user", grants, task_users), password)
        tokens: dict[bytes, Identity] = {}
        for index, entry in enumerate(self._tables(document, "tokens")):
            name, grants, task_users = self._identity_fields(entry, "tokens", index, "token_hash")
            digest = self._hash(entry, "tokens", index, "token_hash", parse_token_hash)
            if digest in tokens:
                self._fail("this token hash appears twice", "tokens", index, "token_hash")
            tokens[digest] = Identity(name, "token", grants, task_users)
        if not users and not tokens:
            self._fail("no [[users]] or [[tokens]]: nobody could use the API")
        metrics = self._metrics(document)
        return AuthConfig(users, tuple(tokens.items()), metrics, self._logins(document))

    def _tables(self, document: dict[str, Any], section: str) -> list[dict[str, Any]]:
        entries = document.get(section, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self._fail(f"{section} must be written as [[{section}]] tables", key=section)
        return entries

    def _identity_fields(
        self, entry: dict[str, Any], section: str, index: int, hash_key: str
    ) -> tuple[str, tuple[Grant, ...], frozenset[str] | None]:
        for key in entry.keys() - {"name", hash_key, "grants", "task_users"}:
            msg = f"unknown key {key!r}; expected name, {hash_key}, grants, task_users"
            self._fail(msg, section, index, key)
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            self._fail("name must be a non-empty string", section, index, "name")
        grants = entry.get("grants", [])
        if not isinstance(grants, list) or not all(isinstance(g, dict) for g in grants):
            msg = 'grants must be a list like [{ action = "view", jobs = "*" }]'
            self._fail(msg, section, index, "grants")
        task_users = entry.get("task_users")
        if task_users is not None and (
            not isinstance(task_users, list) or not all(isinstance(u, str) for u in task_users)
        ):
            msg = 'task_users must be a list of user names like ["batch"]'
            self._fail(msg, section, index, "task_users")
        granted = tuple(g for each in grants for g in self._grants(each, section, index))
        return name, granted, None if task_users is None else frozenset(task_users)

    def _grants(self, grant: dict[str, Any], section: str, index: int) -> list[Grant]:
        for key in grant.keys() - {"action", "jobs"}:
            msg = f"unknown grant key {key!r}; expected action, jobs"
            self._fail(msg, section, index, "grants")
        actions = self._strings(grant.get("action"), "action", section, index)
        patterns = self._strings(grant.get("jobs"), "jobs", section, index)
        for action in actions:
            if action not in Action.__members__.values():
                expected = ", ".join(Action.__members__.values())
                msg = f"unknown action {action!r}; expected one of {expected}"
                self._fail(msg, section, index, needle=action)
        for pattern in patterns:
            if _PATTERN.fullmatch(pattern) is None:
                msg = f"job pattern {pattern!r} may hold only a-z, 0-9, '.', '-' and '*'"
                self._fail(msg, section, index, needle=pattern)
        return [Grant(Action(a), p) for a in actions for p in patterns]

    def _strings(self, value: object, key: str, section: str, index: int) -> list[str]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
            msg = f"grant {key} must be a string or a non-empty list of strings"
            self._fail(msg, section, index, "grants")
        return items

    def _hash(self, entry: dict[str, Any], section: str, index: int, key: str, parse: Any) -> Any:
        value = entry.get(key)
        if not isinstance(value, str):
            self._fail(f"{key} must be a string", section, index, key)
        try:
            return parse(value)
        except HashFormatError as exc:
            self._fail(f"{key}: {exc}", section, index, key)

    def _metrics(self, document: dict[str, Any]) -> bool:
        metrics = document.get("metrics", {})
        if not isinstance(metrics, dict) or metrics.keys() - {"require_auth"}:
            self._fail("[metrics] takes only require_auth = true|false", key="metrics")
        require = metrics.get("require_auth", False)
        if not isinstance(require, bool):
            self._fail("require_auth must be true or false", "metrics", 0, "require_auth")
        return require

    def _logins(self, document: dict[str, Any]) -> LoginAllowance:
        logins = document.get("logins", {})
        keys = {"failures_per_minute_per_client", "failures_per_minute_per_user"}
        if not isinstance(logins, dict) or logins.keys() - keys:
            msg = "[logins] takes only failures_per_minute_per_client and ..._per_user"
            self._fail(msg, key="logins")
        default = LoginAllowance()
        allowance = []
        for key, value in (
            ("failures_per_minute_per_client", default.per_client),
            ("failures_per_minute_per_user", default.per_user),
        ):
            number = logins.get(key, value)
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                self._fail(f"{key} must be a whole number of at least 1", "logins", 0, key)
            allowance.append(number)
        return LoginAllowance(*allowance)

    def _fail(
        self,
        message: str,
        section: str | None = None,
        index: int = 0,
        key: str | None = None,
        *,
        needle: str | None = None,
    ) -> NoReturn:
        raise AuthConfigError(self._path, self._line(section, index, key, needle), message)

    def _line(self, section: str | None, index: int, key: str | None, needle: str | None) -> int:
        """The line of `key` (or of the text `needle`) inside the index-th [[section]] table;
        the table's header when neither is found; the top-level key without a section."""
        starts = self._headers.get(section, []) if section else []
        start = starts[index] if index < len(starts) else 1
        every = sorted(n for numbers in self._headers.values() for n in numbers)
        end = next((n for n in every if n > start), len(self._lines) + 1) if section else start
        if section is None and key is not None:
            headers = self._headers.get(key)
            if headers:
                return headers[0]
            end = min(every, default=len(self._lines) + 1)
        for number in range(start, end):
            line = self._lines[number - 1]
            if needle is not None and (f'"{needle}"' in line or f"'{needle}'" in line):
                return number
            if needle is None and key is not None and re.match(rf"\s*{re.escape(key)}\s*=", line):
                return number
        return start
