"""`GET /v1/identity`: who the caller is and what it may do, so that a client (the web UI)
offers only what the server would allow."""

from __future__ import annotations

from aiohttp import web

from metronome.api._auth import IDENTITY
from metronome.api._auth_config import Action
from metronome.api._http import json_response

routes = web.RouteTableDef()


@routes.get("/v1/identity")
async def identity(request: web.Request) -> web.Response:
    """With auth off, everyone may do everything: every action on `*`."""
    who = request.get(IDENTITY)
    if who is None:
        grants = [{"action": action.value, "jobs": "*"} for action in Action]
        return json_response({"auth": False, "grants": grants})
    grants = [{"action": g.action.value, "jobs": g.jobs} for g in who.grants]
    return json_response({"auth": True, "name": who.name, "kind": who.kind, "grants": grants})
