"""A job's creation hands its write to the store and holds no actor thread while it waits, yet
answers only once the write is committed."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from metronome.errors import Conflict, RunNotFound
from metronome.storage import SqliteStore
from metronome.storage._sqlite import DB_FILE_NAME
from tests.support.jobs import job_body
from tests.support.system import FakeClock, create_job, entry, running

if TYPE_CHECKING:
    from pathlib import Path

CREATIONS = 6
"""More than the service's actor threads (4 in tests/support/system.py)."""


async def test_creations_waiting_for_the_store_leave_the_actors_free(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    async with running(tmp_path, clock) as services:
        await create_job(services, job_body("other"))
        holder = sqlite3.connect(tmp_path / DB_FILE_NAME, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the store's writer waits for this lock
        try:
            pending = [
                asyncio.create_task(create_job(services, job_body(f"job-{n}")))
                for n in range(CREATIONS)
            ]
            await asyncio.sleep(0)  # each task sends its creation to the supervisor
            # The supervisor answers after it started all six (its mailbox is FIFO)...
            with pytest.raises(Conflict):
                await asyncio.wait_for(create_job(services, job_body(f"job-{CREATIONS - 1}")), 5)
            # ... and another job's actor still finds a thread while their writes wait.
            other = entry(services, "other").actor
            with pytest.raises(RunNotFound):
                await asyncio.wait_for(services.ask(other.stop_run("x")), 5)
            assert not any(task.done() for task in pending), "answered before the commit"
            assert all(services.view.get(f"job-{n}") is None for n in range(CREATIONS))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await asyncio.wait_for(asyncio.gather(*pending), 20)
        assert all(services.view.get(f"job-{n}") is not None for n in range(CREATIONS))
    store = SqliteStore(tmp_path)
    expected = ["other", *(f"job-{n}" for n in range(CREATIONS))]
    try:
        assert sorted(store.children("/state/job-specs")) == sorted(expected)
    finally:
        store.close()
