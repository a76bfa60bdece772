"""Paths with repeated slashes route as if merged: `/v1/jobs/x/schedules//nightly` is the
schedule `nightly`. The official DC/OS CLI sends such paths, and a DC/OS cluster's front proxy
merges them before Metronome sees them.

A resource of the router, asked last (it sits at `/`, the end of the router's walk), resolves a
path that nothing else matched once more with its slashes merged. The request keeps its path;
its match info is the real route's, so access rules and handlers see that route.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource
from yarl import URL

if TYPE_CHECKING:
    from collections.abc import Iterator

    from aiohttp.web_urldispatcher import (
        AbstractRoute,
        UrlDispatcher,
        UrlMappingMatchInfo,
        _InfoDict,  # the type aiohttp's own resources declare
    )

_REPEATED = re.compile(r"//+")


class _MergedSlashes(AbstractResource):
    def __init__(self, router: UrlDispatcher) -> None:
        super().__init__()
        self._router = router

    @property
    def canonical(self) -> str:
        return "/"

    async def resolve(self, request: web.Request) -> tuple[UrlMappingMatchInfo | None, set[str]]:
        raw = request.rel_url.raw_path
        if "//" not in raw:
            return None, set()
        merged = URL.build(path=_REPEATED.sub("/", raw), encoded=True)
        match_info = await self._router.resolve(request.clone(rel_url=merged))
        error = match_info.http_exception
        if error is None:
            return match_info, set()
        if isinstance(error, web.HTTPMethodNotAllowed):
            return None, set(error.allowed_methods)
        return None, set()

    def url_for(self, **kwargs: str) -> URL:
        msg = "the merged-slashes resource builds no URL"
        raise NotImplementedError(msg)

    def add_prefix(self, prefix: str) -> None:
        msg = "the merged-slashes resource cannot be mounted under a prefix"
        raise NotImplementedError(msg)

    def get_info(self) -> _InfoDict:
        return {}

    def raw_match(self, path: str) -> bool:
        return False

    def __len__(self) -> int:
        return 0

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(())


def merge_repeated_slashes(app: web.Application) -> None:
    """Route paths with repeated slashes as if merged; call after every route is added."""
    app.router.register_resource(_MergedSlashes(app.router))
