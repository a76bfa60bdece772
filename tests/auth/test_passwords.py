"""Password and token hashes: salted, parameterised, checked in constant time."""

from __future__ import annotations

import pytest

from metronome.api._passwords import (
    SCRYPT_N,
    HashFormatError,
    hash_password,
    hash_token,
    new_token,
    parse_password_hash,
    parse_token_hash,
    token_digest,
)


def test_a_password_hash_verifies_only_its_password() -> None:
    text = hash_password("correct horse", n=2**10)
    parsed = parse_password_hash(text)
    assert parsed.matches("correct horse")
    assert not parsed.matches("correct horsE")
    assert "correct horse" not in text


def test_the_default_cost_is_written_into_the_hash_and_salts_differ() -> None:
    first, second = hash_password("same"), hash_password("same")
    assert first.startswith(f"scrypt${SCRYPT_N}$8$1$")
    assert first != second
    assert parse_password_hash(second).matches("same")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "scrypt$16384$8$1$salt",
        "bcrypt$1$2$3$AAAA$AAAA",
        "scrypt$x$8$1$AAAA$AAAA",
        "scrypt$1024$8$1$!!$AAAA",
    ],
)
def test_malformed_password_hashes_are_refused(text: str) -> None:
    with pytest.raises(HashFormatError):
        parse_password_hash(text)


def test_tokens_are_random_and_stored_as_their_digest() -> None:
    token = new_token()
    assert token != new_token()
    assert len(token) >= 43
    assert parse_token_hash(hash_token(token)) == token_digest(token)
    with pytest.raises(HashFormatError):
        parse_token_hash("sha256$abcd")
