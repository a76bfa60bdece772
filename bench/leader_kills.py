"""Leader kills: a black-box audit of fail-overs (issue 19).

Three instances on one ZooKeeper started here; manual runs at about `--rate` per second (to any
live instance) and every-minute schedules; the leader killed with -9 `--kills` times (bounded
by `--budget-s`), each killed instance started again. Then the histories are audited against
what the tasks themselves did (each appends `start <task id>` and, at its end, `end <task id>`
to a file of its job's):

- lost: acknowledged (201) manual runs in no history and not active;
- recorded twice: a run id more than once in the histories;
- executed twice: a run whose command started more than once;
- failed but succeeded: runs recorded FAILED whose task ran to its end, apart from those with
  an unknown outcome (`OUTCOME_UNKNOWN`, counted apart: expected with own data dirs only);
- slots: each schedule's minutes in the window, run once (not missed, not doubled);
- fail-over: from the kill until another instance is named leader and serves, p50 and max.

Topologies: `shared` (the instances share one data dir: new leaders adopt the tasks) and `own`
(a data dir each, `--separate-data-dirs`: a run whose task was running at the kill ends with an
unknown outcome, and is never executed twice). The two are the same run's comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import signal
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from harness import (
    Budget,
    bench_dir,
    machine,
    median,
    metronome,
    note,
    parse_timestamp,
    session,
    summary,
    wait_for,
)

if TYPE_CHECKING:
    from harness import Served

import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.zookeeper import ZkServer

INSTANCES = 3
MANUAL_JOBS = 4
SCHEDULED_JOBS = 2
DRAIN_S = 90.0
"""Longest wait, after the load stops, for every run to finish."""


class Cluster:
    """The instances of one topology; a killed one is started again on the same port."""

    def __init__(self, work: Path, zk: ZkServer, topology: str, session_timeout_s: float) -> None:
        root = f"/bench-{uuid.uuid4().hex[:8]}"
        common = [
            "--zk", f"zk://{zk.hosts}{root}",
            "--zk-session-timeout", f"{session_timeout_s}s",
            "--task-user", "root",  # the tasks append to files in this benchmark's directory
            "--history-count", "100000",  # an audit needs every run kept
        ]  # fmt: skip
        if topology == "own":
            common += ["--separate-data-dirs", "true"]
        self.members: list[Served] = []
        for n in range(INSTANCES):
            data = work / "data" if topology == "shared" else work / f"data-{n}"
            self.members.append(metronome(data, *common))

    def live(self) -> list[Served]:
        return [m for m in self.members if m.process is not None and m.process.poll() is None]

    def by_address(self, address: str) -> Served | None:
        return next((m for m in self.members if f"127.0.0.1:{m.port}" == address), None)

    async def leader(self, client: aiohttp.ClientSession, *, not_: Served | None = None) -> Any:
        """The instance a live member names as leader, once it serves jobs; else None."""
        for member in self.live():
            if member is not_:
                continue
            try:
                async with client.get(f"{member.url}/leader") as answer:
                    if answer.status != 200:
                        continue
                    named = self.by_address((await answer.json())["leader"])
                if named is None or named is not_ or named not in self.live():
                    continue
                async with client.get(f"{named.url}/v1/jobs") as answer:
                    return named if answer.status == 200 else None
            except (aiohttp.ClientError, TimeoutError):
                continue
        return None


class Load:
    """Manual runs at a steady rate to random live instances; remembers the acknowledged ones."""

    def __init__(self, cluster: Cluster, client: aiohttp.ClientSession, rate: float) -> None:
        self._cluster = cluster
        self._client = client
        self._interval_s = 1.0 / rate
        self.acknowledged: dict[str, str] = {}  # run id -> job id
        self.refused: Counter[str] = Counter()  # why a POST was not acknowledged
        self._pending: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        n = 0
        while not stop.is_set():
            live = self._cluster.live()
            if live:
                job_id = f"manual{n % MANUAL_JOBS}"
                task = asyncio.create_task(self._post(random.choice(live), job_id))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)
                n += 1
            await asyncio.sleep(self._interval_s)
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def _post(self, member: Served, job_id: str) -> None:
        try:
            async with self._client.post(f"{member.url}/v1/jobs/{job_id}/runs") as answer:
                if answer.status == 201:
                    self.acknowledged[(await answer.json())["id"]] = job_id
                else:
                    await answer.read()
                    self.refused[str(answer.status)] += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.refused[type(exc).__name__] += 1


def job(job_id: str, effects: Path, task_s: float, *, scheduled: bool) -> dict[str, Any]:
    cmd = (
        f"echo start $MESOS_TASK_ID >> {effects}; sleep {task_s}; "
        f"echo end $MESOS_TASK_ID >> {effects}"
    )
    body: dict[str, Any] = {"id": job_id, "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0}}
    if scheduled:
        body["schedules"] = [
            {
                "id": "s",
                "cron": "* * * * *",
                "timezone": "UTC",
                "startingDeadlineSeconds": 60,
                "concurrencyPolicy": "ALLOW",
            }
        ]
    return body


def effects_of(path: Path, job_id: str) -> tuple[Counter[str], set[str]]:
    """Per run id: how often its command started, and the runs whose command ran to its end."""
    starts: Counter[str] = Counter()
    ends: set[str] = set()
    prefix = job_id.replace(".", "_") + "_"
    text = path.read_text() if path.exists() else ""
    for line in text.splitlines():
        what, _, task_id = line.partition(" ")
        run_id = task_id.removeprefix(prefix).rsplit(".", 1)[0]
        if what == "start":
            starts[run_id] += 1
        elif what == "end":
            ends.add(run_id)
    return starts, ends


async def get(client: aiohttp.ClientSession, url: str) -> Any:
    async with client.get(url) as answer:
        if answer.status != 200:
            msg = f"GET {url} answered {answer.status}: {await answer.text()}"
            raise RuntimeError(msg)
        return await answer.json()


async def kill_leaders(
    cluster: Cluster, client: aiohttp.ClientSession, args: argparse.Namespace, budget: Budget
) -> list[float]:
    """Kill the leader `args.kills` times (or until the kill budget is spent); fail-over times."""
    failovers: list[float] = []
    kill_budget = Budget(min(args.kill_budget_s, budget.left() - DRAIN_S - 60))
    for k in range(args.kills):
        if kill_budget.left() <= 0:
            note("kill budget spent after %d kills", k)
            break
        old = await wait_for(lambda: cluster.leader(client), budget, "a leader", interval_s=0.05)
        await asyncio.sleep(random.uniform(args.gap_s / 2, args.gap_s * 1.5))
        for member in cluster.members:  # the one killed last time serves again before the next
            if member.process is not None and member.process.poll() is None:
                await member.wait_ready(client, budget)
        assert old.process is not None
        old.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        old.process.wait()
        new_leader = functools.partial(cluster.leader, client, not_=old)
        await wait_for(new_leader, budget, "a new leader", interval_s=0.02)
        failovers.append(time.monotonic() - killed)
        note("kill %d: fail-over %.2f s", k + 1, failovers[-1])
        old.spawn()  # on its port again; ready (checked above) before the next kill
    return failovers


async def audit(
    leader: Served,
    client: aiohttp.ClientSession,
    load: Load,
    work: Path,
    window: tuple[datetime, datetime],
) -> dict[str, Any]:
    recorded: Counter[str] = Counter()
    failed_ends: Counter[str] = Counter()  # end kind of each FAILED run whose task succeeded
    unknown = lost = executed_twice = 0
    slots_missed = slots_doubled = slots = 0
    active: set[str] = set()
    for n in range(MANUAL_JOBS + SCHEDULED_JOBS):
        job_id = f"manual{n}" if n < MANUAL_JOBS else f"scheduled{n - MANUAL_JOBS}"
        info = await get(client, f"{leader.url}/v1/jobs/{job_id}?embed=history&embed=activeRuns")
        active |= {run["id"] for run in info.get("activeRuns", [])}
        history = info["history"]
        succeeded = [run["id"] for run in history["successfulFinishedRuns"]]
        failed = [run["id"] for run in history["failedFinishedRuns"]]
        recorded.update(succeeded + failed)
        starts, ends = effects_of(work / f"effects-{job_id}", job_id)
        executed_twice += sum(1 for count in starts.values() if count > 1)
        for run_id in failed:
            url = f"{leader.url}/v1/jobs/{job_id}/runs/{run_id}?embed=details"
            kind = (await get(client, url))["details"]["reason"]["kind"]
            unknown += kind == "OUTCOME_UNKNOWN"
            if run_id in ends:
                failed_ends[kind] += 1
        if job_id.startswith("scheduled"):
            fired: Counter[datetime] = Counter()
            for run_id in succeeded + failed:
                url = f"{leader.url}/v1/jobs/{job_id}/runs/{run_id}?embed=details"
                at = (await get(client, url))["details"]["trigger"]["scheduledAt"]
                fired[parse_timestamp(at)] += 1
            minute = window[0].replace(second=0, microsecond=0) + timedelta(minutes=1)
            while minute <= window[1]:
                slots += 1
                slots_missed += fired[minute] == 0
                slots_doubled += fired[minute] > 1
                minute += timedelta(minutes=1)
    for run_id in load.acknowledged:
        lost += run_id not in recorded and run_id not in active
    unknown_succeeded = failed_ends.pop("OUTCOME_UNKNOWN", 0)
    return {
        "acknowledged": len(load.acknowledged),
        "refused": sum(load.refused.values()),
        "recorded": sum(recorded.values()),
        "lost": lost,
        "recorded_twice": sum(1 for count in recorded.values() if count > 1),
        "executed_twice": executed_twice,
        "failed_but_succeeded": sum(failed_ends.values()),
        "unknown": unknown,
        "unknown_succeeded": unknown_succeeded,
        "still_active": len(active),
        "slots": slots,
        "slots_missed": slots_missed,
        "slots_doubled": slots_doubled,
    }


async def topology_run(
    topology: str, zk: ZkServer, work: Path, args: argparse.Namespace, budget: Budget
) -> None:
    cluster = Cluster(work, zk, topology, args.session_timeout_s)
    try:
        for member in cluster.members:
            member.spawn()
        async with session(64) as client:
            for member in cluster.members:
                await member.wait_ready(client, budget)
            leader = await wait_for(lambda: cluster.leader(client), budget, "a leader")
            for n in range(MANUAL_JOBS + SCHEDULED_JOBS):
                scheduled = n >= MANUAL_JOBS
                job_id = f"scheduled{n - MANUAL_JOBS}" if scheduled else f"manual{n}"
                body = job(job_id, work / f"effects-{job_id}", args.task_s, scheduled=scheduled)
                async with client.post(f"{leader.url}/v1/jobs", json=body) as answer:
                    assert answer.status == 201, await answer.text()
            began = datetime.now(UTC)
            load = Load(cluster, client, args.rate)
            stop = asyncio.Event()
            loading = asyncio.create_task(load.run(stop))
            failovers = await kill_leaders(cluster, client, args, budget)
            stop.set()
            await loading
            ended = datetime.now(UTC) - timedelta(seconds=5)
            leader = await wait_for(lambda: cluster.leader(client), budget, "the last leader")

            async def drained() -> bool:
                jobs = await get(client, f"{leader.url}/v1/jobs?embed=activeRuns")
                return not any(job.get("activeRuns") for job in jobs)

            drain = Budget(min(DRAIN_S, budget.left()))
            try:
                await wait_for(drained, drain, "the runs to finish", interval_s=0.5)
            except TimeoutError:
                note("runs still active after %.0f s: counted as active", DRAIN_S)
            await asyncio.sleep(args.task_s + 1)  # the last unknown-outcome tasks end too
            figures = await audit(leader, client, load, work, (began, ended))
            note("not acknowledged: %s", dict(load.refused))
        summary(
            "leader_kills",
            topology=topology,
            kills=len(failovers),
            **figures,
            failover_p50=f"{median(failovers):.2f}s",
            failover_max=f"{max(failovers, default=float('nan')):.2f}s",
            session_timeout=f"{args.session_timeout_s:g}s",
        )
    finally:
        for member in cluster.members:
            member.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--topology", choices=("shared", "own", "both"), default="both")
    parser.add_argument("--kills", type=int, default=100, help="leader kills per topology")
    parser.add_argument(
        "--kill-budget-s", type=float, default=900, help="longest time spent killing, per topology"
    )
    parser.add_argument("--budget-s", type=float, default=2400, help="whole run's bound")
    parser.add_argument("--rate", type=float, default=2.0, help="manual runs per second")
    parser.add_argument("--task-s", type=float, default=1.5, help="each task's sleep")
    parser.add_argument("--gap-s", type=float, default=2.0, help="mean time between kills")
    parser.add_argument("--session-timeout-s", type=float, default=2.0)
    args = parser.parse_args()
    budget = Budget(args.budget_s)
    note("%s", machine())
    topologies = ("shared", "own") if args.topology == "both" else (args.topology,)
    with bench_dir("bench-kills-") as work:
        zk = ZkServer(work / "zookeeper").start()
        try:
            for topology in topologies:
                (work / topology).mkdir()
                await topology_run(topology, zk, work / topology, args, budget)
        finally:
            zk.stop()


if __name__ == "__main__":
    asyncio.run(main())
