"""/v1/jobs/{jobId}/schedules over real HTTP (metronome-behavior.md §10.1, 49-62)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.jobs import job_body, schedule_body

if TYPE_CHECKING:
    from tests.support.server import Client


def _job(client: Client, job_id: str) -> str:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    return f"/v1/jobs/{job_id}/schedules"


def test_create_get_list_schedule(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    body = schedule_body(
        "everyminute",
        cron="* * * * *",
        timezone="America/Chicago",
        startingDeadlineSeconds=60,
        concurrencyPolicy="ALLOW",
        enabled=True,
    )
    created = client.post(path, body)
    assert created.status == 201
    schedule = created.json()
    assert {k: v for k, v in schedule.items() if k != "nextRunAt"} == body
    assert schedule["nextRunAt"].endswith("+0000")
    assert client.get(f"{path}/everyminute").json()["id"] == "everyminute"
    assert [s["id"] for s in client.get(path).json()] == ["everyminute"]
    job = client.get(f"/v1/jobs/{job_id}?embed=schedules").json()
    assert job["schedules"][0]["timezone"] == "America/Chicago"


def test_several_schedules_per_job(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    assert client.post(path, schedule_body("first")).status == 201
    assert client.post(path, schedule_body("second", cron="0 * * * *")).status == 201
    assert [s["id"] for s in client.get(path).json()] == ["first", "second"]


def test_duplicate_schedule_is_409(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    assert client.post(path, schedule_body("id1")).status == 201
    again = client.post(path, schedule_body("id1"))
    assert again.status == 409
    assert again.json() == {"message": "A schedule with id id1 already exists"}


def test_schedule_of_unknown_job_is_404(client: Client) -> None:
    response = client.post("/v1/jobs/t.missing/schedules", schedule_body())
    assert response.status == 404
    assert response.json() == {"message": "Job 't.missing' does not exist"}
    assert client.get("/v1/jobs/t.missing/schedules").status == 404


def test_unknown_schedule_is_404_in_the_seed_form(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    expected = {"message": "Schedule 'notexistent' does not exist"}
    for response in (
        client.get(f"{path}/notexistent"),
        client.put(f"{path}/notexistent", schedule_body("notexistent")),
        client.delete(f"{path}/notexistent"),
    ):
        assert response.status == 404
        assert response.json() == expected


def test_update_schedule(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    assert client.post(path, schedule_body("nightly")).status == 201
    updated = client.put(f"{path}/nightly", schedule_body("other-id", cron="1 2 3 4 5"))
    assert updated.status == 200
    assert updated.json()["id"] == "nightly"
    assert updated.json()["cron"] == "1 2 3 4 5"
    assert client.get(f"{path}/nightly").json()["cron"] == "1 2 3 4 5"


def test_disabled_schedule_has_no_next_run(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    created = client.post(path, schedule_body("off", enabled=False))
    assert created.status == 201
    assert "nextRunAt" not in created.json()
    assert "nextRunAt" not in client.get(f"{path}/off").json()


def test_delete_schedule(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    assert client.post(path, schedule_body("gone")).status == 201
    deleted = client.delete(f"{path}/gone")
    assert deleted.status == 200
    assert client.get(f"{path}/gone").status == 404
    assert client.get(path).json() == []


def test_invalid_schedules_are_422(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    cases = {
        "/cron": schedule_body("a1", cron="wrong cron"),
        "/timezone": schedule_body("a2", timezone="Mars/Olympus"),
        "/startingDeadlineSeconds": schedule_body("a3", startingDeadlineSeconds=0),
        "/concurrencyPolicy": schedule_body("a4", concurrencyPolicy="SOMETIMES"),
        "/id": schedule_body("x"),
    }
    for field, body in cases.items():
        response = client.post(path, body)
        assert response.status == 422, (field, response.text)
        result = response.json()
        assert result["message"] == "Object is not valid"
        assert [d["path"] for d in result["details"]] == [field], result
    never = client.post(path, schedule_body("feb", cron="0 0 31 2 *"))
    assert never.status == 422
    assert client.get(path).json() == []


def test_schedule_body_tolerates_unknown_fields(client: Client, job_id: str) -> None:
    path = _job(client, job_id)
    body = {**schedule_body("echo"), "nextRunAt": "2016-07-15T13:03:00.000+0000"}
    assert client.post(path, body).status == 201
