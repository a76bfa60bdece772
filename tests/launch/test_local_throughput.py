"""A quick measure of launch throughput: many short tasks at once."""

from __future__ import annotations

import logging
import time

from metronome.model import TaskStatus
from tests.launch.conftest import FINAL, spec, wait_until

logger = logging.getLogger(__name__)
TASKS = 200


async def test_200_true_tasks_finish_at_over_100_per_second(make_launcher) -> None:
    launcher, updates = await make_launcher()
    began = time.monotonic()
    for i in range(TASKS):
        launcher.launch(f"t{i}", spec(cmd="true"))
    await wait_until(lambda: sum(u.status in FINAL for u in updates.all) == TASKS, timeout=10)
    elapsed_s = time.monotonic() - began
    rate = TASKS / elapsed_s
    print(f"{TASKS} tasks finished in {elapsed_s:.2f} s: {rate:.0f} tasks/s")
    assert all(u.status is not TaskStatus.TASK_FAILED for u in updates.all)
    # The target: 1,000 runs of `true` within 10 s on 2 cores.
    assert rate > 100
