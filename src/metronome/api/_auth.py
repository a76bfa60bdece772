"""Authentication and authorization of API requests, when an auth file is given.

Two middlewares, so that each sees what it needs:

- `authenticate` sits after the leader proxy (a non-leader forwards the Authorization header and
  the leader decides) and outside the error middleware, so it answers 400, 401, 429 and 503
  itself and logs every change with the final status of its response;
- `authorize` sits inside the error middleware, so its 403/404 (and a body it cannot read) come
  out in the usual JSON shapes.

What each route needs is one table, `ROUTE_RULES`; a route missing from it is refused.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from aiohttp import hdrs, web

from metronome.api._auth_config import Action, Identity
from metronome.api._authenticator import Authenticator, LoginRefused
from metronome.api._http import json_response, read_json
from metronome.api._schemas_fields import shown
from metronome.errors import JobNotFound, ServiceError

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

    from metronome.api._auth_config import AuthConfig
    from metronome.metrics import MetricsRegistry

logger = logging.getLogger(__name__)

IDENTITY = web.RequestKey("identity", Identity)

UNAUTHORIZED_MESSAGE = "Invalid username or password."
FORBIDDEN_MESSAGE = "Not Authorized to perform this action!"
CHALLENGE = 'Basic realm="Metronome", charset="UTF-8"'

ALWAYS_OPEN = frozenset({"/ping"})
METRICS_PATHS = frozenset({"/v1/metrics", "/metrics"})
_CHANGES = frozenset({"POST", "PUT", "DELETE", "PATCH"})


class Forbidden(ServiceError):
    """A known identity without the grant the request needs. The message names the identity,
    the action and the job: only ever a job the identity may view, or the id it sent."""

    status = 403

    def __init__(self, refusal: str) -> None:
        super().__init__(f"{FORBIDDEN_MESSAGE} {refusal}")


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
    ("GET", "/v1/jobs/{job_id}/schedules/{schedule_id}/slots"): _VIEW,
    ("POST", "/v1/jobs/{job_id}/schedules/{schedule_id}/backfill"): _UPDATE,
    ("GET", "/v1/jobs/{job_id}/runs"): _VIEW,
    ("POST", "/v1/jobs/{job_id}/runs"): _UPDATE,
    ("GET", "/v1/jobs/{job_id}/runs/{run_id}"): _VIEW,
    ("POST", "/v1/jobs/{job_id}/runs/{run_id}/actions/stop"): _UPDATE,
    ("GET", "/v1/jobs/{job_id}/pause"): _VIEW,
    ("POST", "/v1/jobs/{job_id}/pause"): _UPDATE,
    ("POST", "/v1/jobs/{job_id}/resume"): _UPDATE,
    ("GET", "/v1/jobs/{job_id}/runs/{run_id}/logs/stdout"): _VIEW,
    ("GET", "/v1/jobs/{job_id}/runs/{run_id}/logs/stderr"): _VIEW,
}
"""(method, route pattern) -> what the request needs; HEAD is judged as GET."""


class AccessControl:
    """The two auth middlewares of one app, and the authenticator they share."""

    def __init__(self, config: AuthConfig, metrics: MetricsRegistry | None = None) -> None:
        self.authenticator = Authenticator(config, metrics=metrics)
        open_paths = ALWAYS_OPEN if config.metrics_require_auth else ALWAYS_OPEN | METRICS_PATHS
        self.authenticate = _authenticate_middleware(self.authenticator, open_paths)
        self.authorize = _authorize_middleware()

    async def close(self, _app: web.Application) -> None:
        await self.authenticator.close()


def _authenticate_middleware(
    authenticator: Authenticator, open_paths: frozenset[str]
) -> Middleware:
    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in open_paths:
            return await handler(request)
        authorization = request.headers.get(hdrs.AUTHORIZATION)
        if authorization is not None and not authorization.isascii():
            # Credentials are base64 or a token: bytes beyond ASCII are a broken client.
            msg = "The Authorization header is malformed: it must be ASCII (Basic or Bearer)"
            return json_response({"message": msg}, status=400)
        try:
            identity = await authenticator.identify(authorization, _client(request))
        except LoginRefused as exc:
            refused = json_response({"message": str(exc)}, status=exc.status)
            refused.headers[hdrs.RETRY_AFTER] = str(exc.retry_after_s)
            return refused
        if identity is None:
            refused = json_response({"message": UNAUTHORIZED_MESSAGE}, status=401)
            refused.headers[hdrs.WWW_AUTHENTICATE] = CHALLENGE
            return refused
        request[IDENTITY] = identity
        response = await handler(request)
        if request.method in _CHANGES:
            method, status = request.method, response.status
            logger.info("%s %s %s -> %d", identity, method, request.path_qs, status)
        return response

    return authenticate


def _client(request: web.Request) -> str:
    """The address failed logins are counted against: behind a follower, the client's own
    (the follower names it in X-Forwarded-For), else the peer's."""
    if "X-VIA" in request.headers:
        forwarded = request.headers.get(hdrs.X_FORWARDED_FOR, "")
        return forwarded.rpartition(",")[2].strip() or request.remote or ""
    return request.remote or ""


def _authorize_middleware() -> Middleware:
    @web.middleware
    async def authorize(request: web.Request, handler: Handler) -> web.StreamResponse:
        identity = request.get(IDENTITY)
        match_info = request.match_info
        if identity is None or match_info.http_exception is not None:
            return await handler(request)  # an open path, or the router's own 404/405
        method = "GET" if request.method == "HEAD" else request.method
        resource = match_info.route.resource
        rule = ROUTE_RULES.get((method, resource.canonical)) if resource is not None else None
        if rule is None:
            logger.warning("No access rule for %s %s: refused", method, request.path)
            msg = f"No access rule covers {method} {request.path}: refused for {identity}."
            raise Forbidden(msg)
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
    raise Forbidden(f"{identity} may not {action} job '{shown(job_id)}'.")


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
        if not identity.may(Action.CREATE, job_id):
            raise Forbidden(f"{identity} may not create job '{shown(job_id)}'.")
    elif not identity.may_some(Action.CREATE):
        raise Forbidden(f"{identity} may not create any job.")


def _filtered(response: web.StreamResponse, identity: Identity, rule: Rule) -> web.StreamResponse:
    """A listing cut down to the jobs the identity may view."""
    if not isinstance(response, web.Response) or response.status != 200:
        return response
    if not isinstance(response.body, bytes):
        return response
    assert rule.action is not None
    items = json.loads(response.body)
    return json_response([i for i in items if identity.may(rule.action, i[rule.listing_key])])
