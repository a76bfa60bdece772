"""Task states as Mesos defines them: only what runs nowhere is launched again, under a new id."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

from metronome.launch import MemoryFrameworkIdStore
from metronome.launch._mesos_tasks import job_and_run, logical_id, relaunch_id
from metronome.model import TaskStatus
from tests.launch.conftest import spec, wait_until
from tests.mesos.conftest import alive, pids_of

if TYPE_CHECKING:
    from metronome.fakemesos import FakeMesos

S = TaskStatus


async def _reused_framework(make_fake: Any, make_launcher: Any) -> tuple[FakeMesos, Any]:
    """A fake cluster and the id store of a framework that has subscribed once already."""
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids)
    await wait_until(lambda: first.connected)
    await first.stop()
    return fake, ids


async def test_a_launch_lost_in_a_partition_runs_again_under_a_new_id(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids)
    first.launch("t", spec(cmd="sleep 30"))
    await wait_until(lambda: pids_of(fake, "t"))
    (launched,) = fake.master.all_tasks()
    await first.stop()  # ... before it could record that "t" was launched
    fake.master.remove_agent(launched.agent_id)  # unreachable: unlisted, its id not reusable

    second, updates = await make_launcher(fake, ids)
    second.launch("t", spec(cmd="true"))  # the run actor launches what it never saw launched
    final = await updates.final("t")
    assert final.status is S.TASK_FINISHED, final.message
    assert S.TASK_FAILED not in updates.statuses("t")
    assert len(fake.master.launch_latencies_s) == 2  # launched again, not refused as a reuse


async def test_a_relaunch_by_an_earlier_instance_is_followed_not_launched_again(
    make_fake, make_launcher
) -> None:
    fake, ids = await _reused_framework(make_fake, make_launcher)
    earlier, _ = await make_launcher(fake, ids)
    earlier.launch("t", spec(cmd="sleep 30"))  # unknown to the master: launched as a new id
    await wait_until(lambda: [t.id for t in fake.master.all_tasks() if t.process is not None])
    (launched,) = fake.master.all_tasks()
    assert launched.id.startswith("t.r")
    await earlier.stop()

    later, updates = await make_launcher(fake, ids)
    later.launch("t", spec(cmd="sleep 30"))
    await updates.reached("t", S.TASK_RUNNING)
    assert len(fake.master.launch_latencies_s) == 1
    later.kill("t")
    assert (await updates.final("t")).status is S.TASK_KILLED
    assert launched.killing  # the kill went to the id it runs under


def test_a_relaunch_id_names_its_task_job_and_run() -> None:
    task_id = "a_b_20240101000000Ab3dE.0c1d"
    again = relaunch_id(task_id)
    assert again != relaunch_id(task_id)
    assert logical_id(again) == logical_id(task_id) == task_id
    assert job_and_run(again) == job_and_run(task_id) == ("a.b", "20240101000000Ab3dE")
    assert logical_id("t.rx") == "t.rx"


async def test_unanswered_reconciliation_is_retried_with_truncated_exponential_backoff(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    fake.master.recovering_until = time.monotonic() + 60  # agents re-registering: no answers
    launcher, updates = await make_launcher(fake, reconcile_retry_s=0.1, reconcile_retry_max_s=0.8)
    await wait_until(lambda: launcher.connected)
    launcher.reconcile(["ghost"])

    def asks() -> list[float]:
        return [at for at, ids in fake.master.reconciles if "ghost" in ids]

    await wait_until(lambda: len(asks()) >= 6, timeout=6)
    at = asks()
    gaps = [b - a for a, b in itertools.pairwise(at)][:5]  # about 0.1, 0.2, 0.4, 0.8, 0.8
    assert gaps[0] < gaps[2] and gaps[1] < gaps[3], gaps
    assert 0.7 <= gaps[3] <= 1.2 and 0.7 <= gaps[4] <= 1.2, gaps
    assert updates.of("ghost") == []


async def test_a_launch_that_was_replaced_is_killed_when_its_agent_returns(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids)
    first.launch("t", spec(cmd="sleep 30"))
    await wait_until(lambda: pids_of(fake, "t"))
    ((old_pid,),) = [pids_of(fake, "t")]
    (launched,) = fake.master.all_tasks()
    await first.stop()
    fake.master.remove_agent(launched.agent_id, cut_off=True)  # it runs on, out of reach

    second, updates = await make_launcher(fake, ids)
    second.launch("t", spec(cmd="sleep 30"))
    await updates.reached("t", S.TASK_RUNNING)  # the relaunch, elsewhere
    (relaunch,) = [t for t in fake.master.all_tasks() if t.id != "t"]
    fake.master.restore_agent(launched.agent_id)
    # The master reports the old launch running: it must not run, it is killed.
    await wait_until(lambda: not alive(old_pid), timeout=5)
    assert relaunch.process is not None and alive(relaunch.process.pid)
    assert S.TASK_KILLED not in updates.statuses("t")  # the run's task runs on
