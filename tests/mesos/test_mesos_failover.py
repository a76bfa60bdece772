"""Restarts, failovers and failures: the framework id is reused, tasks are adopted, never
relaunched."""

from __future__ import annotations

from metronome.fakemesos import AgentSpec
from metronome.launch import MemoryFrameworkIdStore
from metronome.model import TaskStatus
from tests.launch.conftest import spec, wait_until
from tests.mesos.conftest import pids_of

S = TaskStatus


async def test_a_restarted_scheduler_fails_over_and_adopts_its_running_task(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids)
    first.launch("long", spec(cmd="sleep 30"))
    await wait_until(lambda: pids_of(fake, "long"))
    framework_id = first.framework_id
    await first.stop()

    second, updates = await make_launcher(fake, ids)
    # The run actor does not know whether its launch got through: it launches again, and reconciles.
    second.launch("long", spec(cmd="sleep 30"))
    second.reconcile(["long"])
    await updates.reached("long", S.TASK_RUNNING)
    assert second.framework_id == framework_id
    assert len(fake.master.launch_latencies_s) == 1  # launched once, by the first instance
    assert second.queued() == []
    second.kill("long")
    assert (await updates.final("long")).status is S.TASK_KILLED


async def test_updates_sent_while_the_scheduler_was_down_arrive_after_it_returns(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids)
    first.launch("short", spec(cmd="sleep 0.3"))
    await wait_until(lambda: pids_of(fake, "short"))
    await first.stop()
    await wait_until(lambda: all(t.released for t in fake.master.all_tasks()))

    second, updates = await make_launcher(fake, ids)
    second.reconcile(["short", "never-launched"])
    final = await updates.final("short")
    assert (final.status, final.exit_code) == (S.TASK_FINISHED, 0)
    await wait_until(lambda: updates.of("never-launched"))
    assert updates.statuses("never-launched") == [S.TASK_LOST]


async def test_a_new_task_under_a_reused_framework_id_launches_once_checked(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids)
    await wait_until(lambda: first.connected)
    await first.stop()
    second, updates = await make_launcher(fake, ids)
    second.launch("fresh", spec(cmd="true"))
    assert (await updates.final("fresh")).status is S.TASK_FINISHED
    assert updates.statuses("fresh")[0] is S.TASK_STAGING


async def test_agent_loss_reports_running_tasks_lost(make_fake, make_launcher) -> None:
    fake = await make_fake([AgentSpec("only")])
    launcher, updates = await make_launcher(fake)
    launcher.launch("doomed", spec(cmd="sleep 30"))
    await updates.reached("doomed", S.TASK_RUNNING)
    (agent_id,) = fake.master.agents
    fake.master.remove_agent(agent_id)
    await updates.reached("doomed", S.TASK_LOST, timeout=3)
    assert "REASON_AGENT_REMOVED" in (updates.of("doomed")[-1].message or "")


async def test_master_failover_redirects_and_the_task_carries_on(make_fake, make_launcher) -> None:
    fake = await make_fake(masters=2)
    launcher, updates = await make_launcher(fake)
    launcher.launch("across", spec(cmd="sleep 0.8"))
    await updates.reached("across", S.TASK_RUNNING)
    framework_id = launcher.framework_id
    fake.failover(leader=1)  # the first master now answers 307 to the second
    await wait_until(lambda: launcher.connected and fake.master.frameworks)
    assert launcher.framework_id == framework_id
    assert (await updates.final("across", timeout=5)).status is S.TASK_FINISHED
    launcher.launch("after", spec(cmd="true"))
    assert (await updates.final("after")).status is S.TASK_FINISHED


async def test_unacknowledged_updates_are_resent_and_delivered_once(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    fake.master.drop_acks = 3  # the master "loses" the first three acknowledgements
    launcher, updates = await make_launcher(fake)
    launcher.launch("dup", spec(cmd="true"))
    await updates.final("dup", timeout=5)
    await wait_until(lambda: not fake.master.all_tasks(), timeout=5)  # all acknowledged at last
    assert fake.master.drop_acks == 0
    assert updates.statuses("dup") == [
        S.TASK_STAGING,
        S.TASK_STARTING,
        S.TASK_RUNNING,
        S.TASK_FINISHED,
    ]


async def test_the_watchdog_resubscribes_when_the_master_goes_silent(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    launcher, _ = await make_launcher(fake, heartbeat_misses=2)
    await wait_until(lambda: launcher.connected)
    framework = fake.master.frameworks[launcher.framework_id]
    assert framework.connection is not None
    framework.connection.muted = True  # a half-open connection: nothing arrives any more
    await wait_until(lambda: fake.master.subscribe_count == 2, timeout=3)
    await wait_until(lambda: launcher.connected)
    assert list(fake.master.frameworks) == [launcher.framework_id]


async def test_a_removed_framework_is_replaced_by_a_new_one(make_fake, make_launcher) -> None:
    fake = await make_fake()
    ids = MemoryFrameworkIdStore()
    first, _ = await make_launcher(fake, ids, failover_timeout_s=0.0)
    await wait_until(lambda: first.connected)
    old = first.framework_id
    await first.stop()  # a failover timeout of 0: the master removes the framework at once
    await wait_until(lambda: old in fake.master.removed)
    second, updates = await make_launcher(fake, ids)
    await wait_until(lambda: second.connected)
    assert second.framework_id not in (None, old)
    assert ids.framework_id == second.framework_id
    second.launch("anew", spec(cmd="true"))
    assert (await updates.final("anew")).status is S.TASK_FINISHED
