"""Job creation (POST /v1/jobs) of several server configurations side by side, in one run.

Each CONFIG is extra `metronome serve` flags ('' for the defaults), optionally led by `zk` (the
server stores in ZooKeeper, a server this benchmark starts, under a root of its own) and by
`src=DIR` (the code of another source tree, e.g. a `git worktree` of the commit before a change);
`bare` is the bare aiohttp baseline of harness.py instead (it parses and echoes the same JSON).
`scripts/bench posts_ab '' zk` measures target 2 of the sixth round (ZooKeeper against the
embedded store), `posts_ab '' bare` target 1 (each line then also gives `of_bare`, its rate over
the baseline's); `posts_ab '' '--event-loop uvloop'` an event loop; `posts_ab 'src=/tmp/b/src' ''`
a change. All servers run at once and every round gives each the same burst of creations in turn
(the order rotating each round), so the slow phases of a noisy machine hit every configuration
alike. It reports each one's median rate and its ratio to the first CONFIG's, round by round;
with `--get-s N`, also each round's GET /v1/jobs/{id} rate (wrk, 50 connections, N seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import uuid
from pathlib import Path

from harness import (
    Budget,
    Served,
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.zookeeper import ZkServer


async def compare(
    configs: list[str],
    *,
    count: int,
    rounds: int,
    workers: int,
    zk_fsync: bool,
    get_s: int,
    budget: Budget,
    workdir: Path,
) -> None:
    zk = None
    if any(_uses_zk(c) for c in configs):
        zk = ZkServer(workdir / "zookeeper", force_sync=zk_fsync).start()
    hosts = zk.hosts if zk is not None else ""
    servers = [configured(workdir, i, c, hosts) for i, c in enumerate(configs)]
    rates: list[list[float]] = [[] for _ in configs]
    cpu_ms: list[list[float]] = [[] for _ in configs]
    gets: list[list[float]] = [[] for _ in configs]
    cron = unused_hour_cron()
    try:
        async with session(workers) as client:
            for server in servers:
                server.spawn()
                await server.wait_ready(client, budget)
            for server in servers:  # a round uncounted: connections, caches, the JIT of Java
                warm = (
                    (f"{server.url}/v1/jobs", job_body(f"w.j{n}", cron=cron)) for n in range(count)
                )
                await post_all(client, warm, workers, budget)
            for r in range(rounds):
                for k in range(len(servers)):
                    i = (r + k) % len(servers)
                    server = servers[i]
                    bodies = (
                        (f"{server.url}/v1/jobs", job_body(f"r{r}.j{n}", cron=cron))
                        for n in range(count)
                    )
                    used = server.cpu_s()
                    rates[i].append(count / await post_all(client, bodies, workers, budget))
                    cpu_ms[i].append(1000 * (server.cpu_s() - used) / count)
                    if get_s:
                        url = f"{server.url}/v1/jobs/w.j0"
                        gets[i].append(wrk(url, connections=50, seconds=get_s).requests_per_s)
                note("round %d: %s", r + 1, [f"{x[-1]:.0f}/s" for x in rates])
    finally:
        for server in servers:
            server.stop()
        if zk is not None:
            zk.stop()
    first = median(rates[0])
    bare = [median(rate) for config, rate in zip(configs, rates, strict=True) if config == "bare"]
    for config, rate, cpu, get in zip(configs, rates, cpu_ms, gets, strict=True):
        summary(
            "posts_ab",
            config=repr(config),
            rate=f"{median(rate):.0f}/s",
            ratio=f"{median(rate) / first:.2f}",
            **({"of_bare": f"{median(rate) / bare[0]:.2f}"} if bare else {}),
            round_ratios=" ".join(f"{x / y:.2f}" for x, y in zip(rate, rates[0], strict=True)),
            cpu_per_post=f"{median(cpu):.2f}ms",
            rounds=" ".join(f"{x:.0f}" for x in rate),
            **(
                {
                    "get_rps": f"{median(get):.0f}",
                    "get_ratio": f"{median(get) / median(gets[0]):.2f}",
                    "get_rounds": " ".join(f"{x:.0f}" for x in get),
                }
                if get
                else {}
            ),
        )


def _uses_zk(config: str) -> bool:
    return "zk" in shlex.split(config)


def configured(workdir: Path, index: int, config: str, zk_hosts: str) -> Served:
    """The server of one CONFIG: `bare`, or `[zk] [src=DIR] [serve flags]`."""
    if config == "bare":
        return baseline(workdir)
    flags = shlex.split(config)
    src = None
    extra = []
    while flags and (flags[0] == "zk" or flags[0].startswith("src=")):
        word = flags.pop(0)
        if word == "zk":
            extra = ["--zk", f"zk://{zk_hosts}/bench-{uuid.uuid4().hex[:8]}"]
        else:
            src = Path(word.removeprefix("src="))
    return metronome(workdir / f"data-{index}", *extra, *flags, src=src)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "configs", nargs="+", metavar="CONFIG", help="bare, or [zk] [src=DIR] serve flags"
    )
    parser.add_argument("--count", type=int, default=1000, help="creations per round and server")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--workers", type=int, default=32, help="concurrent client connections")
    parser.add_argument(
        "--zk-fsync",
        action="store_true",
        help="ZooKeeper fsyncs its log (forceSync=yes) as in production and as the embedded store",
    )
    parser.add_argument(
        "--get-s", type=int, default=0, help="and each round, wrk GET /v1/jobs/{id} this long"
    )
    parser.add_argument("--budget-s", type=float, default=600, help="bound on the whole run")
    args = parser.parse_args()
    note("%s", machine())
    with bench_dir("bench-posts-ab-") as work:
        asyncio.run(
            compare(
                args.configs,
                count=args.count,
                rounds=args.rounds,
                workers=args.workers,
                zk_fsync=args.zk_fsync,
                get_s=args.get_s,
                budget=Budget(args.budget_s),
                workdir=work,
            )
        )


if __name__ == "__main__":
    main()
