"""Password and token hashes for the auth file: never plain text, always compared in constant time.

Passwords are low-entropy, so they go through scrypt (a memory-hard KDF) with a random salt:
`scrypt$<n>$<r>$<p>$<salt, base64>$<key, base64>`. API tokens are long random secrets made by
`new_token()`, so a KDF would add nothing but latency: they are stored as `sha256$<hex>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SCRYPT_N = 2**15
"""CPU/memory cost: ~65 ms and 32 MB per verification on a current core."""
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_KEY_BYTES = 32
_TOKEN_BYTES = 32


class HashFormatError(ValueError):
    """A stored hash is not in one of the forms this module writes."""


@dataclass(frozen=True)
class PasswordHash:
    """A parsed `scrypt$...` hash."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    def matches(self, password: str) -> bool:
        """Whether `password` derives this key; slow by design, so call it off the event loop."""
        return hmac.compare_digest(_scrypt(password, self.salt, self.n, self.r, self.p), self.key)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=_KEY_BYTES
    )


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """The `scrypt$...` hash of `password`, with a fresh salt (what `metronome passwd` prints).

    Args:
        password: the plain password.
        n: scrypt's cost, a power of two; lower only in tests.
    """
    salt = secrets.token_bytes(_SALT_BYTES)
    key = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return "$".join(("scrypt", str(n), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(key)))


def parse_password_hash(text: str) -> PasswordHash:
    """Read a `scrypt$n$r$p$salt$key` hash.

    Raises:
        HashFormatError: not that form, or parameters scrypt would refuse.
    """
    parts = text.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        msg = "expected scrypt$<n>$<r>$<p>$<salt>$<key> (print one with `metronome passwd`)"
        raise HashFormatError(msg)
    try:
        n, r, p = (int(part) for part in parts[1:4])
        salt, key = (base64.b64decode(part, validate=True) for part in parts[4:])
    except (ValueError, binascii.Error) as exc:
        msg = f"the scrypt parameters or the base64 salt and key cannot be read: {exc}"
        raise HashFormatError(msg) from exc
    if n < 2 or n & (n - 1) or not 1 <= r <= 64 or not 1 <= p <= 16 or not salt or not key:
        msg = f"unusable scrypt parameters n={n} r={r} p={p} (n must be a power of two)"
        raise HashFormatError(msg)
    return PasswordHash(n, r, p, salt, key)


def new_token() -> str:
    """A fresh random API token (43 URL-safe characters)."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The `sha256$<hex>` form of a token, as the auth file stores it."""
    return "sha256$" + token_digest(token).hex()


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def parse_token_hash(text: str) -> bytes:
    """The digest inside a `sha256$<hex>` token hash.

    Raises:
        HashFormatError: not that form.
    """
    kind, _, hexdigest = text.partition("$")
    try:
        digest = bytes.fromhex(hexdigest)
    except ValueError:
        digest = b""
    if kind != "sha256" or len(digest) != hashlib.sha256().digest_size:
        msg = "expected sha256$<64 hex digits> (print one with `metronome passwd --token`)"
        raise HashFormatError(msg)
    return digest


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
