"""`catchUp` per schedule: what instants missed while no scheduler ran become, on an injected
clock with the real store, actors and processes; and the field over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.model import CATCH_UP_ALL_LIMIT, CatchUpPolicy
from tests.support.jobs import job_body, schedule_body
from tests.support.system import FakeClock, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.server import Client

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
BACK = datetime(2026, 1, 5, 10, 5, 30, tzinfo=UTC)
"""Down from START to BACK: the instants 10:01 to 10:05 of an every-minute schedule."""


def _job(cmd: str, **schedule: Any) -> dict[str, Any]:
    return {**job_body("a", cmd=cmd), "schedules": [{"id": "m", "cron": "* * * * *", **schedule}]}


async def _outage(tmp_path: Path, body: dict[str, Any], back: datetime = BACK) -> FakeClock:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, body)
    clock.set(back)
    return clock


async def test_none_runs_nothing_late_and_counts_every_instant(tmp_path: Path) -> None:
    clock = await _outage(tmp_path, _job("true", catchUp="NONE", startingDeadlineSeconds=600))
    async with running(tmp_path, clock) as services:
        await until(lambda: entry(services, "a").history.missed_count == 5)
        assert not entry(services, "a").runs and finished(services, "a") == 0
        clock.set(datetime(2026, 1, 5, 10, 6, tzinfo=UTC))  # later instants fire as usual
        await until(lambda: finished(services, "a") == 1)


async def test_latest_is_the_default_and_runs_the_newest_only(tmp_path: Path) -> None:
    for policy in ({}, {"catchUp": "LATEST"}):
        data = tmp_path / str(len(policy))
        clock = await _outage(data, _job("true", startingDeadlineSeconds=600, **policy))
        async with running(data, clock) as services:
            await until(lambda s=services: finished(s, "a") == 1)
            assert entry(services, "a").history.missed_count == 4


async def test_all_runs_each_instant_inside_the_deadline_oldest_first(tmp_path: Path) -> None:
    # 10:03 is 150 s before 10:05:30, inside; 10:01 and 10:02 are past it.
    clock = await _outage(tmp_path, _job("true", catchUp="ALL", startingDeadlineSeconds=150))
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "a") == 3)
        history = entry(services, "a").history
        assert history.missed_count == 2
        assert len(history.successful_runs) == 3
    async with running(tmp_path, clock) as services:  # a replay owes nothing more
        await until(lambda: entry(services, "a").history is not None)
        assert not entry(services, "a").runs
        assert finished(services, "a") == 3 and entry(services, "a").history.missed_count == 2


async def test_all_respects_the_concurrency_policy(tmp_path: Path) -> None:
    body = _job("sleep 30", catchUp="ALL", startingDeadlineSeconds=600, concurrencyPolicy="FORBID")
    clock = await _outage(tmp_path, body)
    async with running(tmp_path, clock) as services:
        await until(lambda: entry(services, "a").history.skipped_count == 4)
        [run] = entry(services, "a").runs
        assert run.scheduled_at == datetime(2026, 1, 5, 10, 1, tzinfo=UTC)  # the oldest ran
        assert entry(services, "a").history.missed_count == 0


async def test_all_is_capped(tmp_path: Path) -> None:
    body = {
        **job_body("a", cmd="true"),
        "schedules": [
            {"id": "s", "cron": "* * * * * *", "catchUp": "ALL", "startingDeadlineSeconds": 900}
        ],
    }
    # Down ten minutes: 600 instants inside the deadline, of which the newest 100 run.
    back = datetime(2026, 1, 5, 10, 10, 30, tzinfo=UTC)
    clock = await _outage(tmp_path, body, back)
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "a") == CATCH_UP_ALL_LIMIT, timeout_s=60)
        history = entry(services, "a").history
        assert history.missed_count == 600 - CATCH_UP_ALL_LIMIT
        assert history.schedule_marks["s"] == back


async def test_catch_up_is_kept_with_the_job(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("true", catchUp="ALL"))
        [schedule] = entry(services, "a").spec.schedules
        assert schedule.catch_up is CatchUpPolicy.ALL
    async with running(tmp_path, clock) as services:
        [schedule] = (await until(lambda: services.view.get("a"))).spec.schedules
        assert schedule.catch_up is CatchUpPolicy.ALL


def test_catch_up_over_http(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    path = f"/v1/jobs/{job_id}/schedules"
    assert client.post(path, schedule_body("plain")).status == 201
    assert "catchUp" not in client.get(f"{path}/plain").json()  # renders exactly as before
    created = client.post(path, schedule_body("all", catchUp="ALL"))
    assert created.status == 201
    assert created.json()["catchUp"] == "ALL"
    assert client.get(f"{path}/all").json()["catchUp"] == "ALL"
    job = client.get(f"/v1/jobs/{job_id}?embed=schedules").json()
    assert [s.get("catchUp") for s in job["schedules"]] == [None, "ALL"]
    wrong = client.post(path, schedule_body("bad", catchUp="SOME"))
    assert wrong.status == 422
    [detail] = wrong.json()["details"]
    assert detail["path"] == "/catchUp"
    assert "NONE, LATEST, ALL" in detail["errors"][0]
