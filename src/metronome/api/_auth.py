"""Authentication and authorization of API requests, when an auth file is given.

Two middlewares, so that each sees what it needs:

- `authenticate` sits after the leader proxy (a non-leader forwards the Authorization header and
  the leader decides) and outside the error middleware, so it answers 401 itself and logs every
  change with the final status of its response;
- `authorize` sits inside the error middleware, so its 403/404 (and a body it cannot read) come
  out in the usual JSON shapes.

What each route needs is one table, `ROUTE_RULES`; a route missing from it is refused.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
import secrets
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aiohttp import hdrs, web

from metronome.api._auth_config import Action, Identity
from metronome.api._http import json_response, read_json
from metronome.api._passwords import SCRYPT_N, SCRYPT_P, SCRYPT_R, PasswordHash, token_digest
from metronome.errors import JobNotFound, ServiceError

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

    from metronome.api._auth_config import AuthConfig

logger = logging.getLogger(__name__)

IDENTITY = web.RequestKey("identity", Identity)

UNAUTHORIZED_MESSAGE = "Invalid username or password."
FORBIDDEN_MESSAGE = "Not Authorized to perform this action!"
CHALLENGE = 'Basic realm="Metronome", charset="UTF-8"'

ALWAYS_OPEN = frozenset({"/ping"})
METRICS_PATHS = frozenset({"/v1/metrics", "/metrics"})
_CHANGES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


class Forbidden(ServiceError):
    """A known identity without the grant the request needs."""

    status = 403

    def __init__(self) -> None:
        super().__init__(FORBIDDEN_MESSAGE)


@dataclass(frozen=True)
class Rule:
    """What a route needs. `action` None: any known identity. `job` says where the job id is:
    the path, the body (creation), or each item of a listing (filtered by `listing_key`)."""

    action: Action | None = None
    job: Literal["path", "body", "listing"] | None = None
    listing_key: str = "id"


_IDENTIFIED = Rule()
_VIEW = Rule(Action.VIEW, "path")
_UPDATE = Rule(Action.UPDATE, "path")
_CREATE = Rule(Action.CREATE, "body")

ROUTE_RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/ping"): _IDENTIFIED,
    ("GET", "/info"): _IDENTIFIED,
    ("GET", "/leader"): _IDENTIFIED,
    ("GET", "/v1/metrics"): _IDENTIFIED,
    ("GET", "/metrics"): _IDENTIFIED,
    ("GET", "/openapi.json"): _IDENTIFIED,
    ("GET", "/v1/identity"): _IDENTIFIED,
    ("GET", "/v1/queue"): Rule(Action.VIEW, "listing", "jobId"),
    ("GET", "/v1/jobs"): Rule(Action.VIEW, "listing", "id"),
    ("POST", "/v1/jobs"): _CREATE,
    ("POST", "/v0/scheduled-jobs"): _CREATE,
    ("GET", "/v1/jobs/{job_id}"): _VIEW,
    ("PUT", "/v1/jobs/{job_id}"): _UPDATE,
    ("PUT", "/v0/scheduled-jobs/{job_id}"): _UPDATE,
    ("DELETE", "/v1/jobs/{job_id}"): Rule(Action.DELETE, "path"),
    ("GET", "/v1/jobs/{job_id}/schedules"): _VIEW,
    ("POST", "/v1/jobs/{job_id}/schedules"): _UPDATE,
    ("GET", "/v1/jobs/{job_id}/schedules/{schedule_id}"): _VIEW,
    ("PUT", "/v1/jobs/{job_id}/schedules/{schedule_id}"): _UPDATE,
    ("DELETE", "/v1/jobs/{job_id}/schedules/{schedule_id}"): _UPDATE,
    ("GET", "/v1/jobs/{job_id}/runs"): _VIEW,
    ("POST", "/v1/jobs/{job_id}/runs"): _UPDATE,
    ("GET", "/v1/jobs/{job_id}/runs/{run_id}"): _VIEW,
    ("POST", "/v1/jobs/{job_id}/runs/{run_id}/actions/stop"): _UPDATE,
}
"""(method, route pattern) -> what the request needs; HEAD is judged as GET."""


class Authenticator:
    """Credentials -> identity. Verified Basic credentials are cached for `cache_ttl_s`, keyed by
    an HMAC of the header under a per-process key, so a hot client costs one scrypt per TTL and
    no plain password is kept."""

    def __init__(
        self, config: AuthConfig, *, cache_ttl_s: float = 60.0, cache_size: int = 10_000
    ) -> None:
        self._config = config
        self._ttl_s = cache_ttl_s
        self._size = cache_size
        self._cache: OrderedDict[bytes, tuple[float, Identity]] = OrderedDict()
        self._cache_key = secrets.token_bytes(32)
        # A dedicated pool: a flood of wrong passwords must not starve the loop's default executor.
        self._kdf = ThreadPoolExecutor(max_workers=2, thread_name_prefix="auth-kdf")
        # Checked against for unknown user names, so they take as long as wrong passwords.
        like = next((user.password for user in config.users.values()), None)
        n, r, p = (like.n, like.r, like.p) if like else (SCRYPT_N, SCRYPT_R, SCRYPT_P)
        self._decoy = PasswordHash(n, r, p, secrets.token_bytes(16), secrets.token_bytes(32))

    async def identify(self, authorization: str | None) -> Identity | None:
        """The identity the Authorization header proves, or None."""
        if not authorization:
            return None
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "basic":
            return await self._basic(authorization, value.strip())
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

    async def _basic(self, header: str, encoded: str) -> Identity | None:
        try:
            name, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not sep:
            return None
        key = hmac.digest(self._cache_key, header.encode(), "sha256")
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and cached[0] > now:
            self._cache.move_to_end(key)
            return cached[1]
        user = self._config.users.get(name)
        stored = user.password if user is not None else self._decoy
        loop = asyncio.get_running_loop()
        if not await loop.run_in_executor(self._kdf, stored.matches, password) or user is None:
            return None
        self._cache[key] = (now + self._ttl_s, user.identity)
        self._cache.move_to_end(key)
        while len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return user.identity

    async def close(self, _app: web.Application | None = None) -> None:
        self._kdf.shutdown(wait=False, cancel_futures=True)


class AccessControl:
    """The two auth middlewares of one app, and the authenticator they share."""

    def __init__(self, config: AuthConfig) -> None:
        self.authenticator = Authenticator(config)
        open_paths = ALWAYS_OPEN if config.metrics_require_auth else ALWAYS_OPEN | METRICS_PATHS
        self.authenticate = _authenticate_middleware(self.authenticator, open_paths)
        self.authorize = _authorize_middleware()

    async def close(self, app: web.Application) -> None:
        await self.authenticator.close(app)


def _authenticate_middleware(
    authenticator: Authenticator, open_paths: frozenset[str]
) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in open_paths:
            return await handler(request)
        identity = await authenticator.identify(request.headers.get(hdrs.AUTHORIZATION))
        if identity is None:
            response = json_response({"message": UNAUTHORIZED_MESSAGE}, status=401)
            response.headers[hdrs.WWW_AUTHENTICATE] = CHALLENGE
            return response
        request[IDENTITY] = identity
        response = await handler(request)
        if request.method in _CHANGES:
            method, status = request.method, response.status
            logger.info("%s %s %s -> %d", identity, method, request.path_qs, status)
        return response

    return authenticate


def _authorize_middleware() -> Middleware:
    @web.middleware
    async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
        identity = request.get(IDENTITY)
        match_info = request.match_info
        if identity is None or match_info.http_exception is not None:
            return await handler(request)  # an open path, or the router's own 404/405
        method = "GET" if request.method == "HEAD" else request.method
        rule = ROUTE_RULES.get((method, match_info.route.resource.canonical))
        if rule is None:
            logger.warning("No access rule for %s %s: refused", method, request.path)
            raise Forbidden
        if rule.action is None:
            return await handler(request)
        if rule.job == "path":
            _check(identity, rule.action, match_info["job_id"])
        elif rule.job == "body":
            await _check_creation(identity, request)
        elif rule.job == "listing" and not identity.may_all(rule.action):
            return _filtered(await handler(request), identity, rule)
        return await handler(request)

    return authorize


def _check(identity: Identity, action: Action, job_id: str) -> None:
    """Refuse a job-scoped request; a job the identity may not view is "missing", so its
    existence does not leak.

    Raises:
        JobNotFound: the identity may not even view the job.
        Forbidden: it may view it, but not do `action`.
    """
    if identity.may(action, job_id):
        return
    if not identity.may(Action.VIEW, job_id):
        raise JobNotFound(job_id)
    raise Forbidden


async def _check_creation(identity: Identity, request: web.Request) -> None:
    """Creation is judged on the id in the body. A body without a readable id goes on to the
    handler (which answers 422) if the identity may create anything at all.

    Raises:
        Forbidden: no create grant on that id.
        BadRequest: the body is not JSON (the handler would say the same).
    """
    body = await read_json(request)  # aiohttp keeps the bytes, so the handler reads them again
    job_id = body.get("id") if isinstance(body, dict) else None
    if isinstance(job_id, str):
        allowed = identity.may(Action.CREATE, job_id)
    else:
        allowed = identity.may_some(Action.CREATE)
    if not allowed:
        raise Forbidden


def _filtered(response: web.StreamResponse, identity: Identity, rule: Rule) -> web.StreamResponse:
    """A listing cut down to the jobs the identity may view."""
    if not isinstance(response, web.Response) or response.status != 200:
        return response
    if not isinstance(response.body, bytes):
        return response
    assert rule.action is not None
    items = json.loads(response.body)
    return json_response([i for i in items if identity.may(rule.action, i[rule.listing_key])])
