"""Slots: every instant of a schedule accounted for (run, skipped, paused, missed), on an injected
clock through the real actors, store and processes, read over HTTP; bounded and paged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.api._slots import slots
from metronome.model import Pause, SlotOutcome, SlotRange
from tests.auth.conftest import leading_app_client
from tests.support.jobs import job_body, schedule_body
from tests.support.system import FakeClock, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from aiohttp.test_utils import TestClient

    from metronome.api import Services
    from tests.support.server import Client

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
SLOTS = "/v1/jobs/a/schedules/m/slots"


def _at(minute: int, second: int = 0) -> datetime:
    return datetime(2026, 1, 5, 10, minute, second, tzinfo=UTC)


def _ts(minute: int) -> str:
    return f"2026-01-05T10:{minute:02d}:00.000+0000"


async def _get(client: TestClient[Any, Any], query: str) -> Any:
    response = await client.get(f"{SLOTS}?{query}")
    assert response.status == 200, await response.text()
    return await response.json()


async def _only_run(services: Services) -> str:
    [run] = await until(lambda: entry(services, "a").runs)
    return run.id


async def test_every_instant_is_accounted_for(
    tmp_path: Path, aiohttp_client: Callable[..., Awaitable[TestClient[Any, Any]]]
) -> None:
    clock = FakeClock(START)
    body = {
        **job_body("a", cmd="sleep 300"),
        "schedules": [
            {
                "id": "m",
                "cron": "* * * * *",
                "concurrencyPolicy": "FORBID",
                "startingDeadlineSeconds": 60,
            }
        ],
    }
    async with running(tmp_path, clock) as services:
        await create_job(services, body)
        actor = entry(services, "a").actor
        clock.set(_at(1))
        first = await _only_run(services)
        for minute in (2, 3):  # FORBID: one range of two skipped instants
            clock.set(_at(minute))
            await until(lambda m=minute: entry(services, "a").history.skipped_count == m - 1)
        await services.ask(actor.stop_run(first))
        await services.ask(actor.pause(Pause(since=clock.now(), by="ops")))
        clock.set(_at(4))
        await until(lambda: entry(services, "a").history.paused_count == 1)
        await services.ask(actor.resume())
    clock.set(_at(8, 30))  # down over 10:05-10:08: 10:08 runs late, the others are missed
    async with running(tmp_path, clock) as services:
        late = await _only_run(services)
        history = entry(services, "a").history
        assert history.slot_logs["m"].ranges == (
            SlotRange(_at(2), _at(3), SlotOutcome.SKIPPED, 2),
            SlotRange(_at(4), _at(4), SlotOutcome.PAUSED, 1),
            SlotRange(_at(5), _at(7), SlotOutcome.MISSED, 3),
        )
        client = await leading_app_client(services, None, aiohttp_client)
        page = await _get(client, f"from={_ts(0)}&to={_ts(10)}")
        assert page["slots"][7].pop("status") in ("STARTING", "ACTIVE")  # the late run, active
        assert page == {  # 10:00 came before the schedule existed: not one of its instants
            "slots": [
                {"instant": _ts(1), "outcome": "run", "runId": first, "status": "FAILED"},
                {"instant": _ts(2), "outcome": "skipped"},
                {"instant": _ts(3), "outcome": "skipped"},
                {"instant": _ts(4), "outcome": "paused"},
                {"instant": _ts(5), "outcome": "missed"},
                {"instant": _ts(6), "outcome": "missed"},
                {"instant": _ts(7), "outcome": "missed"},
                {"instant": _ts(8), "outcome": "run", "runId": late},
                {"instant": _ts(9), "outcome": "scheduled"},
                {"instant": _ts(10), "outcome": "scheduled"},
            ]
        }
        # Paged: `next` is the `from` of the next page, and the pages join up.
        one = await _get(client, f"from={_ts(0)}&to={_ts(10)}&limit=4")
        assert [s["instant"] for s in one["slots"]] == [_ts(m) for m in (1, 2, 3, 4)]
        assert one["next"] == _ts(5)
        two = await _get(client, f"from={one['next'].replace('+', '%2B')}&to={_ts(10)}&limit=6")
        assert [s["instant"] for s in two["slots"]] == [_ts(m) for m in range(5, 11)]
        assert "next" not in two
        now = await _get(client, f"from={_ts(7)}")  # `to` defaults to now (10:08:30)
        assert [s["outcome"] for s in now["slots"]] == ["missed", "run"]
        await services.ask(entry(services, "a").actor.stop_run(late))


async def test_an_instant_being_handled_is_pending(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with running(tmp_path, clock) as services:
        await create_job(services, {**job_body("a", cmd="true"), "schedules": [schedule_body("m")]})
        job = entry(services, "a")
        [schedule] = job.spec.schedules
        # 00:20 daily; the clock says 00:20 has come but no timer has handled it yet.
        at = datetime(2026, 1, 6, 0, 20, tzinfo=UTC)
        page = slots(job, schedule, at, at, at, 10)
        assert page == {
            "slots": [{"instant": "2026-01-06T00:20:00.000+0000", "outcome": "pending"}]
        }
        clock.set(at)
        await until(lambda: finished(services, "a") == 1)


def test_slot_requests_are_checked(client: Client, job_id: str) -> None:
    # Every second of January 1st: many instants, none of them soon.
    body = {**job_body(job_id), "schedules": [{"id": "s", "cron": "* * * 1 1 *"}]}
    assert client.post("/v1/jobs", body).status == 201
    path = f"/v1/jobs/{job_id}/schedules/s/slots"
    try:
        for query, problem in [
            ("", "Missing parameter from"),
            ("from=yesterday", "Cannot parse parameter from"),
            ("from=2026-01-05T10:00:00", "Cannot parse parameter from"),
            ("from=0001-01-01T00:00:00Z", "is out of range: from 1970 to 9998"),
            ("from=2026-01-05T10:00:00Z&to=9999-12-31T00:00:00Z", "is out of range"),
            ("from=2026-01-05T10:00:00Z&to=2026-01-05T09:00:00Z", "it is before from"),
            ("from=2026-01-05T10:00:00Z&limit=0", "Cannot parse parameter limit"),
            ("from=2026-01-05T10:00:00Z&limit=1001", "Cannot parse parameter limit"),
            ("from=2026-01-05T10:00:00Z&limit=" + "9" * 5000, "Cannot parse parameter limit"),
        ]:
            response = client.get(f"{path}?{query}")
            assert response.status == 400, (query, response.text)
            assert problem in response.json()["message"]
        missing = client.get(f"/v1/jobs/{job_id}/schedules/nope/slots?from=2026-01-05T10:00:00Z")
        assert missing.status == 404
        assert missing.json() == {"message": "Schedule 'nope' does not exist"}
        # Bounded: 86,400 instants in the range, one page of `limit` of them.
        year = client.get(f"{path}?from=2026-06-01T00:00:00Z&to=2027-01-02T00:00:00Z&limit=1000")
        assert year.status == 200
        page = year.json()
        assert len(page["slots"]) == 1000
        assert {slot["outcome"] for slot in page["slots"]} == {"scheduled"}
        assert page["next"] == "2027-01-01T00:16:40.000+0000"
    finally:
        client.delete(f"/v1/jobs/{job_id}?stopCurrentJobRuns=true")
