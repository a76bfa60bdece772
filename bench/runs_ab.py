"""Run throughput of several server configurations side by side, to tell which change is worth it.

Each CONFIG is extra `metronome serve` flags ('' for the defaults), e.g.
`scripts/bench runs_ab '' '--actor-threads 4' '--log-level WARNING'`, optionally led by
`src=DIR` to run the code of another source tree, such as a worktree of the commit before a
change: `git worktree add /tmp/before HEAD~1`, then `runs_ab 'src=/tmp/before/src' ''`. All the
servers run at once and every round gives each the same burst of manual runs of `true` in turn,
after the raw spawn baseline, so the slow phases of a noisy machine hit every configuration alike.
For each it reports the median rate, its ratio to the raw spawn rate, and the CPU time per run
of the server and of its task processes.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
from pathlib import Path

from harness import (
    Budget,
    Served,
    bench_dir,
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
    servers = [configured(workdir / f"data-{i}", config, runs) for i, config in enumerate(configs)]
    rates: list[list[float]] = [[] for _ in configs]
    cpu_ms: list[list[float]] = [[] for _ in configs]
    task_cpu_ms: list[list[float]] = [[] for _ in configs]
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
                    used, used_by_tasks = server.cpu_s(), server.cpu_s(children=True)
                    seconds = await run_round(client, server.url, runs, jobs, workers, budget)
                    rates[i].append(runs / seconds)
                    cpu_ms[i].append(1000 * (server.cpu_s() - used) / runs)
                    by_tasks = server.cpu_s(children=True) - used_by_tasks
                    task_cpu_ms[i].append(1000 * by_tasks / runs)
                note("round %d: raw %.0f/s, %s", r + 1, bare[-1], [f"{x[-1]:.0f}/s" for x in rates])
    finally:
        for server in servers:
            server.stop()
    for config, rate, cpu, task_cpu in zip(configs, rates, cpu_ms, task_cpu_ms, strict=True):
        summary(
            "runs_ab",
            config=repr(config),
            rate=f"{median(rate):.0f}/s",
            ratio=f"{median(rate) / median(bare):.2f}",
            cpu_per_run=f"{median(cpu):.2f}ms",
            task_cpu_per_run=f"{median(task_cpu):.2f}ms",
            rounds=" ".join(f"{x:.0f}" for x in rate),
        )


def configured(data_dir: Path, config: str, runs: int) -> Served:
    """The server of one CONFIG: `[src=DIR] [serve flags]`."""
    flags = shlex.split(config)
    src = None
    if flags and flags[0].startswith("src="):
        src = Path(flags.pop(0).removeprefix("src="))
    return metronome(data_dir, "--cpus", "64", "--mem", str(64 * runs), *flags, src=src)


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
    with bench_dir("bench-runs-ab-") as work:
        asyncio.run(
            compare(
                args.configs,
                runs=args.runs,
                rounds=args.rounds,
                jobs=args.jobs,
                workers=args.workers,
                budget=Budget(args.budget_s),
                workdir=work,
            )
        )


if __name__ == "__main__":
    main()
