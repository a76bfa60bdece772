"""Credentials -> identity, without letting a flood of wrong passwords slow honest clients.

- Tokens are compared by their SHA-256 digest on the loop: no KDF, always fast.
- Verified Basic credentials are cached for `cache_ttl_s`, keyed on the parsed name and
  password (an HMAC under a per-process key, so no plain password is kept): spacing or case
  variants of the header hit the same entry. A cached login skips every limit below.
- Otherwise the password goes through scrypt on a small dedicated pool. At most
  `max_pending_kdf` derivations wait or run at a time, two of them per client address; beyond
  that the login is refused at once (503, or 429 for the client) rather than queued behind a
  flood.
- Failed logins are limited per client address and per user name (`LoginLimits`); past the
  limit an attempt is refused with a 429 and `Retry-After`, without deriving anything.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from metronome.api._login_limits import LoginLimits
from metronome.api._passwords import SCRYPT_N, SCRYPT_P, SCRYPT_R, PasswordHash, token_digest
from metronome.errors import ServiceError
from metronome.metrics import MetricsRegistry

if TYPE_CHECKING:
    from metronome.api._auth_config import AuthConfig, Identity

logger = logging.getLogger(__name__)

KDF_THREADS = 2
MAX_PENDING_KDF = 8
"""Derivations running or waiting: at ~65 ms each on two threads, an honest login waits at most
~0.3 s behind a flood from many addresses, instead of behind every guess the flood sent."""
MAX_PENDING_PER_CLIENT = 2
"""Derivations one client address may have running or waiting: a flood from one address takes
two slots, so the others' logins wait for at most one derivation."""


class LoginRefused(ServiceError):
    """A password attempt refused before it was checked; `retry_after_s` says when to retry."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TooManyLogins(LoginRefused):
    """The client, or the identity it claims, failed to log in too often lately, or the client
    has too many logins being checked at once."""

    status = 429


class LoginsBusy(LoginRefused):
    """Every slot for checking a password is taken."""

    status = 503


class Authenticator:
    """Authorization header -> identity, for one auth file."""

    def __init__(
        self,
        config: AuthConfig,
        *,
        metrics: MetricsRegistry | None = None,
        limits: LoginLimits | None = None,
        cache_ttl_s: float = 60.0,
        cache_size: int = 10_000,
        max_pending_kdf: int = MAX_PENDING_KDF,
    ) -> None:
        self._config = config
        allowance = config.logins
        self._limits = limits or LoginLimits(allowance.per_client, allowance.per_user)
        self._ttl_s = cache_ttl_s
        self._size = cache_size
        self._cache: OrderedDict[bytes, tuple[float, Identity]] = OrderedDict()
        self._cache_key = secrets.token_bytes(32)
        # A dedicated pool: a flood of wrong passwords must not starve the loop's default executor.
        self._kdf = ThreadPoolExecutor(max_workers=KDF_THREADS, thread_name_prefix="auth-kdf")
        self._max_pending = max_pending_kdf
        self._pending = 0
        self._pending_by_client: dict[str, int] = {}
        # Checked against for unknown user names, so they take as long as wrong passwords.
        like = next((user.password for user in config.users.values()), None)
        n, r, p = (like.n, like.r, like.p) if like else (SCRYPT_N, SCRYPT_R, SCRYPT_P)
        self._decoy = PasswordHash(n, r, p, secrets.token_bytes(16), secrets.token_bytes(32))
        metrics = metrics or MetricsRegistry()
        self._derivations = metrics.counter("auth.kdf.derivations")
        self._failed = metrics.counter("auth.logins.failed")
        self._throttled = metrics.counter("auth.logins.throttled")
        self._busy = metrics.counter("auth.logins.busy")

    async def identify(self, authorization: str | None, client: str = "") -> Identity | None:
        """The identity the Authorization header proves, or None.

        Args:
            authorization: the header's value.
            client: the caller's address, which the failed-login limit is counted against.

        Raises:
            TooManyLogins: a password attempt past the client's or the identity's limit.
            LoginsBusy: a password attempt while every derivation slot is taken.
        """
        if not authorization:
            return None
        scheme, _, value = authorization.strip().replace("\t", " ").partition(" ")
        if scheme.lower() == "basic":
            return await self._basic(value.strip(), client)
        if scheme.lower() == "bearer":
            return self._token(value.strip())
        if authorization.startswith("token="):  # DC/OS's form
            return self._token(authorization.removeprefix("token="))
        return None

    def _token(self, token: str) -> Identity | None:
        digest = token_digest(token)
        found = None
        for stored, identity in self._config.tokens:  # no early exit: constant time in the match
            if hmac.compare_digest(stored, digest):
                found = identity
        return found

    async def _basic(self, encoded: str, client: str) -> Identity | None:
        try:
            decoded = base64.b64decode(encoded, validate=True)
            name, sep, password = decoded.decode().partition(":")
        except ValueError:  # binascii.Error, UnicodeDecodeError, non-ASCII text
            return None
        if not sep:
            return None
        key = hmac.digest(self._cache_key, decoded, "sha256")
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(key)
            return cached[1]
        identity = await self._verify(name, password, client)
        if identity is not None:
            self._cache[key] = (now + self._ttl_s, identity)
            self._cache.move_to_end(key)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return identity

    async def _verify(self, name: str, password: str, client: str) -> Identity | None:
        retry_after_s = self._limits.retry_after_s(client, name)
        if retry_after_s:
            self._throttled.inc()
            msg = f"Too many failed logins from this client or for {name!r}"
            raise TooManyLogins(f"{msg}; retry in {retry_after_s} s", retry_after_s)
        in_flight = self._pending_by_client.get(client, 0)
        if in_flight >= MAX_PENDING_PER_CLIENT:
            self._throttled.inc()
            msg = "Too many logins at once from this client; retry in 1 s"
            raise TooManyLogins(msg, 1)
        if self._pending >= self._max_pending:
            self._busy.inc()
            raise LoginsBusy("Too many logins are being checked; retry in 1 s", 1)
        user = self._config.users.get(name)
        stored = user.password if user is not None else self._decoy
        self._limits.attempt(client, name)
        self._pending += 1
        self._pending_by_client[client] = in_flight + 1
        try:
            self._derivations.inc()
            loop = asyncio.get_running_loop()
            matches = await loop.run_in_executor(self._kdf, stored.matches, password)
        finally:
            self._pending -= 1
            if self._pending_by_client[client] == 1:
                del self._pending_by_client[client]
            else:
                self._pending_by_client[client] -= 1
        if not matches or user is None:
            self._failed.inc()
            logger.info("Failed login as %r from %s", name, client or "?")
            return None
        self._limits.succeeded(client, name)
        return user.identity

    async def close(self) -> None:
        self._kdf.shutdown(wait=False, cancel_futures=True)
