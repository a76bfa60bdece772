"""The OpenAPI document: generated from the app's routes and the marshmallow schemas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from aiohttp import web

from metronome.api import Instance, ServiceSlot, create_app
from metronome.api._openapi import openapi_document
from metronome.config import Settings
from metronome.ha import SoleLeadership
from metronome.metrics import MetricsRegistry

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient


def app(tmp_path: Path, leadership: SoleLeadership | None = None) -> web.Application:
    settings = Settings(data_dir=tmp_path, hostname="test")
    leadership = leadership or SoleLeadership(settings.advertised_address)
    return create_app(Instance(settings, MetricsRegistry(), leadership), ServiceSlot())


async def nothing() -> None:
    return None


async def test_it_is_served_and_covers_every_route(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    leadership = SoleLeadership("test:9000")
    await leadership.campaign(nothing, nothing)  # leads; the document needs no job service
    client = await aiohttp_client(app(tmp_path, leadership))
    response = await client.get("/openapi.json")
    assert (response.status, response.content_type) == (200, "application/json")
    document = await response.json()
    assert document["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    routes = {
        (r.method, r.resource.canonical)
        for r in client.app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    assert documented == routes


def test_request_bodies_are_the_parsing_schemas(tmp_path: Path) -> None:
    document = openapi_document(app(tmp_path))
    schemas = document["components"]["schemas"]
    body = document["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Job"}
    job = schemas["Job"]
    assert job["required"] == ["id", "run"]
    assert job["additionalProperties"] is False
    assert job["properties"]["id"]["pattern"].startswith("^")
    run = schemas["Run"]
    assert run["properties"]["mem"] == {"type": "number", "minimum": 32}
    assert run["properties"]["env"]["additionalProperties"] == {"type": "string"}
    assert "taskKillGracePeriodSeconds" not in schemas["V0Run"]["properties"]
    restart = schemas["Restart"]["properties"]["policy"]
    assert restart == {"type": "string", "enum": ["NEVER", "ON_FAILURE"]}
    assert "additionalProperties" not in schemas["Schedule"]  # extra keys are ignored there


def test_responses_name_their_statuses_and_shapes(tmp_path: Path) -> None:
    paths = openapi_document(app(tmp_path))["paths"]
    create = paths["/v1/jobs"]["post"]["responses"]
    assert set(create) >= {"201", "400", "401", "403", "409", "413", "422", "503"}
    assert create["422"]["content"]["application/json"]["schema"] == {
        "anyOf": [  # field errors, or a dependency rule's message (behavior §2.6)
            {"$ref": "#/components/schemas/ValidationError"},
            {"$ref": "#/components/schemas/Error"},
        ]
    }
    assert paths["/ping"]["get"]["security"] == []
    deleted = paths["/v1/jobs/{job_id}/schedules/{schedule_id}"]["delete"]["responses"]["200"]
    assert "content" not in deleted
    run = paths["/v1/jobs/{job_id}/runs/{run_id}"]["get"]
    assert [p["name"] for p in run["parameters"]] == ["job_id", "run_id"]


def test_an_undocumented_route_stops_the_document(tmp_path: Path) -> None:
    extra = web.Application()

    async def handler(_request: web.Request) -> web.Response:
        return web.Response()

    extra.router.add_get("/v1/secret", handler)
    with pytest.raises(KeyError, match="GET /v1/secret has no entry"):
        openapi_document(extra)
