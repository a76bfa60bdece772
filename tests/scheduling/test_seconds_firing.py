"""Seconds schedules firing: on an injected clock through the real actors, store and processes,
once in real time through a real server, and their validation and rendering over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.support.jobs import job_body
from tests.support.server import wait
from tests.support.system import FakeClock, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.server import Client

START = datetime(2026, 1, 5, 10, 0, 5, tzinfo=UTC)


def _job(job_id: str, cmd: str, cron: str, **schedule: Any) -> dict[str, Any]:
    return {
        **job_body(job_id, cmd=cmd),
        "schedules": [{"id": "s", "cron": cron, **schedule}],
    }


def _at(second: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 5, 10, minute, second, tzinfo=UTC)


async def test_a_six_field_schedule_fires_at_its_seconds(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "sleep 30", "*/20 * * * * *"))
        clock.set(_at(20))
        [first] = await until(lambda: entry(services, "a").runs)
        assert (first.schedule_id, first.scheduled_at, first.created_at) == ("s", _at(20), _at(20))
        clock.set(_at(40))
        runs = await until(
            lambda: len(entry(services, "a").runs) == 2 and entry(services, "a").runs
        )
        assert sorted(run.scheduled_at for run in runs) == [_at(20), _at(40)]


async def test_every_fires_on_epoch_multiples(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "true", "@every 30s"))
        clock.set(_at(29))
        clock.set(_at(30))
        await until(lambda: finished(services, "a") == 1)
        clock.set(_at(0, minute=1))
        await until(lambda: finished(services, "a") == 2)
        history = entry(services, "a").history
        assert sorted(info.created_at for info in history.successful_runs) == [
            _at(30),
            _at(0, minute=1),
        ]


async def test_seconds_missed_while_down_run_once_late_or_are_counted(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("a", "true", "* * * * * *", startingDeadlineSeconds=5))
    clock.set(_at(8, minute=1))  # down from 10:00:05 to 10:01:08: 63 instants
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "a") == 1)
        history = entry(services, "a").history
        assert history.missed_count == 62
        [late] = history.successful_runs
        assert late.created_at == _at(8, minute=1)


def test_seconds_and_nicknames_are_accepted_and_rendered_as_written(
    client: Client, job_id: str
) -> None:
    schedules = [
        {"id": "secs", "cron": "15 */5 * * * *"},
        {"id": "every", "cron": "@every 1h30m"},
        {"id": "daily", "cron": "@daily", "timezone": "Europe/Rome"},
    ]
    created = client.post("/v1/jobs", {**job_body(job_id), "schedules": schedules})
    assert created.status == 201, created.text
    rendered = client.get(f"/v1/jobs/{job_id}/schedules").json()
    assert [(s["id"], s["cron"]) for s in rendered] == [(s["id"], s["cron"]) for s in schedules]
    secs, every, daily = (s["nextRunAt"] for s in rendered)
    assert secs[17:23] == "15.000" and int(secs[14:16]) % 5 == 0
    assert every.endswith(":00.000+0000") and int(every[14:16]) in (0, 30)
    assert daily[11:19] in ("23:00:00", "22:00:00")  # midnight in Rome


def test_bad_seconds_are_a_422_at_the_cron_field(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    path = f"/v1/jobs/{job_id}/schedules"
    for cron, problem in [
        ("61 * * * * *", "second 61 is out of range 0-59"),
        ("@every 0s", "the interval must be from 1s to 366d"),
        ("@every soon", "expected @every followed by a duration"),
        ("@reboot", "unknown nickname"),
    ]:
        response = client.post(path, {"id": "bad", "cron": cron})
        assert response.status == 422, response.text
        [detail] = response.json()["details"]
        assert detail["path"] == "/cron"
        assert problem in detail["errors"][0], detail
    inline = client.post(
        "/v1/jobs", {**job_body(f"{job_id}-2"), "schedules": [{"id": "s", "cron": "60 * * * * *"}]}
    )
    assert inline.status == 422
    assert [d["path"] for d in inline.json()["details"]] == ["/schedules(0)/cron"]


def test_a_seconds_schedule_fires_in_real_time(client: Client, job_id: str) -> None:
    body = {**job_body(job_id, cmd="true"), "schedules": [{"id": "s", "cron": "*/2 * * * * *"}]}
    assert client.post("/v1/jobs", body).status == 201
    try:
        history = wait(
            lambda: (
                (h := client.get(f"/v1/jobs/{job_id}?embed=history").json()["history"])
                and h["successCount"] >= 3
                and h
            ),
            timeout_s=20,
        )
    finally:
        client.delete(f"/v1/jobs/{job_id}?stopCurrentJobRuns=true")
    created = [
        datetime.strptime(run["createdAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
        for run in history["successfulFinishedRuns"]
    ]
    # Each run belongs to its own even second (it starts a little after it, never a minute).
    instants = {c.replace(microsecond=0) - timedelta(seconds=c.second % 2) for c in created}
    assert len(instants) == len(created) >= 3, created
    assert max(instants) - min(instants) < timedelta(seconds=20)
