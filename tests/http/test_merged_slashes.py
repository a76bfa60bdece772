"""Paths with repeated slashes route as if merged (the DC/OS CLI's schedule commands send them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.jobs import job_body, schedule_body

if TYPE_CHECKING:
    from tests.support.server import Client


def test_a_schedule_path_with_a_doubled_slash_reaches_the_schedule(
    client: Client, job_id: str
) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    assert client.post(f"/v1//jobs/{job_id}/schedules", schedule_body("nightly")).status == 201
    doubled = f"/v1/jobs/{job_id}/schedules//nightly"
    got = client.get(doubled)
    assert (got.status, got.json()["id"]) == (200, "nightly")
    moved = client.put(doubled, schedule_body("nightly", cron="0 4 * * *"))
    assert (moved.status, moved.json()["cron"]) == (200, "0 4 * * *")
    assert client.get(f"//v1///jobs/{job_id}?embed=schedules").json()["schedules"][0]["cron"] == (
        "0 4 * * *"
    )
    assert client.delete(doubled).status == 200
    assert client.get(f"/v1/jobs/{job_id}/schedules").json() == []


def test_merging_keeps_the_routers_answers_for_what_still_does_not_match(
    client: Client, job_id: str
) -> None:
    missing = client.get("/v1//no-such-thing")
    assert (missing.status, missing.headers["Content-Type"]) == (404, "application/json")
    wrong = client.request("PATCH", "/v1//jobs")
    assert wrong.status == 405
    assert set(wrong.headers["Allow"].split(",")) >= {"GET", "POST"}
