"""Benchmark: N tasks of `true` through MesosLauncher on a fake Mesos cluster of A agents.

Reports whether every task launched and finished, the launch rate, and latencies: offer-to-launch
(the master's offer to its ACCEPT, per task) and launch()-to-RUNNING / -to-FINISHED.

    PYTHONPATH=src .venv/bin/python bench/mesos_launch.py --tasks 1000 --agents 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from harness import bench_dir

from metronome.fakemesos import AgentSpec, FakeMesos, Settings
from metronome.launch import MemoryFrameworkIdStore, MesosLauncher, MesosSettings, TaskUpdate
from metronome.model import RunSpec, TaskStatus


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def bench(tasks: int, agents: int, allocation_s: float) -> None:
    with bench_dir("bench-mesos-") as work:
        settings = Settings(work, heartbeat_interval_s=1.0, allocation_interval_s=allocation_s,
                            update_retry_s=5.0, kill_grace_s=1.0)  # fmt: skip
        cluster = [AgentSpec(f"agent-{i}", cpus=64.0, mem=65536.0) for i in range(agents)]
        fake = await FakeMesos(settings, cluster).start()
        launched: dict[str, float] = {}
        running: dict[str, float] = {}
        finished: dict[str, float] = {}
        done = asyncio.Event()

        def on_update(update: TaskUpdate) -> None:
            now = time.perf_counter()
            if update.status is TaskStatus.TASK_RUNNING:
                running[update.task_id] = now
            elif update.status is TaskStatus.TASK_FINISHED:
                finished[update.task_id] = now
            elif not update.status.is_active:
                print(f"{update.task_id}: {update.status} {update.message}")
                finished[update.task_id] = now
            if len(finished) == tasks:
                done.set()

        launcher = MesosLauncher(
            MesosSettings(master=fake.addresses[0], revive_interval_s=0.2), MemoryFrameworkIdStore()
        )
        await launcher.start(on_update)
        while not launcher.connected:
            await asyncio.sleep(0.01)
        spec = RunSpec(cpus=0.1, mem=32.0, disk=0.0, cmd="true")
        began = time.perf_counter()
        for n in range(tasks):
            task_id = f"bench-{n}"
            launched[task_id] = time.perf_counter()
            launcher.launch(task_id, spec)
        await asyncio.wait_for(done.wait(), 300)
        elapsed = time.perf_counter() - began
        ok = sum(1 for t in finished if t in running)
        to_running = [running[t] - launched[t] for t in running]
        to_finished = [finished[t] - launched[t] for t in finished]
        offer_to_launch = fake.master.launch_latencies_s
        await launcher.stop()
        await fake.stop()
    print(f"tasks {tasks} on {agents} agents: {ok} finished TASK_FINISHED in {elapsed:.2f} s")
    print(
        f"launch rate: {len(running) / (max(running.values()) - began):.0f} tasks/s reached RUNNING"
    )
    mean_ms = statistics.mean(offer_to_launch) * 1000
    print(
        f"offer-to-launch: p50 {_pct(offer_to_launch, 0.5):.1f} ms, "
        f"p99 {_pct(offer_to_launch, 0.99):.1f} ms "
        f"({len(offer_to_launch)} tasks, mean {mean_ms:.1f} ms)"
    )
    print(
        f"launch()-to-RUNNING: p50 {_pct(to_running, 0.5):.0f} ms, "
        f"p99 {_pct(to_running, 0.99):.0f} ms; "
        f"launch()-to-FINISHED: p50 {_pct(to_finished, 0.5):.0f} ms, "
        f"p99 {_pct(to_finished, 0.99):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=10)
    parser.add_argument("--allocation", type=float, default=0.1, help="fake allocation interval, s")
    args = parser.parse_args()
    asyncio.run(bench(args.tasks, args.agents, args.allocation))


if __name__ == "__main__":
    main()
