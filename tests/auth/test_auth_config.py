"""The auth file: what it accepts, and every mistake reported with its line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from metronome.api._auth_config import Action, AuthConfigError, load_auth_config
from metronome.api._passwords import hash_password, hash_token
from tests.auth.conftest import FAST_N, write_auth_file

if TYPE_CHECKING:
    from pathlib import Path

HASH = hash_password("pw", n=FAST_N)


def test_the_example_file_loads(tmp_path: Path) -> None:
    config = load_auth_config(write_auth_file(tmp_path / "auth.toml"))
    assert sorted(config.users) == ["admin", "nobody", "prod", "viewer"]
    prod = config.users["prod"].identity
    assert prod.may(Action.DELETE, "prod.a.b")
    assert not prod.may(Action.VIEW, "prod")
    assert not prod.may(Action.VIEW, "production.a")
    assert config.users["nobody"].identity.grants == ()
    ((_, ci),) = config.tokens
    assert str(ci) == "token:ci"
    assert config.metrics_require_auth is False


def test_metrics_can_require_auth(tmp_path: Path) -> None:
    path = write_auth_file(tmp_path / "auth.toml", "\n[metrics]\nrequire_auth = true\n")
    assert load_auth_config(path).metrics_require_auth is True


def _error(tmp_path: Path, text: str) -> AuthConfigError:
    path = tmp_path / "auth.toml"
    path.write_text(text)
    with pytest.raises(AuthConfigError) as caught:
        load_auth_config(path)
    assert str(caught.value).startswith(f"{path}:{caught.value.line}: ")
    return caught.value


USER = f'[[users]]\nname = "a"\npassword_hash = "{HASH}"\n'


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[[users]\nname = 1\n", 1, "not valid TOML"),
        (
            USER + 'grants = [\n  { action = "view", jobs = "*" },\n'
            '  { action = "delet", jobs = "*" },\n]\n',
            6,
            "unknown action 'delet'",
        ),
        (USER + 'grants = [{ action = "view", jobs = "Prod/*" }]\n', 4, "job pattern 'Prod/*'"),
        (USER + 'grants = [{ action = "view" }]\n', 4, "grant jobs must be"),
        (USER + 'grants = [{ action = "view", jobs = "*", x = 1 }]\n', 4, "unknown grant key 'x'"),
        (USER + "\n" + USER, 6, "user 'a' appears twice"),
        ('[[users]]\nname = "a"\npassword_hash = "plain"\n', 3, "password_hash: expected scrypt$"),
        ('[[users]]\nname = "a"\npassword_hash = "scrypt$1000$8$1$AAAA$AAAA"\n', 3, "power of two"),
        ('[[users]]\nname = "a:b"\npassword_hash = "x"\n', 2, "must not contain ':'"),
        ('[[users]]\npassword_hash = "x"\n', 1, "name must be a non-empty string"),
        ('[[tokens]]\nname = "t"\ntoken_hash = "md5$00"\n', 3, "expected sha256$"),
        (USER + 'role = "admin"\n', 4, "unknown key 'role'"),
        ("colour = 1\n" + USER, 1, "unknown key 'colour'"),
        ('[metrics]\nrequire_auth = "yes"\n' + USER, 2, "require_auth must be true or false"),
        ("# nothing here\n", 1, "nobody could use the API"),
    ],
)
def test_a_mistake_names_its_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    error = _error(tmp_path, text)
    assert words in error.message
    assert error.line == line


def test_a_second_entry_is_located_in_its_own_table(tmp_path: Path) -> None:
    token = hash_token("t1")
    entry = '[[tokens]]\nname = "{}"\ntoken_hash = "' + token + '"\n'
    text = entry.format("one") + "\n" + entry.format("two")
    error = _error(tmp_path, text)
    assert (error.line, error.message) == (7, "this token hash appears twice")


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(AuthConfigError, match=r"missing\.toml:1: cannot read the auth file"):
        load_auth_config(path)
