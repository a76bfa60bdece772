"""Scale: N jobs with an enabled schedule each, created, listed and reloaded by a restart.

Targets at 10,000 jobs: creation >= 500 jobs/s through the API, RSS <= 300 MB loaded, GET /v1/jobs
of all of them <= 1 s, a restart serving all of them within 5 s of the process start. Creation and
listing are measured round by round against the bare aiohttp baseline (an in-memory dict) in
the same run, interleaved, so the ratios hold however busy the machine is.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness import (
    Budget,
    baseline,
    bench_dir,
    job_body,
    machine,
    median,
    metronome,
    note,
    post_all,
    session,
    summary,
    timed_get,
    unused_hour_cron,
    wait_for,
)

if TYPE_CHECKING:
    import aiohttp


@dataclass(frozen=True)
class ScaleFigures:
    jobs: int
    create_per_s: float
    bare_create_per_s: float
    create_ratio: float
    rss_empty_mb: float
    rss_loaded_mb: float
    list_s: float
    bare_list_s: float
    ready_s: float
    restart_s: float
    rss_restarted_mb: float
    stop_s: float

    @property
    def kb_per_job(self) -> float:
        return (self.rss_loaded_mb - self.rss_empty_mb) * 1024 / self.jobs

    def fields(self) -> dict[str, str]:
        return {
            "jobs": str(self.jobs),
            "create": f"{self.create_per_s:.0f}/s",
            "bare_create": f"{self.bare_create_per_s:.0f}/s",
            "create_ratio": f"{self.create_ratio:.2f}",
            "rss": f"{self.rss_loaded_mb:.0f}MB",
            "rss_per_job": f"{self.kb_per_job:.1f}KB",
            "rss_restarted": f"{self.rss_restarted_mb:.0f}MB",
            "list": f"{self.list_s:.3f}s",
            "bare_list": f"{self.bare_list_s:.3f}s",
            "restart_ping": f"{self.ready_s:.2f}s",
            "restart": f"{self.restart_s:.2f}s",
            "stop": f"{self.stop_s:.1f}s",
        }


async def measure(
    jobs: int,
    *,
    rounds: int,
    restarts: int,
    workers: int,
    budget: Budget,
    workdir: Path,
    src: Path | None = None,
) -> ScaleFigures:
    """`src` runs the server from another source tree (an A/B of two commits)."""
    server = metronome(workdir / "data", src=src)
    bare = baseline(workdir)
    try:
        async with session(workers) as client:
            server.spawn()
            bare.spawn()
            await server.wait_ready(client, budget)
            await bare.wait_ready(client, budget)
            rss_empty = server.rss_mb()
            cron = unused_hour_cron()
            create_rates: list[float] = []
            bare_rates: list[float] = []
            ratios: list[float] = []
            for batch in range(rounds):
                ids = range(batch * jobs // rounds, (batch + 1) * jobs // rounds)
                bodies = [job_body(f"scale-{i}", cron=cron) for i in ids]
                bare_s = await post_all(
                    client, ((f"{bare.url}/v1/jobs", b) for b in bodies), workers, budget
                )
                product_s = await post_all(
                    client, ((f"{server.url}/v1/jobs", b) for b in bodies), workers, budget
                )
                create_rates.append(len(bodies) / product_s)
                bare_rates.append(len(bodies) / bare_s)
                ratios.append(bare_s / product_s)
                note("created %d jobs: %.0f/s, bare %.0f/s", len(bodies), create_rates[-1],
                     bare_rates[-1])  # fmt: skip
            list_times = [await _list(client, server.url, jobs) for _ in range(rounds)]
            bare_list_times = [await _list(client, bare.url, jobs) for _ in range(rounds)]
            rss_loaded = server.rss_mb()
            note("loaded: rss %.0f MB (empty %.0f MB), list %.3f s", rss_loaded, rss_empty,
                 median(list_times))  # fmt: skip
            bare.stop()
            stops = [server.stop()]
            ready: list[float] = []
            served: list[float] = []
            rss_restarted = 0.0
            for _ in range(restarts):
                server.spawn()
                ready.append(await server.wait_ready(client, budget))
                await wait_for(lambda: _lists_all(client, server.url, jobs), budget, "reloading")
                served.append(server.elapsed())
                rss_restarted = server.rss_mb()
                stops.append(server.stop())
                note("restart: /ping after %.2f s, all jobs after %.2f s; stopped in %.1f s",
                     ready[-1], served[-1], stops[-1])  # fmt: skip
    finally:
        bare.stop()
        server.stop()
    return ScaleFigures(
        jobs=jobs,
        create_per_s=median(create_rates),
        bare_create_per_s=median(bare_rates),
        create_ratio=median(ratios),
        rss_empty_mb=rss_empty,
        rss_loaded_mb=rss_loaded,
        list_s=median(list_times),
        bare_list_s=median(bare_list_times),
        ready_s=median(ready),
        restart_s=median(served),
        rss_restarted_mb=rss_restarted,
        stop_s=median(stops),
    )


async def _list(client: aiohttp.ClientSession, url: str, jobs: int) -> float:
    elapsed, count = await timed_get(client, f"{url}/v1/jobs")
    if count != jobs:
        msg = f"GET {url}/v1/jobs listed {count} jobs, not {jobs}"
        raise RuntimeError(msg)
    return elapsed


async def _lists_all(client: aiohttp.ClientSession, url: str, jobs: int) -> bool:
    _, count = await timed_get(client, f"{url}/v1/jobs")
    return count == jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5, help="creation batches and list rounds")
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=32, help="concurrent client connections")
    parser.add_argument("--budget-s", type=float, default=600, help="bound on the whole run")
    parser.add_argument("--src", type=Path, help="run the server from this source tree")
    args = parser.parse_args()
    note("%s", machine())
    with bench_dir("bench-scale-") as work:
        figures = asyncio.run(
            measure(
                args.jobs,
                rounds=args.rounds,
                restarts=args.restarts,
                workers=args.workers,
                budget=Budget(args.budget_s),
                workdir=work,
                src=args.src,
            )
        )
    summary("scale", **figures.fields())


if __name__ == "__main__":
    main()
