"""/v1/jobs and /v0/scheduled-jobs over real HTTP (metronome-behavior.md §10.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.jobs import job_body, schedule_body

if TYPE_CHECKING:
    from tests.support.server import Client

SEED_JOB = {
    "description": "Example Application",
    "id": "prod.example.app",
    "labels": {"location": "olympus", "owner": "zeus"},
    "run": {
        "artifacts": [
            {
                "uri": "http://foo.example.com/application.zip",
                "extract": True,
                "executable": True,
                "cache": False,
            }
        ],
        "cmd": "nuke --dry --master local",
        "cpus": 1.5,
        "mem": 32,
        "disk": 128,
        "docker": {"image": "foo/bla:test"},
        "env": {"MON": "test", "CONNECT": "direct"},
        "maxLaunchDelay": 3600,
        "placement": {"constraints": [{"attribute": "rack", "operator": "EQ", "value": "rack-2"}]},
        "restart": {"activeDeadlineSeconds": 120, "policy": "NEVER"},
        "user": "root",
        "volumes": [{"containerPath": "/mnt/test", "hostPath": "/etc/guest", "mode": "RW"}],
    },
}


def _expected_seed_job() -> dict:
    """The seed's example as it comes back: EQ is reported as IS (current Metronome)."""
    expected = {**SEED_JOB, "run": {**SEED_JOB["run"]}}
    expected["run"]["placement"] = {
        "constraints": [{"attribute": "rack", "operator": "IS", "value": "rack-2"}]
    }
    return expected


def test_create_the_seed_example_and_read_it_back(client: Client) -> None:
    created = client.post("/v1/jobs", SEED_JOB)
    assert created.status == 201, created.text
    assert created.headers["Content-Type"] == "application/json"
    assert created.headers["Content-Length"] == str(len(created.body))
    assert created.json() == _expected_seed_job()
    fetched = client.get("/v1/jobs/prod.example.app")
    assert fetched.status == 200
    assert fetched.json() == _expected_seed_job()
    assert b'"mem":32,' in fetched.body  # a whole number stays whole, not 32.0


def test_minimal_job_gets_defaults_and_no_extra_keys(client: Client, job_id: str) -> None:
    created = client.post("/v1/jobs", job_body(job_id))
    assert created.status == 201
    assert created.json() == {
        "id": job_id,
        "labels": {},
        "run": {
            "cpus": 0.01,
            "mem": 32,
            "disk": 0,
            "cmd": "sleep 1",
            "env": {},
            "placement": {"constraints": []},
            "artifacts": [],
            "maxLaunchDelay": 3600,
            "volumes": [],
            "restart": {"policy": "NEVER"},
        },
    }
    job = client.get(f"/v1/jobs/{job_id}").json()
    assert "schedules" not in job
    assert "activeRuns" not in job
    assert "history" not in job


def test_list_contains_created_jobs(client: Client, job_id: str) -> None:
    for suffix in ("a", "b", "c"):
        assert client.post("/v1/jobs", job_body(f"{job_id}.{suffix}")).status == 201
    listing = client.get("/v1/jobs")
    assert listing.status == 200
    assert listing.headers["Content-Type"] == "application/json"
    ids = [job["id"] for job in listing.json()]
    assert {f"{job_id}.a", f"{job_id}.b", f"{job_id}.c"} <= set(ids)
    assert ids == sorted(ids)


