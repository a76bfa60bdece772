"""Run throughput: manual runs of `true`, against the raw asyncio spawn-and-reap rate.

Target: runs started with POST /v1/jobs/{id}/runs (spread over a few jobs) finish at >= 30 % of
the rate at which asyncio spawns and reaps `/bin/sh -c true` on this machine. Each round measures
both, the baseline first, so each ratio compares two measures taken seconds apart.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness import (
    Budget,
    bench_dir,
    finished_runs,
    get_json,
    job_body,
    machine,
    median,
    metronome,
    note,
    parse_timestamp,
    post_all,
    session,
    spawn_true,
    summary,
    wait_for,
)

if TYPE_CHECKING:
    import aiohttp


async def measure(
    runs: int, *, rounds: int, jobs: int, cpus: int, workers: int, budget: Budget, workdir: Path
) -> tuple[list[float], list[float]]:
    """Seconds per round for the product and for the baseline."""
    server = metronome(workdir / "data", "--cpus", str(cpus), "--mem", str(64 * runs))
    product: list[float] = []
    bare: list[float] = []
    try:
        async with session(workers) as client:
            server.spawn()
            await server.wait_ready(client, budget)
            bodies = ((f"{server.url}/v1/jobs", job_body(f"runs-{j}")) for j in range(jobs))
            await post_all(client, bodies, workers, budget)
            for _ in range(rounds):
                bare.append(await spawn_true(runs))
                product.append(await run_round(client, server.url, runs, jobs, workers, budget))
                note("round: %d runs in %.2f s, raw spawn %.2f s", runs, product[-1], bare[-1])
    finally:
        server.stop()
    return product, bare


async def run_round(
    client: aiohttp.ClientSession, url: str, runs: int, jobs: int, workers: int, budget: Budget
) -> float:
    """Seconds from the first POST to the last run's finishedAt."""
    before = await finished_runs(client, url)
    now = datetime.now(UTC)
    began = now.replace(microsecond=now.microsecond // 1000 * 1000)  # createdAt has milliseconds
    requests = ((f"{url}/v1/jobs/runs-{i % jobs}/runs", None) for i in range(runs))
    await post_all(client, requests, workers, budget)

    async def all_finished() -> bool:
        return await finished_runs(client, url) >= before + runs

    await wait_for(all_finished, budget, "waiting for the runs to finish", interval_s=0.1)
    listed = await get_json(client, f"{url}/v1/jobs?embed=history")
    ends = [
        parse_timestamp(run["finishedAt"])
        for job in listed
        for run in job["history"]["successfulFinishedRuns"] + job["history"]["failedFinishedRuns"]
        if parse_timestamp(run["createdAt"]) >= began
    ]
    if len(ends) != runs:
        msg = f"found {len(ends)} runs of this round in the histories, not {runs}"
        raise RuntimeError(msg)
    return (max(ends) - began).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="runs per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=10, help="jobs the runs are spread over")
    parser.add_argument("--cpus", type=int, default=64, help="launcher capacity (--cpus)")
    parser.add_argument("--workers", type=int, default=16, help="concurrent client connections")
    parser.add_argument("--budget-s", type=float, default=300, help="bound on the whole run")
    args = parser.parse_args()
    note("%s", machine())
    with bench_dir("bench-runs-") as work:
        product, bare = asyncio.run(
            measure(
                args.runs,
                rounds=args.rounds,
                jobs=args.jobs,
                cpus=args.cpus,
                workers=args.workers,
                budget=Budget(args.budget_s),
                workdir=work,
            )
        )
    summary(
        "runs",
        runs=f"{args.runs}x{args.rounds}",
        rate=f"{args.runs / median(product):.0f}/s",
        bare_rate=f"{args.runs / median(bare):.0f}/s",
        ratio=f"{median([b / p for p, b in zip(product, bare, strict=True)]):.2f}",
    )


if __name__ == "__main__":
    main()
