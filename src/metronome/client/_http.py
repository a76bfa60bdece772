"""A small blocking client of the REST API for the command line (the standard library's)."""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


class ApiError(Exception):
    """The server answered with an error status; `message` and `details` are from its body."""

    def __init__(self, status: int, message: str, details: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


class Unreachable(Exception):
    """No answer from the server: it cannot be reached, or did not answer in time."""


def authorization(user: str | None, password: str | None, token: str | None) -> str | None:
    """The Authorization header for the credentials given: a token wins over a user."""
    if token:
        return f"Bearer {token}"
    if user:
        pair = f"{user}:{password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode()
    return None


@dataclass(frozen=True)
class Api:
    url: str
    auth: str | None = None
    timeout_s: float = 30.0
    ca_file: str | None = None
    insecure: bool = False

    def _tls(self) -> ssl.SSLContext | None:
        """Certificates checked against the system's CAs, or `ca_file`; `insecure`: not at all."""
        if not self.url.startswith("https:"):
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Mapping[str, str] | None = None,
    ) -> Any:
        """The decoded JSON answer (None for an empty one).

        Raises:
            ApiError: an error status.
            Unreachable: no answer.
        """
        with self._open(method, path, body, query, {}, self.timeout_s) as response:
            try:
                raw = response.read()
            except (OSError, http.client.HTTPException) as exc:
                msg = f"the answer from {self.url} was cut short: {exc!r}"
                raise Unreachable(msg) from None
        return json.loads(raw) if raw else None

    def stream(
        self,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[bytes]:
        """The answer's body as it arrives (a follower waits as long as the server sends).

        Raises:
            ApiError: an error status.
            Unreachable: no answer.
        """
        with self._open("GET", path, None, query, headers or {}, timeout_s) as response:
            try:
                while chunk := response.read1(65536):
                    yield chunk
            except (OSError, http.client.HTTPException) as exc:
                msg = f"the answer from {self.url} was cut short: {exc!r}"
                raise Unreachable(msg) from None

    def _open(
        self,
        method: str,
        path: str,
        body: Any,
        query: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout_s: float | None,
    ) -> Any:
        url = self.url.rstrip("/") + urllib.parse.quote(path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, method=method, headers={**headers})
        request.add_header("Accept", "application/json")
        if self.auth is not None:
            request.add_header("Authorization", self.auth)
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            return urllib.request.urlopen(request, timeout=timeout_s, context=self._tls())
        except urllib.error.HTTPError as exc:
            raise _api_error(exc) from None
        except OSError as exc:  # URLError, a timeout, a refused or reset connection, TLS
            reason = getattr(exc, "reason", exc)
            msg = f"cannot reach {self.url}: {reason}"
            raise Unreachable(msg) from None


def _api_error(exc: urllib.error.HTTPError) -> ApiError:
    raw = exc.read()
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = str(body.get("message") or exc.reason)
        details = body.get("details") if isinstance(body.get("details"), list) else []
        return ApiError(exc.code, message, details or [])
    text = raw.decode(errors="replace").strip()
    return ApiError(exc.code, text or str(exc.reason), [])
