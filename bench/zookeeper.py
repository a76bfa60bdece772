"""ZooKeeper: job creation against raw kazoo creates, and fail-over with many stored jobs.

Targets (issue "ZooKeeper persistence and a highly available cluster"): POST /v1/jobs with
ZooKeeper storage at >= 50 % of the rate of raw kazoo creates of the same record size, measured in
the same run; with 10,000 jobs stored, a killed leader replaced by a new one that serves and
triggers within 10 s, with a session timeout of at most 6 s. The sixth round replaced the raw-kazoo
target by one against the same server on the embedded store: `posts_ab.py '' zk`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

from harness import (
    Budget,
    bench_dir,
    job_body,
    machine,
    median,
    metronome,
    note,
    post_all,
    session,
    summary,
    unused_hour_cron,
    wait_for,
)
from kazoo.client import KazooClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from metronome.api._schemas import parse_job
from metronome.storage import encode_job
from tests.support.zookeeper import ZkServer

SESSION_TIMEOUT_S = 6


def raw_creates(hosts: str, root: str, count: int, size: int, in_flight: int) -> float:
    """Creates per second of `size`-byte nodes with kazoo, `in_flight` outstanding at a time."""
    client = KazooClient(hosts=hosts)
    client.start(timeout=10)
    client.ensure_path(root)
    data = b"x" * size
    began = time.monotonic()
    pending = []
    for n in range(count):
        pending.append(client.create_async(f"{root}/n{n}", data))
        if len(pending) >= in_flight:
            pending.pop(0).get(timeout=30)
    for result in pending:
        result.get(timeout=30)
    rate = count / (time.monotonic() - began)
    client.stop()
    client.close()
    return rate


async def create_rate(url: str, prefix: str, count: int, workers: int, budget: Budget) -> float:
    async with session(workers) as client:
        cron = unused_hour_cron()
        bodies = ((f"{url}/v1/jobs", job_body(f"{prefix}.j{n}", cron=cron)) for n in range(count))
        return count / await post_all(client, bodies, workers, budget)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs stored for the fail-over")
    parser.add_argument("--round", type=int, default=1_000, help="creations per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--budget-s", type=float, default=900)
    args = parser.parse_args()
    if args.jobs <= args.rounds * args.round:
        parser.error("--jobs must exceed --rounds x --round: the fail-over reads a later job")
    budget = Budget(args.budget_s)
    note("%s", machine())
    with bench_dir("bench-zk-") as work:
        zk = ZkServer(work / "zookeeper").start()
        root = f"/bench-{uuid.uuid4().hex[:8]}"
        url_arg = [
            "--zk", f"zk://{zk.hosts}{root}", "--zk-session-timeout", f"{SESSION_TIMEOUT_S}s"
        ]  # fmt: skip
        members = [metronome(work / "data", *url_arg) for _ in range(2)]
        try:
            for member in members:
                member.spawn()
            async with session(4) as client:
                for member in members:
                    await member.wait_ready(client, budget)

                async def leader_url() -> str | None:
                    async with client.get(f"{members[0].url}/leader") as answer:
                        if answer.status != 200:
                            return None
                        address = (await answer.json())["leader"]
                    return f"http://{address}"

                leader = await wait_for(leader_url, budget, "a leader")
            record = len(encode_job(parse_job(job_body("bench.j0", cron=unused_hour_cron()))))
            product, raw = [], []
            for r in range(args.rounds):
                raw_root = f"{root}-raw{r}"
                raw.append(raw_creates(zk.hosts, raw_root, args.round, record, args.workers))
                product.append(await create_rate(leader, f"r{r}", args.round, args.workers, budget))
                note("round %d: product %.0f/s, raw kazoo %.0f/s", r + 1, product[-1], raw[-1])
            created = args.rounds * args.round
            async with session(args.workers) as client:
                cron = unused_hour_cron()
                rest = (
                    (f"{leader}/v1/jobs", job_body(f"fill.j{n}", cron=cron))
                    for n in range(args.jobs - created)
                )
                await post_all(client, rest, args.workers, budget)
            old = next(m for m in members if m.url == leader)
            new = next(m for m in members if m is not old)
            assert old.process is not None
            old.process.kill()
            killed = time.monotonic()
            async with session(4) as client:

                async def serving() -> bool:
                    async with client.get(f"{new.url}/v1/jobs/fill.j0") as answer:
                        return answer.status == 200

                await wait_for(serving, budget, "the new leader serving", interval_s=0.05)
                serving_s = time.monotonic() - killed
                async with client.post(f"{new.url}/v1/jobs/fill.j0/runs") as answer:
                    triggered = answer.status == 201
                triggering_s = time.monotonic() - killed
                async with client.get(f"{new.url}/v1/jobs") as answer:
                    listed = len(await answer.json())
            summary(
                "zookeeper",
                record_bytes=record,
                create=f"{median(product):.0f}/s",
                raw_kazoo=f"{median(raw):.0f}/s",
                ratio=f"{median(product) / median(raw):.2f}",
                jobs=listed,
                session_timeout=f"{SESSION_TIMEOUT_S}s",
                failover_serving=f"{serving_s:.1f}s",
                failover_triggering=f"{triggering_s:.1f}s" if triggered else "no",
            )
        finally:
            for member in members:
                member.stop()
            zk.stop()


if __name__ == "__main__":
    asyncio.run(main())