def test_duplicate_id_is_409(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    again = client.post("/v1/jobs", job_body(job_id))
    assert again.status == 409
    assert again.json() == {"message": "Job with this id already exists"}


def test_unknown_job_is_404_in_the_seed_form(client: Client) -> None:
    for method in ("GET", "DELETE"):
        response = client.request(method, "/v1/jobs/not-existent")
        assert response.status == 404
        assert response.json() == {"message": "Job 'not-existent' does not exist"}
    put = client.put("/v1/jobs/not-existent", job_body("not-existent"))
    assert put.status == 404
    assert put.json() == {"message": "Job 'not-existent' does not exist"}


def test_update_replaces_the_job_but_keeps_schedules(client: Client, job_id: str) -> None:
    body = {**job_body(job_id), "schedules": [schedule_body("nightly")]}
    assert client.post("/v1/jobs", body).status == 201
    update = {**job_body("ignore.me", cmd="echo new"), "labels": {"team": "a"}}
    updated = client.put(f"/v1/jobs/{job_id}", update)
    assert updated.status == 200
    assert updated.json()["id"] == job_id
    assert updated.json()["labels"] == {"team": "a"}
    assert updated.json()["run"]["cmd"] == "echo new"
    job = client.get(f"/v1/jobs/{job_id}?embed=schedules").json()
    assert job["run"]["cmd"] == "echo new"
    assert [s["id"] for s in job["schedules"]] == ["nightly"]
    assert client.get("/v1/jobs/ignore.me").status == 404


def test_delete_returns_the_job_and_removes_it(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    deleted = client.delete(f"/v1/jobs/{job_id}")
    assert deleted.status == 200
    assert deleted.json()["id"] == job_id
    assert client.get(f"/v1/jobs/{job_id}").status == 404
    assert job_id not in [job["id"] for job in client.get("/v1/jobs").json()]
    assert client.post("/v1/jobs", job_body(job_id)).status == 201  # the id is free again


def test_delete_rejects_a_bad_stop_flag(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    response = client.delete(f"/v1/jobs/{job_id}?stopCurrentJobRuns=maybe")
    assert response.status == 400
    assert "stopCurrentJobRuns" in response.json()["message"]
    assert client.delete(f"/v1/jobs/{job_id}?stopCurrentJobRuns=true").status == 200


def test_post_with_inline_schedules_returns_them_with_next_run(client: Client, job_id: str) -> None:
    body = {**job_body(job_id), "schedules": [schedule_body("every-minute", cron="* * * * *")]}
    created = client.post("/v1/jobs", body)
    assert created.status == 201
    [schedule] = created.json()["schedules"]
    assert schedule["id"] == "every-minute"
    assert schedule["timezone"] == "UTC"
    assert schedule["startingDeadlineSeconds"] == 900
    assert schedule["concurrencyPolicy"] == "ALLOW"
    assert schedule["enabled"] is True
    assert schedule["nextRunAt"].endswith(":00.000+0000")


def test_embed_options(client: Client, job_id: str) -> None:
    body = {**job_body(job_id), "schedules": [schedule_body()]}
    assert client.post("/v1/jobs", body).status == 201
    for query in ("embed=schedules&embed=history", "embed=schedules,history"):
        job = client.get(f"/v1/jobs/{job_id}?{query}").json()
        assert [s["id"] for s in job["schedules"]] == ["nightly"]
        assert job["history"] == {
            "successCount": 0,
            "failureCount": 0,
            "lastSuccessAt": None,
            "lastFailureAt": None,
            "skippedCount": 0,
            "missedCount": 0,
            "successfulFinishedRuns": [],
            "failedFinishedRuns": [],
        }
    job = client.get(f"/v1/jobs/{job_id}?embed=activeRuns&embed=historySummary").json()
    assert job["activeRuns"] == []
    assert job["historySummary"] == {
        "successCount": 0,
        "failureCount": 0,
        "lastSuccessAt": None,
        "lastFailureAt": None,
        "skippedCount": 0,
        "missedCount": 0,
    }
    assert "schedules" not in job
    listed = {job["id"]: job for job in client.get("/v1/jobs?embed=activeRuns").json()}
    assert (
        "activeRuns" not in listed[job_id]
    )  # a listing shows activeRuns only where there are some


def test_unknown_embed_is_400_listing_the_valid_ones(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    for path in (f"/v1/jobs/{job_id}?embed=bogus", "/v1/jobs?embed=", "/v1/jobs?embed=history,x"):
        response = client.get(path)
        assert response.status == 400
        assert response.json()["message"] == (
            "Unknown embed options. Valid options are: "
            "activeRuns, schedules, history, historySummary"
        )


def test_unknown_query_parameters_are_ignored(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    assert client.get(f"/v1/jobs/{job_id}?foo=bar").status == 200


def test_v0_create_and_replace_with_schedules(client: Client, job_id: str) -> None:
    body = {**job_body(job_id), "schedules": [schedule_body("a", concurrencyPolicy="FORBID")]}
    created = client.post("/v0/scheduled-jobs", body)
    assert created.status == 201
    assert [s["id"] for s in created.json()["schedules"]] == ["a"]
    assert client.post("/v0/scheduled-jobs", body).status == 409
    replaced = client.put(
        f"/v0/scheduled-jobs/{job_id}",
        {**job_body("ignored"), "schedules": [schedule_body("b"), schedule_body("c")]},
    )
    assert replaced.status == 200
    assert replaced.json()["id"] == job_id
    schedules = client.get(f"/v1/jobs/{job_id}/schedules").json()
    assert [s["id"] for s in schedules] == ["b", "c"]
    emptied = client.put(f"/v0/scheduled-jobs/{job_id}", job_body(job_id))
    assert emptied.status == 200
    assert emptied.json()["schedules"] == []
    assert client.put("/v0/scheduled-jobs/t.none", job_body("t.none")).status == 404


def test_v0_keeps_artifacts_and_user(client: Client, job_id: str) -> None:
    body = job_body(job_id, artifacts=[{"uri": "http://x/y.tgz"}], user="nobody")
    created = client.post("/v0/scheduled-jobs", body)
    assert created.status == 201
    run = client.get(f"/v1/jobs/{job_id}").json()["run"]
    assert run["user"] == "nobody"
    assert run["artifacts"] == [
        {"uri": "http://x/y.tgz", "extract": True, "executable": False, "cache": False}
    ]
