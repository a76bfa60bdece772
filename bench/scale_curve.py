"""Scale curve: the scale and trigger figures at 1,000, 10,000 and 50,000 jobs.

Time and memory per job should stay flat as the job count grows. At each size this runs
bench/scale.py's measure (one restart instead of three) and bench/trigger.py's measure with every
job due at the same instant. A size whose estimated time (the previous size's time per job times
its job count) exceeds what is left of --max-s is skipped and named in the summary.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import TYPE_CHECKING

import scale
import trigger
from harness import Budget, bench_dir, machine, note, summary

if TYPE_CHECKING:
    from collections.abc import Callable

SAFE_CREATE_SHARE = 0.6
"""Share of the measured creation rate the trigger measure plans with (the machine is shared)."""


async def curve(
    sizes: list[int], *, cpus: int, lead_s: float, workers: int, max_s: float
) -> tuple[list[tuple[scale.ScaleFigures, trigger.TriggerFigures]], list[int]]:
    budget = Budget(max_s)
    points: list[tuple[scale.ScaleFigures, trigger.TriggerFigures]] = []
    skipped: list[int] = []
    seconds_per_job = 0.0
    for jobs in sizes:
        estimate_s = seconds_per_job * jobs
        if estimate_s > budget.left():
            note("skipping %d jobs: estimated %.0f s, %.0f s left", jobs, estimate_s, budget.left())
            skipped.append(jobs)
            continue
        began = time.monotonic()
        with bench_dir(f"bench-curve-{jobs}-") as work:
            sized = await scale.measure(
                jobs, rounds=5, restarts=1, workers=workers, budget=budget, workdir=work / "s"
            )
            note("scale at %d: %s", jobs, sized.fields())
            fired = await trigger.measure(
                jobs,
                background=0,
                cpus=cpus,
                lead_s=lead_s,
                workers=workers,
                budget=budget,
                workdir=work / "t",
                create_per_s=sized.create_per_s * SAFE_CREATE_SHARE,
            )
            note("trigger at %d: %s", jobs, fired.fields())
        points.append((sized, fired))
        seconds_per_job = (time.monotonic() - began) / jobs
    return points, skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="job counts, comma-separated")
    parser.add_argument("--cpus", type=int, default=64, help="launcher capacity (--cpus)")
    parser.add_argument("--lead-s", type=float, default=20, help="least time before the instant")
    parser.add_argument("--workers", type=int, default=32, help="concurrent client connections")
    parser.add_argument("--max-s", type=float, default=1500, help="bound on the whole run")
    args = parser.parse_args()
    note("%s", machine())
    sizes = [int(size) for size in args.sizes.split(",")]
    points, skipped = asyncio.run(
        curve(sizes, cpus=args.cpus, lead_s=args.lead_s, workers=args.workers, max_s=args.max_s)
    )

    def series(figure: Callable[[scale.ScaleFigures, trigger.TriggerFigures], str]) -> str:
        return "/".join(figure(s, t) for s, t in points) or "none"

    summary(
        "scale_curve",
        jobs=series(lambda s, _: str(s.jobs)),
        create_per_s=series(lambda s, _: f"{s.create_per_s:.0f}"),
        create_ratio=series(lambda s, _: f"{s.create_ratio:.2f}"),
        rss_mb=series(lambda s, _: f"{s.rss_loaded_mb:.0f}"),
        kb_per_job=series(lambda s, _: f"{s.kb_per_job:.1f}"),
        list_us_per_job=series(lambda s, _: f"{s.list_s / s.jobs * 1e6:.1f}"),
        restart_us_per_job=series(lambda s, _: f"{s.restart_s / s.jobs * 1e6:.0f}"),
        stop_s=series(lambda s, _: f"{s.stop_s:.1f}"),
        p50_ms=series(lambda _, t: f"{t.p50_ms:.0f}"),
        p99_ms=series(lambda _, t: f"{t.p99_ms:.0f}"),
        missed=series(lambda _, t: str(t.missed)),
        finish_ms_per_job=series(lambda _, t: f"{t.finished_s / t.due * 1e3:.2f}"),
        timer_p99_ms=series(lambda _, t: f"{t.timer_p99_ms:.0f}"),
        skipped=",".join(map(str, skipped)) or "none",
    )


if __name__ == "__main__":
    main()
