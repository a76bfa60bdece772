"""/ping, /info, /leader, metrics, queue, unknown routes and methods over real HTTP."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from metronome.ha import SoleLeadership, ZkLeadership
from tests.support.follower import follower_app
from tests.support.server import free_port

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp import web
    from aiohttp.test_utils import TestClient

    from tests.support.server import Client, ServerProcess

    MakeClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


def test_ping_is_plain_pong(client: Client) -> None:
    response = client.get("/ping")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.body == b"pong"


def test_info_reports_version_and_config(client: Client, server: ServerProcess) -> None:
    response = client.get("/info")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    info = response.json()
    assert set(info) == {"version", "libVersion", "config"}  # no `mesos` key without Mesos
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["version"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["libVersion"])
    assert info["config"]["http_port"] == str(server.port)
    assert info["config"]["data_dir"] == str(server.data_dir)
    assert all(isinstance(value, str) for value in info["config"].values())


def test_leader_is_this_instance(client: Client, server: ServerProcess) -> None:
    response = client.get("/leader")
    assert response.status == 200
    assert response.json() == {"leader": f"127.0.0.1:{server.port}"}


async def test_a_follower_names_the_leader_it_knows_without_asking_it(
    tmp_path: Path, aiohttp_client: MakeClient
) -> None:
    """As during a fail-over: the leader it knows is gone, and forwarding would answer 502."""
    gone = f"127.0.0.1:{free_port()}"
    client = await aiohttp_client(follower_app(tmp_path, SoleLeadership(gone)))
    response = await client.get("/leader")
    assert response.status == 200, await response.text()
    assert await response.json() == {"leader": gone}
    assert "X-VIA" not in response.headers
    forwarded = await client.get("/v1/jobs")  # everything else still goes to the leader
    assert forwarded.status == 502


async def test_a_follower_that_knows_no_leader_says_so_with_503(
    tmp_path: Path, aiohttp_client: MakeClient
) -> None:
    unreachable = ZkLeadership("follower:1", "/metronome")  # not attached: no ZooKeeper yet
    client = await aiohttp_client(follower_app(tmp_path, unreachable))
    response = await client.get("/leader")
    assert response.status == 503
    assert response.content_type == "application/json"
    assert await response.json() == {"message": "There is no leader: ZooKeeper is unreachable"}


def test_metrics_json_has_the_seed_shape(client: Client) -> None:
    client.get("/v1/jobs")
    response = client.get("/v1/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    metrics = response.json()
    assert set(metrics) == {"version", "counters", "gauges", "histograms", "meters", "timers"}
    timer = metrics["timers"]["metronome.http.requests.duration.timer.seconds"]
    assert timer["count"] >= 1
    assert timer["duration_units"] == "seconds"
    assert metrics["counters"]["metronome.http.responses.2xx.rate.counter"]["count"] >= 1


def test_prometheus_metrics(client: Client) -> None:
    client.get("/ping")
    response = client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE metronome_http_requests_duration_timer_seconds summary" in response.text


def test_queue_is_an_empty_list_when_nothing_waits(client: Client) -> None:
    response = client.get("/v1/queue")
    assert response.status == 200
    assert response.json() == []


def test_unknown_route_is_json_404(client: Client) -> None:
    response = client.get("/boum")
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"message": "Unknown route.", "requestPath": "/boum"}


def test_wrong_method_is_json_405(client: Client) -> None:
    response = client.request("PATCH", "/v1/jobs")
    assert response.status == 405
    assert response.headers["Content-Type"] == "application/json"
    assert "PATCH" in response.json()["message"]
    assert "POST" in response.headers["Allow"]


def test_post_on_a_job_url_is_not_a_route(client: Client) -> None:
    response = client.post("/v1/jobs/spec1", {"id": "spec1"})
    assert response.status == 405
    assert response.headers["Content-Type"] == "application/json"
