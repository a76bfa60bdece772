"""Serving the UI's static files, before authentication and leader forwarding.

The files hold no data (every job, run and permission comes from the API with the user's
credentials), so they are open on every instance: a browser can load the login form, and a
non-leader serves the UI itself instead of forwarding it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from aiohttp import hdrs, web

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler, Middleware

UI_PATH = "/ui/"

_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}
_HEADERS = {
    # Scripts and styles only from files of ours: no inline code, nothing from elsewhere.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidated by ETag: a new version shows on the next load
}


@dataclass(frozen=True)
class _File:
    body: bytes
    content_type: str
    etag: str


def _load() -> dict[str, _File]:
    """Every static file, read once from the package: a few tens of kilobytes."""
    files: dict[str, _File] = {}
    for entry in resources.files(__package__).joinpath("static").iterdir():
        content_type = _TYPES.get("." + entry.name.rpartition(".")[2])
        if content_type is None or not entry.is_file():
            continue
        body = entry.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        files[entry.name] = _File(body, content_type, etag)
    return files


def _wants_html(request: web.Request) -> bool:
    return "text/html" in request.headers.get(hdrs.ACCEPT, "")


def webui_middleware() -> Middleware:
    """Answer GET/HEAD under /ui/ from the package's files, and send a browser asking for `/`
    to /ui/. Everything else (API clients asking for `/` included) passes on untouched."""
    files = _load()

    @web.middleware
    async def webui(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if request.method not in ("GET", "HEAD"):
            return await handler(request)
        if path == "/ui" or (path == "/" and _wants_html(request)):
            return web.Response(status=302, headers={hdrs.LOCATION: UI_PATH})
        if not path.startswith(UI_PATH):
            return await handler(request)
        file = files.get(path.removeprefix(UI_PATH) or "index.html")
        if file is None:
            return await handler(request)  # the API's JSON 404
        if request.headers.get(hdrs.IF_NONE_MATCH) == file.etag:
            return web.Response(status=304, headers={hdrs.ETAG: file.etag, **_HEADERS})
        headers = {hdrs.ETAG: file.etag, **_HEADERS}
        return web.Response(
            body=file.body, content_type=file.content_type, charset="utf-8", headers=headers
        )

    return webui
