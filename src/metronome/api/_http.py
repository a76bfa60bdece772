"""Request and response plumbing shared by all handlers: JSON in, JSON out, errors as JSON."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from metronome.api._schemas import ValidationFailed
from metronome.errors import ServiceError
from metronome.storage import StorageError

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

logger = logging.getLogger(__name__)

JSON_TYPES = frozenset({"application/json", "text/json"})


class BadRequest(ServiceError):
    """The request cannot be read: malformed JSON, wrong content type, bad query parameter."""

    status = 400


def json_body(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(
    data: Any = None, *, status: int = 200, body: bytes | None = None
) -> web.Response:
    """A JSON response with `Content-Type: application/json` exactly and a Content-Length.

    `body` passes bytes that are already JSON (cached renderings) without re-encoding them.
    """
    return web.Response(
        body=json_body(data) if body is None else body,
        status=status,
        content_type="application/json",
    )


async def read_json(request: web.Request) -> Any:
    """The request body parsed as JSON.

    Raises:
        BadRequest: wrong content type, not UTF-8, not JSON, NaN/Infinity, or nested too deeply.
    """
    if request.content_type not in JSON_TYPES:
        msg = f"Expecting text/json or application/json body, got {request.content_type!r}"
        raise BadRequest(msg)
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"Invalid Json: the body is not valid UTF-8 (byte {exc.start})"
        raise BadRequest(msg) from exc
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        msg = f"Invalid Json: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise BadRequest(msg) from exc
    except RecursionError as exc:
        msg = "Invalid Json: the document is nested too deeply"
        raise BadRequest(msg) from exc


def _reject_constant(name: str) -> Any:
    msg = f"{name} is not a JSON number"
    raise json.JSONDecodeError(msg, name, 0)


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return json_response({"message": message, **extra}, status=status)


def error_middleware(*, max_body_bytes: int) -> Middleware:
    """Map every failure to Metronome's JSON error shapes; nothing leaves as HTML or a traceback."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ValidationFailed as exc:
            body = {"message": "Object is not valid", "details": exc.details}
            return json_response(body, status=422)
        except ServiceError as exc:
            return _error(exc.status, str(exc))
        except StorageError as exc:
            logger.error("Store failure on %s %s: %s", request.method, request.path, exc)
            return _error(503, f"The job store is unavailable: {exc}")
        except web.HTTPRequestEntityTooLarge:
            return _error(413, f"Request body too large: the limit is {max_body_bytes} bytes")
        except web.HTTPNotFound:
            return _error(404, "Unknown route.", requestPath=request.path)
        except web.HTTPMethodNotAllowed as exc:
            response = _error(
                405, f"Method {request.method} is not allowed.", requestPath=request.path
            )
            response.headers["Allow"] = exc.headers.get("Allow", "")
            return response
        except web.HTTPException as exc:
            return _error(exc.status, exc.reason)
        except Exception:
            logger.exception("Unexpected error on %s %s", request.method, request.path)
            return _error(500, "Internal server error", requestPath=request.path)

    return middleware
