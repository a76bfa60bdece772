"""Run throughput of several server configurations side by side, to tell which change is worth it.

Each CONFIG is extra `metronome serve` flags ('' for the defaults), e.g.
`scripts/bench runs_ab '' '--actor-threads 4' '--log-level WARNING'`. All the servers run at
once and every round gives each the same burst of manual runs of `true` in turn, after the raw
spawn baseline, so the slow phases of a noisy machine hit every configuration alike. For each it
reports the median rate, its ratio to the raw spawn rate, and the server's CPU time per run.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import tempfile
from pathlib import Path

from harness import (
    Budget,
    job_body,
    machine,
    median,
    metronome,
    note,
    post_all,
    session,
    spawn_true,
    summary,
)
from runs import run_round


async def compare(
    configs: list[str],
    *,
    runs: int,
    rounds: int,
    jobs: int,
    workers: int,
    budget: Budget,
    workdir: Path,
) -> None:
    servers = [
        metronome(workdir / f"data-{i}", "--cpus", "64", "--mem", str(64 * runs), *shlex.split(c))
        for i, c in enumerate(configs)
    ]
    rates: list[list[float]] = [[] for _ in configs]
    cpu_ms: list[list[float]] = [[] for _ in configs]
    bare: list[float] = []
    try:
        async with session(workers) as client:
            for server in servers:
                server.spawn()
                await server.wait_ready(client, budget)
                bodies = ((f"{server.url}/v1/jobs", job_body(f"runs-{j}")) for j in range(jobs))
                await post_all(client, bodies, workers, budget)
            for r in range(rounds):
                bare.append(runs / await spawn_true(runs))
                for i, server in enumerate(servers):
                    used = server.cpu_s()
                    seconds = await run_round(client, server.url, runs, jobs, workers, budget)
                    rates[i].append(runs / seconds)
                    cpu_ms[i].append(1000 * (server.cpu_s() - used) / runs)
                note("round %d: raw %.0f/s, %s", r + 1, bare[-1], [f"{x[-1]:.0f}/s" for x in rates])
    finally:
        for server in servers:
            server.stop()
    for config, rate, cpu in zip(configs, rates, cpu_ms, strict=True):
        summary(
            "runs_ab",
            config=repr(config),
            rate=f"{median(rate):.0f}/s",
            ratio=f"{median(rate) / median(bare):.2f}",
            cpu_per_run=f"{median(cpu):.2f}ms",
            rounds=" ".join(f"{x:.0f}" for x in rate),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="+", metavar="CONFIG", help="extra serve flags, quoted")
    parser.add_argument("--runs", type=int, default=500, help="runs per round and server")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=10, help="jobs the runs are spread over")
    parser.add_argument("--workers", type=int, default=16, help="concurrent client connections")
    parser.add_argument("--budget-s", type=float, default=600, help="bound on the whole run")
    args = parser.parse_args()
    note("%s", machine())
    with tempfile.TemporaryDirectory(prefix="bench-runs-ab-") as tmp:
        asyncio.run(
            compare(
                args.configs,
                runs=args.runs,
                rounds=args.rounds,
                jobs=args.jobs,
                workers=args.workers,
                budget=Budget(args.budget_s),
                workdir=Path(tmp),
            )
        )


if __name__ == "__main__":
    main()
