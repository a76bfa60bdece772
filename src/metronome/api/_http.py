"""Request and response plumbing shared by all handlers: JSON in, JSON out, errors as JSON."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import hdrs, web

from metronome.api._app_keys import INSTANCE, SERVICE_SLOT
from metronome.api._body_encoding import BodyEncodingError, BodyTooLarge, decode_body
from metronome.api._schemas import ROOT_PATH, ValidationFailed
from metronome.errors import JobNotFound, ServiceError
from metronome.storage import (
    BadVersionError,
    FencedOut,
    NodeExistsError,
    NoNodeError,
    StorageError,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiohttp.typedefs import Handler, Middleware

logger = logging.getLogger(__name__)

JSON_TYPES = frozenset({"application/json", "text/json"})
_DECODED_BODY = web.RequestKey("decoded_body", bytes)


class BadRequest(ServiceError):
    """The request cannot be read: malformed JSON, wrong content type, bad query parameter."""

    status = 400


class UnreadableBody(BadRequest):
    """The body does not decode: the rest of it cannot be read either, so the answer closes
    the connection (aiohttp cannot find where the next request starts)."""


def json_body(data: Any) -> bytes:
    """`data` as compact UTF-8 JSON; text that is not Unicode (a lone surrogate that reached an
    error message) is written as a `\\uXXXX` escape instead of failing the response.

    orjson writes what it can (a few times faster); what it refuses (such text, an integer
    beyond 64 bits, a key that is not a string) the standard library writes."""
    try:
        return orjson.dumps(data)
    except TypeError:  # orjson.JSONEncodeError is one
        pass
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(data, separators=(",", ":")).encode()


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


async def read_body(request: web.Request) -> bytes:
    """The request body, decoded from its `Content-Encoding` (once: it is kept on the request).

    The runner MUST pass `auto_decompress=False` (`SERVER_LIMITS`), or a compressed body is
    decoded twice and refused.

    Raises:
        UnreadableBody: the body does not decode (gzip or deflate data that is not, or is cut
            short), or the client broke the body off.
        web.HTTPRequestEntityTooLarge: it decodes to more than the app's `client_max_size`.
    """
    if _DECODED_BODY in request:
        return request[_DECODED_BODY]
    try:
        raw = await request.read()
    except web.RequestPayloadError as exc:
        msg = f"The request body cannot be read: {exc.__cause__ or exc}"
        raise UnreadableBody(msg) from exc
    encoding = request.headers.get(hdrs.CONTENT_ENCODING, "")
    limit = request.app[INSTANCE].settings.max_body_bytes
    try:
        body = decode_body(raw, encoding, limit)
    except BodyEncodingError as exc:
        msg = f"The body is not valid {encoding} data (Content-Encoding): {exc}"
        raise UnreadableBody(msg) from None
    except BodyTooLarge:
        raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=limit + 1) from None
    request[_DECODED_BODY] = body
    return body


async def read_json(request: web.Request) -> Any:
    """The request body parsed as JSON.

    Raises:
        BadRequest: wrong content type, not UTF-8, not JSON, NaN/Infinity, an integer longer
            than Python reads, nested too deeply, or a body that does not decode.
        ValidationFailed: a string (or key) holds a lone surrogate: not Unicode text, so it
            can be neither stored nor echoed.
    """
    if request.content_type not in JSON_TYPES:
        msg = f"Expecting text/json or application/json body, got {request.content_type!r}"
        raise BadRequest(msg)
    raw = await read_body(request)
    if not _NOT_FOR_ORJSON.search(raw):
        with contextlib.suppress(orjson.JSONDecodeError):  # then the standard library says why
            return orjson.loads(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"Invalid Json: the body is not valid UTF-8 (byte {exc.start})"
        raise BadRequest(msg) from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        msg = f"Invalid Json: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise BadRequest(msg) from exc
    except RecursionError as exc:
        msg = "Invalid Json: the document is nested too deeply"
        raise BadRequest(msg) from exc
    except _IntegerTooLong as exc:
        raise BadRequest(str(exc)) from None
    if _SURROGATE_ESCAPE.search(text):
        if details := list(_surrogates(data, "")):
            raise ValidationFailed(details)
    return data


def _reject_constant(name: str) -> Any:
    msg = f"{name} is not a JSON number"
    raise json.JSONDecodeError(msg, name, 0)


class _IntegerTooLong(ValueError):
    """An integer literal longer than Python converts (`sys.get_int_max_str_digits`)."""


def _parse_int(literal: str) -> int:
    try:
        return int(literal)
    except ValueError:
        digits, limit = len(literal.lstrip("-")), sys.get_int_max_str_digits()
        msg = f"Invalid Json: an integer of {digits} digits; at most {limit} are read"
        raise _IntegerTooLong(msg) from None


_NOT_FOR_ORJSON = re.compile(rb"[0-9]{19}|\\u[dD][89abcdefABCDEF]")
"""What orjson would read otherwise than the standard library: an integer of 19 digits or more
(past 64 bits it gives a float) and a surrogate escape (its lone ones need their 422 details).
Any other body orjson reads to the values the standard library reads, or refuses (NaN, a number
past a double's range, nesting past 1024), and then the standard library reads it or words why
not, as before."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
"""A UTF-16 surrogate written as a JSON escape; only a body with one can hold a lone one (raw
surrogates are not UTF-8, so the decoding above refuses them)."""
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _surrogates(node: Any, path: str) -> Iterator[dict[str, Any]]:
    """A 422 detail for each string, or object key, of `node` that holds a lone surrogate."""
    if isinstance(node, str):
        if found := _SURROGATE.search(node):
            error = f"\\u{ord(found.group()):04x} is a lone surrogate, not a Unicode character"
            yield {"path": path or ROOT_PATH, "errors": [error]}
    elif isinstance(node, dict):
        for key, child in node.items():
            if _SURROGATE.search(key):
                yield from _surrogates(key, path)
            else:
                yield from _surrogates(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _surrogates(child, f"{path}({index})")


ANSWERED_STORE_ERRORS = (NoNodeError, NodeExistsError, BadVersionError)
"""Store errors that are answers about the data, not failures of the store: never a 503.
(Except `FencedOut`, a `BadVersionError` too: this instance may no longer write.)"""


def _concurrent_change(request: web.Request, exc: StorageError) -> web.Response:
    """A write that found its job gone is the job's 404; any other state change meanwhile, a
    409 (a retry sees the new state)."""
    job_id = request.match_info.get("job_id")
    slot = request.app.get(SERVICE_SLOT)
    services = slot.current if slot is not None else None
    if (
        isinstance(exc, NoNodeError)
        and job_id is not None
        and services is not None
        and services.view.get(job_id) is None
    ):
        return _error(404, str(JobNotFound(job_id)))
    return _error(409, f"The job changed while the request was carried out; retry: {exc}")


def unreadable_body_response(exc: UnreadableBody) -> web.Response:
    response = _error(exc.status, str(exc))
    response.force_close()
    return response


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
        except UnreadableBody as exc:
            return unreadable_body_response(exc)
        except ServiceError as exc:
            return _error(exc.status, str(exc))
        except FencedOut as exc:
            logger.warning("Deposed while serving %s %s: %s", request.method, request.path, exc)
            return _error(503, f"This instance may no longer lead; retry: {exc}")
        except ANSWERED_STORE_ERRORS as exc:
            # The store answered: the state changed under the request (a concurrent change).
            logger.info("Concurrent change met by %s %s: %s", request.method, request.path, exc)
            return _concurrent_change(request, exc)
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
