"""Backfills: a schedule's past instants run once each on request, under its concurrency policy,
on an injected clock with the real store, actors and processes; and the request over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.auth.conftest import leading_app_client
from tests.support.jobs import job_body
from tests.support.system import FakeClock, create_job, entry, finished, running, successes, until

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services
    from tests.support.server import Client

NOW = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
DAYS = [datetime(2026, 1, day, 3, 0, tzinfo=UTC) for day in (2, 3, 4)]
"""The instants of the nightly schedule in the range backfilled."""
RANGE = {"from": "2026-01-01T12:00:00Z", "to": "2026-01-04T12:00:00Z"}


def _job(cmd: str, policy: str) -> dict[str, Any]:
    schedule = {"id": "n", "cron": "0 3 * * *", "concurrencyPolicy": policy}
    return {**job_body("a", cmd=cmd), "schedules": [schedule]}


async def _backfill(services: Services, days: list[datetime] = DAYS) -> Any:
    return await services.ask(entry(services, "a").actor.backfill("n", tuple(days)))


def _instants(services: Services) -> list[datetime]:
    """The scheduled instants of the job's successful runs, in the order they ended."""
    return [info.scheduled_at for info in reversed(entry(services, "a").history.successful_runs)]


async def test_allow_starts_every_instant_at_once_and_only_once(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("sleep 30", "ALLOW"))
        answer = await _backfill(services)
        assert (answer.queued, answer.ignored) == (tuple(DAYS), ())
        runs = await until(
            lambda: len(entry(services, "a").runs) == 3 and entry(services, "a").runs
        )
        assert sorted(run.scheduled_at for run in runs) == DAYS
        assert {run.schedule_id for run in runs} == {"n"}
        assert entry(services, "a").history.backfills == ()
        again = await _backfill(services)
        assert (again.queued, again.ignored) == ((), tuple(DAYS))
        for run in runs:
            await services.ask(entry(services, "a").actor.stop_run(run.id))
        assert (await _backfill(services)).ignored == tuple(DAYS)  # finished runs count too


async def test_forbid_runs_them_one_at_a_time_oldest_first(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    lock = tmp_path / "lock"
    alone = f"test ! -e {lock} && touch {lock} && sleep 0.3 && rm {lock}"
    async with running(tmp_path, clock) as services:
        await create_job(services, _job(alone, "FORBID"))
        await _backfill(services)
        await until(lambda: successes(services, "a") == 3)
        assert entry(services, "a").history.failure_count == 0  # never two at once
        assert _instants(services) == DAYS


async def test_the_queue_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    body = _job("true", "REPLACE")
    body["run"]["mem"] = 100_000  # more than the launcher has: each run waits, no process runs
    async with running(tmp_path, clock) as services:
        await create_job(services, body)
        await _backfill(services)
        [first] = await until(lambda: entry(services, "a").runs)
        assert first.scheduled_at == DAYS[0]
        assert [at for _, at in entry(services, "a").history.backfills] == DAYS[1:]
    async with running(tmp_path, clock) as services:
        [loaded] = await until(lambda: entry(services, "a").runs)
        assert loaded.id == first.id  # REPLACE: a backfill never stops a run
        for day in DAYS[1:]:
            await services.ask(entry(services, "a").actor.stop_run(entry(services, "a").runs[0].id))
            [run] = await until(lambda: entry(services, "a").runs)
            assert run.scheduled_at == day
        assert entry(services, "a").history.backfills == ()
        await services.ask(entry(services, "a").actor.stop_run(entry(services, "a").runs[0].id))
        assert finished(services, "a") == 3


async def test_backfill_over_http(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    async with running(tmp_path, FakeClock(NOW)) as services:
        await create_job(services, _job("true", "ALLOW"))
        client = await leading_app_client(services, None, aiohttp_client)
        path = "/v1/jobs/a/schedules/n/backfill"
        response = await client.post(path, json=RANGE)
        assert response.status == 202, await response.text()
        stamps = [f"2026-01-0{d}T03:00:00.000+0000" for d in (2, 3, 4)]
        assert await response.json() == {"queued": stamps, "ignored": []}
        await until(lambda: finished(services, "a") == 3)
        slots = await client.get("/v1/jobs/a/schedules/n/slots?from=2026-01-01T00:00:00Z")
        listed = [(s["instant"], s["outcome"]) for s in (await slots.json())["slots"]]
        # Listed although the schedule did not exist yet; 01-01 and 01-05 03:00, before it
        # too, did not run and are not its instants.
        assert listed == [(stamp, "run") for stamp in stamps]
        again = await client.post(path, json=RANGE)
        assert await again.json() == {"queued": [], "ignored": stamps}


def test_bad_backfill_requests(client: Client, job_id: str) -> None:
    body = {**job_body(job_id), "schedules": [{"id": "s", "cron": "* * * * * *", "enabled": False}]}
    assert client.post("/v1/jobs", body).status == 201
    path = f"/v1/jobs/{job_id}/schedules/s/backfill"
    for request, field, problem in [
        ({"from": "2026-01-01T00:00:00Z", "to": "2099-01-01T00:00:00Z"}, "/to", "in the future"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "/to", "before from"),
        ({"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z"}, "/to", "more than 1000"),
        ({"to": "2026-01-01T00:00:00Z"}, "/from", ""),
        ({"from": "x", "to": "2026-01-01T00:00:00Z"}, "/from", "is not an instant"),
    ]:
        response = client.post(path, request)
        assert response.status == 422, (request, response.text)
        [detail] = response.json()["details"]
        assert detail["path"] == field and problem in detail["errors"][0], detail
    missing = client.post(f"/v1/jobs/{job_id}/schedules/nope/backfill", RANGE)
    assert (missing.status, missing.json()) == (404, {"message": "Schedule 'nope' does not exist"})
    assert client.post("/v1/jobs/t.missing/schedules/s/backfill", RANGE).status == 404
