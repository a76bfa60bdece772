"""Running, failing and killing tasks through MesosLauncher against the fake master."""

from __future__ import annotations

from metronome.fakemesos import AgentSpec
from metronome.model import Artifact, Constraint, ConstraintOperator, Docker, TaskStatus
from tests.launch.conftest import spec, wait_until
from tests.mesos.conftest import alive, pids_of

S = TaskStatus


async def test_a_task_runs_to_finished_and_every_update_is_acknowledged(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    launcher.launch("t1", spec(cmd='echo hello; test -n "$MESOS_SANDBOX"'))
    final = await updates.final("t1")
    assert updates.statuses("t1") == [
        S.TASK_STAGING,
        S.TASK_STARTING,
        S.TASK_RUNNING,
        S.TASK_FINISHED,
    ]
    assert (final.exit_code, final.message) == (0, "Command exited with status 0")
    # The terminal update was acknowledged, so the master forgot the task.
    await wait_until(lambda: not fake.master.all_tasks())
    sandbox = fake.master.settings.sandbox_root / launcher.framework_id / "t1"
    assert (sandbox / "stdout").read_text() == "hello\n"


async def test_a_non_zero_exit_fails_with_its_exit_code(make_fake, make_launcher) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    launcher.launch("t3", spec(cmd="exit 3"))
    final = await updates.final("t3")
    assert (final.status, final.exit_code) == (S.TASK_FAILED, 3)


async def test_args_env_and_artifacts_reach_the_task(make_fake, make_launcher, tmp_path) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    script = tmp_path / "hello.sh"
    script.write_text('#!/bin/sh\necho "$GREETING $1" "$HOST"\n')
    artifact = Artifact(str(script), executable=True)
    launcher.launch(
        "a1", spec(args=("./hello.sh", "world"), env={"GREETING": "hi"}, artifacts=(artifact,))
    )
    assert (await updates.final("a1")).status is S.TASK_FINISHED
    (task_host,) = {a.hostname for a in fake.master.agents.values()} & {
        (fake.master.settings.sandbox_root / launcher.framework_id / "a1" / "stdout")
        .read_text()
        .split()[-1]
    }
    stdout = (
        fake.master.settings.sandbox_root / launcher.framework_id / "a1" / "stdout"
    ).read_text()
    assert stdout == f"hi world {task_host}\n"


async def test_kill_ends_a_running_task_killed(make_fake, make_launcher) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    launcher.launch("k1", spec(cmd="sleep 30", task_kill_grace_period_s=1))
    await updates.reached("k1", S.TASK_RUNNING)
    (pid,) = pids_of(fake, "k1")
    launcher.kill("k1")
    final = await updates.final("k1")
    assert final.status is S.TASK_KILLED
    assert "signal" in (final.message or "")
    await wait_until(lambda: not alive(pid))


async def test_kill_of_a_queued_task_never_launches_it(make_fake, make_launcher) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    launcher.launch("q1", spec(cmd="true", cpus=100.0))
    await wait_until(lambda: launcher.queued() == ["q1"])
    launcher.kill("q1")
    assert (await updates.final("q1")).status is S.TASK_KILLED
    assert launcher.queued() == []
    assert fake.master.launch_latencies_s == []


async def test_constraints_choose_the_agent(make_fake, make_launcher) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    rack = Constraint("rack", ConstraintOperator.IS, "rack-2")
    host = Constraint("hostname", ConstraintOperator.LIKE, "agent-[01]")
    not1 = Constraint("hostname", ConstraintOperator.UNLIKE, "agent-1")
    launcher.launch("c1", spec(cmd="sleep 5", constraints=(rack,)))
    launcher.launch("c2", spec(cmd="sleep 5", constraints=(host, not1)))
    for task_id in ("c1", "c2"):
        await updates.reached(task_id, S.TASK_RUNNING)
    hosts = {t.id: fake.master.agents[t.agent_id].hostname for t in fake.master.all_tasks()}
    assert hosts == {"c1": "agent-2", "c2": "agent-0"}


async def test_a_task_no_agent_satisfies_waits_while_others_run(make_fake, make_launcher) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    nowhere = Constraint("rack", ConstraintOperator.IS, "rack-9")
    launcher.launch("never", spec(cmd="true", constraints=(nowhere,)))
    launcher.launch("other", spec(cmd="true"))
    assert (await updates.final("other")).status is S.TASK_FINISHED
    assert launcher.queued() == ["never"]
    assert updates.statuses("never") == []


async def test_too_few_resources_wait_until_resources_free_up(make_fake, make_launcher) -> None:
    fake = await make_fake([AgentSpec("small", cpus=1.0, mem=256.0)])
    launcher, updates = await make_launcher(fake)
    launcher.launch("big1", spec(cmd="sleep 0.5", cpus=1.0))
    launcher.launch("big2", spec(cmd="true", cpus=1.0))
    await updates.reached("big1", S.TASK_RUNNING)
    assert launcher.queued() == ["big2"]
    big1_end = await updates.final("big1")
    assert (await updates.final("big2")).status is S.TASK_FINISHED
    assert updates.of("big2")[0].timestamp >= big1_end.timestamp  # staged only once big1 ended


async def test_offers_are_suppressed_when_idle_and_revived_for_new_tasks(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    await wait_until(lambda: launcher.connected)
    framework = fake.master.frameworks[launcher.framework_id]
    await wait_until(lambda: framework.suppressed == {"*"})
    launcher.launch("r1", spec(cmd="true"))
    assert (await updates.final("r1")).status is S.TASK_FINISHED
    await wait_until(lambda: framework.suppressed == {"*"})


async def test_a_docker_image_becomes_a_docker_container(make_fake, make_launcher) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    launcher.launch("d1", spec(cmd="true", docker=Docker("busybox:1")))
    final = await updates.final("d1")
    # The fake agents have no container runtime: the launch fails as one without Docker would.
    assert final.status is S.TASK_FAILED
    assert "REASON_CONTAINER_LAUNCH_FAILED" in (final.message or "")


async def test_a_spec_without_a_command_fails_at_once(make_fake, make_launcher) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake)
    launcher.launch("n1", spec())
    final = await updates.final("n1")
    assert final.status is S.TASK_FAILED
    assert "neither cmd nor args" in (final.message or "")


async def test_waiting_tasks_revive_once_and_decline_for_longer_each_round(
    make_fake, make_launcher
) -> None:
    fake = await make_fake()
    launcher, updates = await make_launcher(fake, decline_first_s=0.02, decline_offer_s=0.32)
    await wait_until(lambda: launcher.connected)
    framework = fake.master.frameworks[launcher.framework_id]
    await wait_until(lambda: framework.suppressed == {"*"} and not fake.master.offers)  # idle
    before = len(fake.master.decline_filters)
    launcher.launch("huge", spec(cmd="true", cpus=100.0))  # fits no agent, ever
    await wait_until(lambda: len(fake.master.decline_filters) >= before + 8, timeout=5)
    assert fake.master.calls["REVIVE"] == 1  # for the new demand, not after each round
    filters = fake.master.decline_filters[before : before + 8]
    assert filters[:5] == [0.02, 0.04, 0.08, 0.16, 0.32]
    assert set(filters[5:]) == {0.32}
    launcher.launch("small", spec(cmd="true"))  # demand grew: REVIVE, filters start again
    assert (await updates.final("small")).status is S.TASK_FINISHED
    assert fake.master.calls["REVIVE"] == 2


async def test_disk_comes_from_the_root_disk_or_a_whole_mount_never_a_volume(
    make_fake, make_launcher
) -> None:
    agents = [
        AgentSpec("mounted", disk=64.0, mounts={"/mnt/data": 1000.0}),
        AgentSpec("volumed", disk=64.0, volumes={"pv-1": 5000.0}),
    ]
    fake = await make_fake(agents)
    launcher, updates = await make_launcher(fake, decline_first_s=0.05)
    launcher.launch("big", spec(cmd="true", disk=500.0))
    final = await updates.final("big")
    assert final.status is S.TASK_FINISHED, final.message
    launcher.launch("bigger", spec(cmd="true", disk=2000.0))  # fits only in part of the volume
    await wait_until(lambda: launcher.queued() == ["bigger"])
    declined = len(fake.master.decline_filters)
    await wait_until(lambda: len(fake.master.decline_filters) >= declined + 2)  # offered, refused
    assert launcher.queued() == ["bigger"]
    assert updates.of("bigger") == []


async def test_remote_regions_only_for_region_constraints_and_gpu_agents_never(
    make_fake, make_launcher
) -> None:
    agents = [
        AgentSpec("home", region="east"),
        AgentSpec("away", region="west"),
        AgentSpec("gpu", region="east", gpus=2.0),
    ]
    fake = await make_fake(agents, region="east")
    launcher, updates = await make_launcher(fake)
    west = Constraint("@region", ConstraintOperator.IS, "west")
    launcher.launch("remote", spec(cmd="sleep 0.5", constraints=(west,)))
    for n in range(4):
        launcher.launch(f"local{n}", spec(cmd="sleep 0.5"))
    await wait_until(lambda: len(fake.master.launch_latencies_s) == 5)
    hosts = {t.id: fake.master.agents[t.agent_id].hostname for t in fake.master.all_tasks()}
    assert hosts == {"remote": "away", **{f"local{n}": "home" for n in range(4)}}
    assert (await updates.final("remote")).status is S.TASK_FINISHED
