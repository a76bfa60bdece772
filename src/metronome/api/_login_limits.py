"""Limits on password guessing: failed logins per client and per identity, as token buckets.

A bucket holds `burst` attempts and regains one every `refill_s`. An attempt takes a token
before its password is derived (so a burst of concurrent guesses is counted while in flight)
and a login that succeeds gives it back: only failures use the allowance up. A client or an
identity with an empty bucket is refused at once, without the key derivation, so a flood costs
the server almost nothing once it is refused.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

MAX_TRACKED = 10_000
"""Buckets kept per table; the least recently used goes first, so random names cannot fill
memory (a forgotten bucket is a full one again)."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One bucket per key (a client address, a user name)."""

    def __init__(
        self,
        burst: int,
        refill_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self._burst = burst
        self._refill_s = refill_s
        self._clock = clock
        self._max_tracked = max_tracked
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_s(self, key: str) -> float:
        """How long `key` must wait for a token: 0 when it has one."""
        tokens = self._refilled(key).tokens
        return 0.0 if tokens >= 1 else (1 - tokens) * self._refill_s

    def take(self, key: str) -> None:
        """Use one of `key`'s tokens (callers check `wait_s` first)."""
        self._refilled(key).tokens -= 1

    def give_back(self, key: str) -> None:
        bucket = self._refilled(key)
        bucket.tokens = min(self._burst, bucket.tokens + 1)

    def _refilled(self, key: str) -> _Bucket:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._burst, now)
            while len(self._buckets) > self._max_tracked:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            gained = (now - bucket.updated) / self._refill_s
            bucket.tokens = min(self._burst, bucket.tokens + gained)
            bucket.updated = now
        return bucket


class LoginLimits:
    """The two limits a password attempt must pass: its client's and its identity's.

    Args:
        per_client: failed logins a client address may make in a burst, and per minute.
        per_user: the same for one user name, from any client.
        clock: monotonic seconds; injectable for tests.
    """

    def __init__(
        self, per_client: int, per_user: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = TokenBuckets(per_client, 60.0 / per_client, clock=clock)
        self._identity = TokenBuckets(per_user, 60.0 / per_user, clock=clock)

    def retry_after_s(self, client: str, name: str) -> int:
        """Whole seconds until an attempt by `client` as `name` is allowed; 0: allowed now."""
        wait = max(self._client.wait_s(client), self._identity.wait_s(name))
        return math.ceil(wait)

    def attempt(self, client: str, name: str) -> None:
        self._client.take(client)
        self._identity.take(name)

    def succeeded(self, client: str, name: str) -> None:
        self._client.give_back(client)
        self._identity.give_back(name)
