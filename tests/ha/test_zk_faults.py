"""ZooKeeper failing under a running service (issue 19): a session that expires under load, a
write that times out, and a leader paused (SIGSTOP) past its session that wakes up. No run is
lost, recorded twice or launched twice; the paused leader stops launching and writing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kazoo.client import KazooClient

from metronome.model import JobId, RunStatus
from metronome.storage import JobHistoryRepository, JobRunRepository, StorageError, ZkStore
from tests.ha.conftest import SESSION_TIMEOUT_S, leader_of
from tests.support.jobs import job_body
from tests.support.server import wait
from tests.support.system import FakeClock, create_job, entry, finished, running, until

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from metronome.api import Services
    from tests.support.server import ServerProcess
    from tests.support.zookeeper import ZkServer


def _job(job_id: str, cmd: str) -> dict[str, Any]:
    return {"id": job_id, "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0}}


async def _advancing(clock: FakeClock, condition: Callable[[], Any], steps: int = 90) -> Any:
    """Move the clock a second at a time until `condition` holds (write retries wait on it)."""
    for _ in range(steps):
        with contextlib.suppress(AssertionError):
            return await until(condition, timeout_s=0.5)
        clock.advance(seconds=1)
    msg = f"condition not met within {steps} s of the test's clock"
    raise AssertionError(msg)


def _stored_successes(hosts: str, root: str, job_id: str) -> list[str]:
    """The job's successful runs as ZooKeeper holds them, read by a store of the test's own."""
    store = ZkStore(hosts, root)
    try:
        history = JobHistoryRepository(store).load(JobId(job_id))
        assert not [r for r in JobRunRepository(store).load_all() if r.job_id == job_id]
        return [] if history is None else [info.id for info in history.successful_runs]
    finally:
        store.close()


def _expire(store: ZkStore, hosts: str) -> None:
    """Expire the store's session, as kazoo's test harness does: another client attaches to it
    with its id and password and closes it."""
    session_id, password = store.client.client_id
    other = KazooClient(hosts=hosts, client_id=(session_id, password))
    other.start(timeout=10)
    other.stop()
    other.close()


async def test_a_session_that_expires_under_load_loses_and_doubles_no_run(
    zookeeper: ZkServer, zk_root: str, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC))
    marker = tmp_path / "launches"
    store = ZkStore(zookeeper.hosts, zk_root, session_timeout_s=4, retry_deadline_s=4)
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", f"echo $MESOS_TASK_ID >> {marker}; sleep 0.3"))
        acknowledged = await _trigger(services, 15)
        _expire(store, zookeeper.hosts)
        acknowledged += await _trigger(services, 15)
        assert len(acknowledged) >= 15  # the first burst at least
        await _advancing(clock, lambda: finished(services, "a") == len(acknowledged))
        history = entry(services, "a").history
        assert history is not None
        assert sorted(info.id for info in history.successful_runs) == sorted(acknowledged)
        assert not entry(services, "a").runs
        launched = marker.read_text().split()
        assert len(launched) == len(set(launched)) == len(acknowledged)  # each once
    stored = _stored_successes(zookeeper.hosts, zk_root, "a")
    assert sorted(stored) == sorted(acknowledged)


async def _trigger(services: Services, count: int) -> list[str]:
    """Trigger `count` runs at once; the ids of those acknowledged (a refusal is a 503)."""
    results = await asyncio.gather(
        *(services.ask_job("a", lambda actor: actor.trigger()) for _ in range(count)),
        return_exceptions=True,
    )
    for result in results:
        assert isinstance(result, StorageError) or not isinstance(result, BaseException), result
    return [result.id for result in results if not isinstance(result, BaseException)]


async def test_a_zookeeper_write_that_times_out_is_retried_and_recorded_once(
    own_zookeeper: ZkServer, zk_root: str, tmp_path: Path
) -> None:
    clock = FakeClock(datetime.now(UTC))
    store = ZkStore(own_zookeeper.hosts, zk_root, session_timeout_s=20, retry_deadline_s=1)
    assert own_zookeeper.process is not None
    zk_pid = own_zookeeper.process.pid
    async with running(tmp_path, clock, store) as services:
        await create_job(services, _job("a", "sleep 1.5"))
        run = await services.ask_job("a", lambda actor: actor.trigger())
        await until(lambda: entry(services, "a").runs[0].status is RunStatus.ACTIVE)
        os.killpg(zk_pid, signal.SIGSTOP)  # shorter than the session: only the write times out
        try:
            failures = services.metrics.counter("jobs.write.failures")
            await until(lambda: failures.count >= 1, timeout_s=15)  # the run's end timed out
            assert [r.id for r in entry(services, "a").runs] == [run.id]
        finally:
            os.killpg(zk_pid, signal.SIGCONT)
        await _advancing(clock, lambda: finished(services, "a") == 1)
        history = entry(services, "a").history
        assert history is not None
        assert [info.id for info in history.successful_runs] == [run.id]
    assert _stored_successes(own_zookeeper.hosts, zk_root, "a") == [run.id]


def test_a_leader_paused_past_its_session_stops_and_no_run_is_lost_or_doubled(
    cluster_of: Callable[..., list[ServerProcess]], zookeeper: ZkServer, zk_root: str, tmp_path: Any
) -> None:
    members = cluster_of(zookeeper, zk_root)
    old = leader_of(members)
    launches = tmp_path / "launches"
    body = job_body("long", cmd=f"echo $MESOS_TASK_ID >> {launches}; sleep 4")
    assert old.client.post("/v1/jobs", body).status == 201
    run_ids = {old.client.post("/v1/jobs/long/runs").json()["id"] for _ in range(2)}
    wait(lambda: launches.exists() and len(launches.read_text().split()) == 2, 10)
    assert old.process is not None
    old.process.send_signal(signal.SIGSTOP)
    try:
        survivors = [m for m in members if m is not old]
        # Elected once the paused leader's session expired (a forwarded request meanwhile hangs).
        new = wait(lambda: _quietly(lambda: leader_of(survivors, 1)), SESSION_TIMEOUT_S + 20)
        third = new.client.post("/v1/jobs/long/runs")
        assert third.status == 201, third.text
        run_ids.add(third.json()["id"])
        wait(lambda: len(launches.read_text().split()) == 3, 10)
        woke_at = len(old.log())
    finally:
        old.process.send_signal(signal.SIGCONT)
    new_address = f"127.0.0.1:{new.port}"
    wait(lambda: _named_leader(old) == new_address, 30)  # a follower now
    history = wait(lambda: (h := _history(new)) and h["successCount"] == 3 and h, 30)
    assert {run["id"] for run in history["successfulFinishedRuns"]} == run_ids
    assert history["failureCount"] == 0
    launched = launches.read_text().split()
    assert len(launched) == len(set(launched)) == 3  # adopted, never launched again
    after = old.log()[woke_at:]
    assert "No longer the leader" in after
    # It may still see its tasks end as it wakes, but it starts nothing, and the fence refused
    # whatever it tried to write (the history above is the new leader's alone).
    assert not re.search(r"Run long\.\S+ started", after)


def _named_leader(member: ServerProcess) -> str | None:
    response = member.client.get("/leader", timeout_s=5)
    return response.json()["leader"] if response.status == 200 else None


def _quietly(attempt: Callable[[], ServerProcess]) -> ServerProcess | None:
    try:
        return attempt()
    except (AssertionError, OSError):
        return None


def _history(member: ServerProcess) -> dict[str, Any] | None:
    response = member.client.get("/v1/jobs/long?embed=history")
    return response.json()["history"] if response.status == 200 else None
