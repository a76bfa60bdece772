"""Bad and hostile request bodies get a clear 4xx over real HTTP, never a 5xx."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from tests.support.jobs import job_body

if TYPE_CHECKING:
    from tests.support.server import Client


def test_422_lists_every_wrong_field(client: Client, job_id: str) -> None:
    body = job_body(job_id, mem=16, cpus=0.001, disk=-1, maxLaunchDelay=0)
    response = client.post("/v1/jobs", body)
    assert response.status == 422
    result = response.json()
    assert result["message"] == "Object is not valid"
    paths = sorted(detail["path"] for detail in result["details"])
    assert paths == ["/run/cpus", "/run/disk", "/run/maxLaunchDelay", "/run/mem"]
    assert all(detail["errors"] for detail in result["details"])
    assert client.get(f"/v1/jobs/{job_id}").status == 404


def test_invalid_id_is_422(client: Client) -> None:
    response = client.post("/v1/jobs", job_body("/not/valid"))
    assert response.status == 422
    assert response.json()["details"][0]["path"] == "/id"


def test_malformed_json_is_400(client: Client) -> None:
    response = client.post(
        "/v1/jobs", raw=b'{"id": "a", ', headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert response.json()["message"].startswith("Invalid Json")


def test_wrong_content_type_is_400(client: Client, job_id: str) -> None:
    raw = json.dumps(job_body(job_id)).encode()
    response = client.post("/v1/jobs", raw=raw, headers={"Content-Type": "text/plain"})
    assert response.status == 400
    assert "application/json" in response.json()["message"]


def test_non_utf8_is_400(client: Client) -> None:
    response = client.post(
        "/v1/jobs", raw=b'{"id": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert "UTF-8" in response.json()["message"]


def test_nan_is_400(client: Client) -> None:
    raw = b'{"id": "a", "run": {"cmd": "x", "cpus": NaN, "mem": 32, "disk": 0}}'
    response = client.post("/v1/jobs", raw=raw, headers={"Content-Type": "application/json"})
    assert response.status == 400


def test_deep_nesting_is_4xx(client: Client) -> None:
    raw = b'{"id": "a", "labels": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.post("/v1/jobs", raw=raw, headers={"Content-Type": "application/json"})
    assert response.status == 400
    nested: Any = "x"
    for _ in range(500):
        nested = {"a": nested}
    moderately = client.post("/v1/jobs", {"id": "a", "labels": nested, "run": {}})
    assert moderately.status == 422


def test_body_over_the_limit_is_413(client: Client) -> None:
    raw = b'{"id": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = client.post("/v1/jobs", raw=raw, headers={"Content-Type": "application/json"})
    assert response.status == 413
    assert "limit" in response.json()["message"]


def test_huge_values_are_422(client: Client, job_id: str) -> None:
    huge_int = json.loads("1" + "0" * 400)
    for run in ({"mem": huge_int}, {"cpus": -huge_int}, {"args": [1] * 10_000}):
        response = client.post("/v1/jobs", job_body(job_id, **run))
        assert response.status == 422, response.text[:300]
    response = client.post("/v1/jobs", job_body("a" * 300))
    assert response.status == 422


def test_fuzzed_types_at_every_field_never_500(client: Client) -> None:
    """Replace each field of a rich job with values of every wrong type; always a 4xx."""
    rng = random.Random(42)
    base: dict[str, Any] = {
        "id": "t.fuzz",
        "description": "d",
        "labels": {"a": "b"},
        "schedules": [{"id": "s", "cron": "* * * * *", "timezone": "UTC"}],
        "run": {
            "cmd": "x",
            "args": None,
            "cpus": 1,
            "mem": 32,
            "disk": 0,
            "user": "u",
            "env": {"K": "V"},
            "placement": {"constraints": [{"attribute": "a", "operator": "IS", "value": "v"}]},
            "artifacts": [{"uri": "u", "extract": True}],
            "maxLaunchDelay": 10,
            "docker": {"image": "i"},
            "volumes": [{"containerPath": "/a", "hostPath": "/b", "mode": "RO"}],
            "restart": {"policy": "NEVER", "activeDeadlineSeconds": 1},
        },
    }
    del base["run"]["args"]
    wrong_values: list[Any] = [
        None,
        True,
        -1,
        1.5,
        "s",
        [],
        {},
        [None],
        {"x": []},
        "\u0000",
        10**30,
    ]
    paths = list(_paths(base))
    for path in paths:
        for value in rng.sample(wrong_values, 4):
            body = json.loads(json.dumps(base))
            _set(body, path, value)
            response = client.post("/v1/jobs", body)
            assert response.status < 500, (path, value, response.text[:300])
            assert response.headers["Content-Type"] == "application/json"
            if response.status == 201:  # a value that happens to be valid: leave no job behind
                created = response.json()["id"]
                assert client.delete(f"/v1/jobs/{created}?stopCurrentJobRuns=true").status == 200


def _paths(value: Any, prefix: tuple = ()) -> Any:
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _set(body: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = value
