"""Job and run actors while the store refuses writes: nothing dies, and nothing is lost.

The store is the real SQLite store behind `FaultyStore`, the tasks real processes, the clock
the test's own (retries wait on it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from metronome.model import RunStatus
from metronome.storage import SqliteStore, StorageError
from tests.support.faulty_store import FaultyStore
from tests.support.system import FakeClock, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from pathlib import Path

START = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)


def _job(job_id: str, cmd: str, *schedules: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": job_id,
        "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0},
        "schedules": list(schedules),
    }


async def test_a_run_that_ends_while_writes_fail_is_recorded_when_the_store_heals(
    tmp_path: Path,
) -> None:
    clock = FakeClock(START)
    store = FaultyStore(SqliteStore(tmp_path))
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", "sleep 0.3"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await until(lambda: entry(services, "a").runs[0].status is RunStatus.ACTIVE)
        store.fail_writes()
        await until(lambda: store.refused)  # the run ended; its end cannot be written
        with pytest.raises(StorageError, match="disk is full"):
            await services.ask_job("a", lambda actor: actor.trigger())
        assert [r.id for r in entry(services, "a").runs] == [run.id]
        store.heal()
        clock.advance(seconds=60)
        await until(lambda: finished(services, "a") == 1)
        history = entry(services, "a").history
        assert history is not None
        assert [info.id for info in history.successful_runs] == [run.id]
        assert not entry(services, "a").runs
        again = await services.ask_job("a", lambda actor: actor.trigger())
        assert entry(services, "a").run(again.id) is not None
