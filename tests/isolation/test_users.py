"""Who a task runs as: under a root server never root unless the operator says so."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from metronome.launch import TaskPolicy, _cgroups
from metronome.model import Docker, TaskStatus
from tests.isolation.conftest import ended, needs_root
from tests.launch.conftest import spec
from tests.support.jobs import job_body
from tests.support.server import ServerProcess, wait

if TYPE_CHECKING:
    from pathlib import Path

S = TaskStatus


@needs_root
async def test_a_task_without_user_runs_as_the_unprivileged_default(
    make_launcher, sandbox_root: Path
) -> None:
    launcher, updates = await make_launcher()
    launcher.launch("n1", spec(cmd="id -un; id -u"))
    assert (await updates.final("n1")).status is S.TASK_FINISHED
    assert (sandbox_root / "n1" / "stdout").read_text().split()[0] == "nobody"


@needs_root
async def test_task_user_sets_the_default(make_launcher, sandbox_root: Path) -> None:
    launcher, updates = await make_launcher(policy=TaskPolicy(task_user="daemon"))
    launcher.launch("n2", spec(cmd="id -un"))
    assert (await updates.final("n2")).status is S.TASK_FINISHED
    assert (sandbox_root / "n2" / "stdout").read_text() == "daemon\n"


@needs_root
async def test_root_is_refused_unless_listed(make_launcher, sandbox_root: Path) -> None:
    # A job stored before the operator tightened the policy: its run fails, naming the rule.
    launcher, updates = await make_launcher()
    launcher.launch("r1", spec(cmd="id -u", user="root"))
    final = await updates.final("r1")
    assert final.status is S.TASK_FAILED
    assert final.message == (
        "refused by this server's task policy at /run/user: user 'root' may not run tasks "
        "here; allowed: nobody (--task-users)"
    )
    listed, listed_updates = await make_launcher(policy=TaskPolicy(task_users=frozenset({"root"})))
    listed.launch("r2", spec(cmd="id -u", user="root"))
    assert (await listed_updates.final("r2")).status is S.TASK_FINISHED
    assert (sandbox_root / "r2" / "stdout").read_text() == "0\n"


async def test_docker_options_need_the_operator(make_launcher) -> None:
    launcher, updates = await make_launcher()
    docker = Docker("busybox:1.36", privileged=True)
    launcher.launch("d1", spec(cmd="true", docker=docker))
    final = await updates.final("d1")
    assert final.status is S.TASK_FAILED
    assert "/run/docker/privileged" in (final.message or "")


def test_the_api_refuses_what_the_policy_does(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        client = server.client
        body = job_body("as.root", user="root")
        refused = client.post("/v1/jobs", body)
        assert refused.status == 422, refused.text
        assert refused.json()["details"] == [
            {
                "path": "/run/user",
                "errors": ["user 'root' may not run tasks here; allowed: nobody (--task-users)"],
            }
        ]
        assert client.get("/v1/jobs/as.root").status == 404
        assert client.put("/v1/jobs/as.root", body).status == 422
        assert client.post("/v1/jobs", job_body("as.nobody", user="nobody")).status == 201
        docker = {
            "image": "busybox",
            "privileged": True,
            "parameters": [{"key": "pid", "value": "host"}],
        }
        refused = client.post("/v1/jobs", job_body("privileged", docker=docker))
        assert refused.status == 422
        assert [d["path"] for d in refused.json()["details"]] == [
            "/run/docker/privileged",
            "/run/docker/parameters(0)/key",
        ]
        # What confines tasks is told by gauges (/info's keys stay those clients decode).
        gauges = client.get("/v1/metrics").json()["gauges"]
        isolation = {
            name.partition(".isolation.")[2].partition(".")[0]: gauge["value"]
            for name, gauge in gauges.items()
            if ".isolation." in name
        }
        cgroups, _ = _cgroups.detect()
        assert isolation == {
            "cgroups": cgroups.version if cgroups else 0,
            "users": os.geteuid() == 0,
        }
    finally:
        assert server.stop() == 0, server.log()


def test_the_operator_lists_users_and_docker_options(tmp_path: Path) -> None:
    args = ["--task-users", "root,daemon", "--docker-privileged", "true"]
    server = ServerProcess(tmp_path / "data", extra_args=[*args, "--docker-parameters", "pid"])
    server.start()
    try:
        client = server.client
        assert client.post("/v1/jobs", job_body("as.root", user="root")).status == 201
        assert client.post("/v1/jobs", job_body("as.daemon", user="daemon")).status == 201
        docker = {
            "image": "busybox",
            "privileged": True,
            "parameters": [{"key": "pid", "value": "host"}],
        }
        assert client.post("/v1/jobs", job_body("privileged", docker=docker)).status == 201
        refused = client.post("/v1/jobs", job_body("as.bin", user="bin"))
        assert refused.json()["details"][0]["errors"] == [
            "user 'bin' may not run tasks here; allowed: daemon, nobody, root (--task-users)"
        ]
    finally:
        assert server.stop() == 0, server.log()


@needs_root
def test_a_task_cannot_write_the_servers_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data).start()
    try:
        client = server.client
        body = job_body("vandal", cmd=f"echo junk >>{data}/metronome.db")
        assert client.post("/v1/jobs", body).status == 201
        assert client.post("/v1/jobs/vandal/runs").status == 201
        history = wait(lambda: ended(client, "vandal"), 15)
        assert history["failureCount"] == 1
        assert b"junk" not in (data / "metronome.db").read_bytes()
    finally:
        assert server.stop() == 0, server.log()
