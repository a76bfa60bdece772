"""Pausing a job: by request (who, why, until when) or after failed runs in a row; on an injected
clock with the real store, actors and processes, and over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.model import Pause
from tests.auth.conftest import leading_app_client
from tests.support.jobs import job_body
from tests.support.system import (
    FakeClock,
    create_job,
    entry,
    failures,
    finished,
    running,
    successes,
    until,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services
    from tests.support.server import Client

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)


def _at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 1, 5, 10, minute, second, tzinfo=UTC)


def _job(cmd: str, **job: Any) -> dict[str, Any]:
    return {
        **job_body("a", cmd=cmd),
        "schedules": [{"id": "m", "cron": "* * * * *"}],
        **job,
    }


async def _pause(services: Services, **note: Any) -> None:
    pause = Pause(since=services.clock(), **note)
    await services.ask(entry(services, "a").actor.pause(pause))


async def _resume(services: Services) -> None:
    await services.ask(entry(services, "a").actor.resume())


async def test_a_paused_job_records_its_instants_as_paused(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("true"))
        await _pause(services, by="alice", reason="migration")
        assert entry(services, "a").history.pause.reason == "migration"
        for minute in (1, 2):
            clock.set(_at(minute))
            await until(lambda m=minute: entry(services, "a").history.paused_count == m)
        history = entry(services, "a").history
        assert history.schedule_marks["m"] == _at(2)
        assert not entry(services, "a").runs and finished(services, "a") == 0
        assert services.metrics.counter("jobs.paused").count == 2
        await _resume(services)
        clock.set(_at(3))
        await until(lambda: finished(services, "a") == 1)
        assert entry(services, "a").history.paused_count == 2
        assert entry(services, "a").history.pause is None


async def test_manual_runs_start_while_paused(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("true"))
        await _pause(services)
        await services.ask(entry(services, "a").actor.trigger())
        await until(lambda: finished(services, "a") == 1)


async def test_a_pause_ends_by_itself_at_its_until(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("true"))
        await _pause(services, until=_at(1, 30))
        clock.set(_at(1))
        await until(lambda: entry(services, "a").history.paused_count == 1)
        clock.set(_at(1, 30))
        await until(lambda: entry(services, "a").history.pause is None)
        clock.set(_at(2))
        await until(lambda: finished(services, "a") == 1)


async def test_a_pause_survives_a_restart_and_its_outage_is_paused_not_missed(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("true"))
        await _pause(services, by="ops", until=_at(3, 30))
    clock.set(_at(5, 10))  # down over 10:01-10:05: 10:01-10:03 paused, 10:04 missed, 10:05 late
    async with running(tmp_path, clock) as services:
        await until(lambda: finished(services, "a") == 1)
        history = entry(services, "a").history
        assert (history.paused_count, history.missed_count) == (3, 1)
        assert history.pause is None  # its until had passed


async def test_failed_runs_in_a_row_pause_the_job(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("false", pauseAfterFailures=2))
        for minute in (1, 2):
            clock.set(_at(minute))
            await until(lambda m=minute: entry(services, "a").history.failure_count == m)
        pause = entry(services, "a").history.pause
        assert pause is not None and pause.automatic
        assert pause.reason == "2 consecutive failed runs"
        assert services.metrics.counter("jobs.autopaused").count == 1
        clock.set(_at(3))
        await until(lambda: entry(services, "a").history.paused_count == 1)
        await _resume(services)  # the count starts again: one more failure does not pause
        clock.set(_at(4))
        await until(lambda: failures(services, "a") == 3)
        assert entry(services, "a").history.pause is None
        clock.set(_at(5))
        await until(lambda: entry(services, "a").history.pause is not None)
    async with running(tmp_path, clock) as services:  # kept with the history
        await until(lambda: services.view.get("a") is not None)
        assert entry(services, "a").history.pause.automatic
        assert entry(services, "a").spec.pause_after_failures == 2


async def test_a_success_starts_the_count_again(tmp_path: Path) -> None:
    clock = FakeClock(START)
    flag = tmp_path / "fail"
    async with running(tmp_path, clock) as services:
        await create_job(services, _job(f"! test -e {flag}", pauseAfterFailures=2))
        flag.touch()
        clock.set(_at(1))
        await until(lambda: failures(services, "a") == 1)
        flag.unlink()
        clock.set(_at(2))
        await until(lambda: successes(services, "a") == 1)
        flag.touch()
        clock.set(_at(3))
        await until(lambda: failures(services, "a") == 2)
        assert entry(services, "a").history.pause is None  # written with the failure


def test_pause_and_resume_over_http(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    plain = client.get(f"/v1/jobs/{job_id}?embed=historySummary").json()
    assert client.get(f"/v1/jobs/{job_id}/pause").json() == {"paused": False}
    note = {"reason": "migration", "until": "2099-01-05T12:00:00.000+0000", "by": "alice"}
    paused = client.post(f"/v1/jobs/{job_id}/pause", note)
    assert paused.status == 200, paused.text
    shown = paused.json()
    assert shown == {**note, "paused": True, "since": shown["since"], "automatic": False}
    assert client.get(f"/v1/jobs/{job_id}/pause").json() == shown
    # The job itself renders as before: the pause is on its own resource.
    assert client.get(f"/v1/jobs/{job_id}?embed=historySummary").json() == plain
    resumed = client.post(f"/v1/jobs/{job_id}/resume")
    assert (resumed.status, resumed.json()) == (200, {"paused": False})
    assert client.get(f"/v1/jobs/{job_id}/pause").json() == {"paused": False}
    assert client.post(f"/v1/jobs/{job_id}/resume").status == 200  # no pause: nothing changes
    bare = client.post(f"/v1/jobs/{job_id}/pause")  # the body is optional
    assert bare.status == 200
    assert set(bare.json()) == {"paused", "since", "automatic"}


def test_bad_pause_requests(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    path = f"/v1/jobs/{job_id}/pause"
    for body, field, problem in [
        ({"until": "2001-01-01T00:00:00Z"}, "/until", "must be in the future"),
        ({"until": "tomorrow"}, "/until", "is not an instant such as"),
        ({"until": "2099-01-01T00:00:00"}, "/until", "is not an instant such as"),
        ({"until": 5}, "/until", "Wrong type"),
        ({"until": "9999-12-31T23:59:59Z"}, "/until", "is out of range"),
        ({"reason": "x" * 1001}, "/reason", "longer than maximum length of 1000"),
        ({"why": "x"}, "/why", ""),
    ]:
        response = client.post(path, body)
        assert response.status == 422, (body, response.text)
        [detail] = response.json()["details"]
        assert detail["path"] == field and problem in detail["errors"][0], detail
    assert client.post(path, raw=b"{", headers={"Content-Type": "application/json"}).status == 400
    assert client.get(path).json() == {"paused": False}
    assert client.post("/v1/jobs/t.missing/pause").status == 404
    assert client.post("/v1/jobs/t.missing/resume").status == 404
    assert client.get("/v1/jobs/t.missing/pause").status == 404


def test_pause_after_failures_is_rendered_only_when_set(client: Client, job_id: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id)).status == 201
    assert "pauseAfterFailures" not in client.get(f"/v1/jobs/{job_id}").json()
    body = {**job_body(f"{job_id}-2"), "pauseAfterFailures": 3}
    assert client.post("/v1/jobs", body).json()["pauseAfterFailures"] == 3
    assert client.get(f"/v1/jobs/{job_id}-2").json()["pauseAfterFailures"] == 3
    wrong = client.post("/v1/jobs", {**job_body(f"{job_id}-3"), "pauseAfterFailures": 0})
    assert wrong.status == 422
    assert [d["path"] for d in wrong.json()["details"]] == ["/pauseAfterFailures"]


async def test_paused_count_is_rendered_once_there_is_one(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, _job("true"))
        client = await leading_app_client(services, None, aiohttp_client)

        async def summary() -> dict[str, Any]:
            response = await client.get("/v1/jobs/a?embed=historySummary")
            body: dict[str, Any] = (await response.json())["historySummary"]
            return body

        assert "pausedCount" not in await summary()
        await (await client.post("/v1/jobs/a/pause", json={"reason": "r"})).json()
        assert "pausedCount" not in await summary()  # paused, but no instant has come yet
        clock.set(_at(1))
        await until(lambda: entry(services, "a").history.paused_count == 1)
        assert (await summary())["pausedCount"] == 1
        pause = await (await client.get("/v1/jobs/a/pause")).json()
        assert (pause["paused"], pause["reason"], pause["automatic"]) == (True, "r", False)
