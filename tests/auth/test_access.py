"""Every endpoint x {no credentials, wrong password, unknown token, identity without the grant,
identity with it}, over a real job service; and what a `prod.*` grant sees and changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from metronome.api._auth import ROUTE_RULES
from tests.auth.conftest import CI_TOKEN, UNPLACEABLE_RUN, basic, bearer

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient

    from metronome.api import Services


def job(job_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": job_id, "run": UNPLACEABLE_RUN, **extra}


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    needs: str  # open, identified, listing, view, create, update, delete
    allowed: int  # the status for an identity with the grant, in this order
    body: Any = None


NIGHTLY = {"id": "nightly", "cron": "0 3 * * *"}
EXTRA = {"id": "extra", "cron": "0 4 * * *"}
MOVED = {"id": "ignored", "cron": "0 5 * * *"}
BACKFILL = {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
CALLS = (
    Call("GET", "/ping", "open", 200),
    Call("GET", "/v1/metrics", "open", 200),
    Call("GET", "/metrics", "open", 200),
    Call("GET", "/info", "identified", 200),
    Call("GET", "/leader", "identified", 200),
    Call("GET", "/openapi.json", "identified", 200),
    Call("GET", "/v1/identity", "identified", 200),
    Call("GET", "/v1/jobs", "listing", 200),
    Call("GET", "/v1/queue", "listing", 200),
    Call("POST", "/v1/jobs", "create", 201, job("prod.new")),
    Call("POST", "/v0/scheduled-jobs", "create", 201, job("prod.new0", schedules=[NIGHTLY])),
    Call("GET", "/v1/jobs/prod.app", "view", 200),
    Call("PUT", "/v1/jobs/prod.app", "update", 200, job("prod.app")),
    Call("PUT", "/v0/scheduled-jobs/prod.app", "update", 200, job("prod.app", schedules=[NIGHTLY])),
    Call("GET", "/v1/jobs/prod.app/schedules", "view", 200),
    Call("POST", "/v1/jobs/prod.app/schedules", "update", 201, EXTRA),
    Call("GET", "/v1/jobs/prod.app/schedules/nightly", "view", 200),
    Call("PUT", "/v1/jobs/prod.app/schedules/nightly", "update", 200, MOVED),
    Call("DELETE", "/v1/jobs/prod.app/schedules/extra", "update", 200),
    Call("GET", "/v1/jobs/prod.app/schedules/nightly/slots?from=2026-01-01T00:00:00Z", "view", 200),
    Call("POST", "/v1/jobs/prod.app/schedules/nightly/backfill", "update", 202, BACKFILL),
    Call("GET", "/v1/jobs/prod.app/runs", "view", 200),
    Call("GET", "/v1/jobs/prod.app/runs/{run}", "view", 200),
    # The run waits for placement: it has no task yet, so no output (but the view check passed).
    Call("GET", "/v1/jobs/prod.app/runs/{run}/logs/stdout", "view", 404),
    Call("GET", "/v1/jobs/prod.app/runs/{run}/logs/stderr", "view", 404),
    Call("POST", "/v1/jobs/prod.app/runs/{run}/actions/stop", "update", 200),
    Call("POST", "/v1/jobs/prod.app/runs", "update", 201),
    Call("GET", "/v1/jobs/prod.app/pause", "view", 200),
    Call("POST", "/v1/jobs/prod.app/pause", "update", 200),
    Call("POST", "/v1/jobs/prod.app/resume", "update", 200),
    Call("DELETE", "/v1/jobs/prod.new?stopCurrentJobRuns=true", "delete", 200),
)

UNAUTHENTICATED = {
    "no credentials": {},
    "wrong password": basic("admin", "not-the-password"),
    "unknown user": basic("mallory", "admin-pw"),
    "unknown token": bearer("not-a-token"),
    "unknown DC/OS token": {"Authorization": "token=not-a-token"},
    "unknown scheme": {"Authorization": "Digest admin"},
}


async def send(client: TestClient[Any, Any], call: Call, headers: dict[str, str], run: str) -> Any:
    path = call.path.format(run=run)
    return await client.request(call.method, path, json=call.body, headers=headers)


def active_run(services: Services, job_id: str) -> str:
    entry = services.view.get(job_id)
    assert entry is not None
    return entry.runs[0].id


def test_every_route_of_the_app_has_a_rule_and_a_call(client: TestClient[Any, Any]) -> None:
    routes = {
        (r.method, r.resource.canonical)
        for r in client.app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    assert routes == set(ROUTE_RULES)
    called = {(c.method, c.path.split("?")[0].replace("{run}", "{run_id}")) for c in CALLS}
    generic = {
        (m, p.replace("prod.app", "{job_id}").replace("prod.new", "{job_id}")
         .replace("nightly", "{schedule_id}").replace("extra", "{schedule_id}"))
        for m, p in called
    }  # fmt: skip
    assert generic == routes


@pytest.mark.parametrize("case", list(UNAUTHENTICATED))
async def test_without_valid_credentials_only_open_endpoints_answer(
    client: TestClient[Any, Any], services: Services, case: str
) -> None:
    run = active_run(services, "prod.app")
    for call in CALLS:
        response = await send(client, call, UNAUTHENTICATED[case], run)
        if call.needs == "open":
            assert response.status == 200, call
            continue
        assert response.status == 401, call
        assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert await response.json() == {"message": "Invalid username or password."}


async def test_an_identity_without_the_grant_may_only_look(
    client: TestClient[Any, Any], services: Services
) -> None:
    run = active_run(services, "prod.app")
    for call in CALLS:
        response = await send(client, call, basic("viewer"), run)
        if call.needs in {"create", "update", "delete"}:
            assert response.status == 403, call
            job_id = call.body["id"] if call.needs == "create" else call.path.split("/")[3]
            job_id = job_id.split("?")[0]
            refusal = f"user:viewer may not {call.needs} job '{job_id}'."
            message = f"Not Authorized to perform this action! {refusal}"
            assert await response.json() == {"message": message}, call
        else:
            assert response.status == call.allowed, call
    assert services.view.get("prod.new") is None
    assert len(services.view.get("prod.app").runs) == 1  # type: ignore[union-attr]


async def test_an_identity_with_no_grant_on_a_job_cannot_tell_it_exists(
    client: TestClient[Any, Any], services: Services
) -> None:
    run = active_run(services, "prod.app")
    for call in CALLS:
        response = await send(client, call, basic("nobody"), run)
        if call.needs in {"open", "identified"}:
            assert response.status == 200, call
        elif call.needs == "listing":
            assert (response.status, await response.json()) == (200, []), call
        elif call.needs == "create":
            assert response.status == 403, call
        else:
            assert response.status == 404, call
            job_id = "prod.new" if "prod.new" in call.path else "prod.app"
            assert await response.json() == {"message": f"Job '{job_id}' does not exist"}


async def test_an_identity_with_the_grant_may_do_everything(
    client: TestClient[Any, Any], services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    run = active_run(services, "prod.app")
    caplog.set_level(logging.INFO, logger="metronome.api._auth")
    for call in CALLS:
        response = await send(client, call, basic("admin"), run)
        assert response.status == call.allowed, (call, await response.text())
    changes = [r.getMessage() for r in caplog.records if r.name == "metronome.api._auth"]
    assert changes[0] == "user:admin POST /v1/jobs -> 201"
    assert "user:admin DELETE /v1/jobs/prod.new?stopCurrentJobRuns=true -> 200" in changes
    assert len(changes) == sum(c.method != "GET" for c in CALLS)


async def test_a_token_works_in_both_forms_and_only_on_its_jobs(
    client: TestClient[Any, Any], services: Services
) -> None:
    for headers in (bearer(CI_TOKEN), {"Authorization": f"token={CI_TOKEN}"}):
        listing = await client.get("/v1/jobs", headers=headers)
        assert [j["id"] for j in await listing.json()] == ["prod.app"]
        triggered = await client.post("/v1/jobs/prod.app/runs", headers=headers)
        assert triggered.status == 201
        assert (await client.post("/v1/jobs/dev.app/runs", headers=headers)).status == 404
        assert (await client.delete("/v1/jobs/prod.app", headers=headers)).status == 403
    assert len(services.view.get("dev.app").runs) == 1  # type: ignore[union-attr]


async def test_a_prod_grant_sees_and_changes_only_prod_jobs(
    client: TestClient[Any, Any], services: Services
) -> None:
    prod = basic("prod")
    for path in ("/v1/jobs", "/v1/jobs?embed=activeRuns,history"):
        listing = await client.get(path, headers=prod)
        assert [j["id"] for j in await listing.json()] == ["prod.app"]
    queue = await (await client.get("/v1/queue", headers=prod)).json()
    assert [entry["jobId"] for entry in queue] == ["prod.app"]
    everything = await (await client.get("/v1/queue", headers=basic("admin"))).json()
    assert sorted(entry["jobId"] for entry in everything) == ["dev.app", "prod.app"]

    assert (await client.post("/v1/jobs", json=job("prod.two"), headers=prod)).status == 201
    assert (await client.post("/v1/jobs", json=job("dev.two"), headers=prod)).status == 403
    assert (await client.post("/v1/jobs", json=job("prod"), headers=prod)).status == 403
    seen = await client.get("/v1/jobs/dev.app", headers=prod)
    assert (seen.status, await seen.json()) == (404, {"message": "Job 'dev.app' does not exist"})
    assert (await client.put("/v1/jobs/dev.app", json=job("dev.app"), headers=prod)).status == 404
    dev_deleted = await client.delete("/v1/jobs/dev.app?stopCurrentJobRuns=true", headers=prod)
    assert dev_deleted.status == 404
    deleted = await client.delete("/v1/jobs/prod.two", headers=prod)
    assert deleted.status == 200
    assert services.view.get("dev.app") is not None
    assert services.view.get("dev.two") is None
    assert services.view.get("prod.two") is None


async def test_creation_with_an_unreadable_body_is_judged_by_the_handler(
    client: TestClient[Any, Any],
) -> None:
    prod = basic("prod")
    json_type = {"Content-Type": "application/json"}
    garbage = await client.post("/v1/jobs", data=b"{", headers={**prod, **json_type})
    assert garbage.status == 400
    assert (await garbage.json())["message"].startswith("Invalid Json")
    no_id = await client.post("/v1/jobs", json={"run": UNPLACEABLE_RUN}, headers=prod)
    assert no_id.status == 422
    refused = await client.post("/v1/jobs", json={"run": UNPLACEABLE_RUN}, headers=basic("viewer"))
    assert refused.status == 403


async def test_unknown_routes_and_methods_still_answer_json(client: TestClient[Any, Any]) -> None:
    missing = await client.get("/v2/nothing", headers=basic("viewer"))
    assert (missing.status, (await missing.json())["message"]) == (404, "Unknown route.")
    wrong = await client.patch("/v1/jobs", headers=basic("viewer"))
    assert wrong.status == 405
    assert "message" in await wrong.json()
    anonymous = await client.get("/v2/nothing")
    assert anonymous.status == 401
