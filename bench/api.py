"""API: GET /v1/jobs/{id} under 50 concurrent connections, against a bare aiohttp handler.

Target: at least 50 % of the requests/s of a bare aiohttp app returning `{"ok": true}` (its own
process, measured in the same run), p99 <= 25 ms. wrk drives both, in alternating rounds, so a
burst of load from elsewhere on the machine hits both sides alike; the figures are medians.
"""

from __future__ import annotations

import argparse
import asyncio

from harness import (
    Budget,
    Served,
    WrkResult,
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
    unused_hour_cron,
    wrk,
)

JOB_ID = "api-0"


async def prepare(server: Served, bare: Served, jobs: int, budget: Budget) -> None:
    """Both servers answering, with `jobs` jobs in Metronome."""
    async with session(16) as client:
        await server.wait_ready(client, budget)
        await bare.wait_ready(client, budget)
        cron = unused_hour_cron()
        bodies = (job_body(f"api-{i}", cron=cron) for i in range(jobs))
        await post_all(client, ((f"{server.url}/v1/jobs", b) for b in bodies), 16, budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=5, help="length of one wrk round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1000, help="jobs loaded in the server")
    parser.add_argument("--budget-s", type=float, default=300, help="bound on the whole run")
    args = parser.parse_args()
    note("%s", machine())
    budget = Budget(args.budget_s)
    with bench_dir("bench-api-") as work:
        server = metronome(work / "data")
        bare = baseline(work)
        try:
            server.spawn()
            bare.spawn()
            asyncio.run(prepare(server, bare, args.jobs, budget))
            product: list[WrkResult] = []
            bare_results: list[WrkResult] = []
            for _ in range(args.rounds):
                budget.check("running wrk rounds")
                for served, results in ((bare, bare_results), (server, product)):
                    url = f"{served.url}/v1/jobs/{JOB_ID}"
                    results.append(wrk(url, connections=args.connections, seconds=args.seconds))
                note("round: metronome %.0f req/s p99 %.1f ms, bare %.0f req/s p99 %.1f ms",
                     product[-1].requests_per_s, product[-1].p99_ms,
                     bare_results[-1].requests_per_s, bare_results[-1].p99_ms)  # fmt: skip
        finally:
            bare.stop()
            server.stop()
    pairs = zip(product, bare_results, strict=True)
    ratios = [p.requests_per_s / b.requests_per_s for p, b in pairs]
    errors = sum(r.errors for r in product + bare_results)
    summary(
        "api",
        connections=args.connections,
        rps=f"{median([r.requests_per_s for r in product]):.0f}",
        bare_rps=f"{median([r.requests_per_s for r in bare_results]):.0f}",
        ratio=f"{median(ratios):.2f}",
        p50=f"{median([r.p50_ms for r in product]):.1f}ms",
        p99=f"{median([r.p99_ms for r in product]):.1f}ms",
        bare_p99=f"{median([r.p99_ms for r in bare_results]):.1f}ms",
        non_2xx=errors,
    )


if __name__ == "__main__":
    main()
