"""Three instances on one ZooKeeper: one leader, forwarding, fail-over, restarts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.ha.conftest import SESSION_TIMEOUT_S, leader_of
from tests.support.jobs import job_body, schedule_body
from tests.support.server import wait

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.server import ServerProcess
    from tests.support.zookeeper import ZkServer


def _finished(member: ServerProcess, job_id: str) -> dict[str, Any] | None:
    response = member.client.get(f"/v1/jobs/{job_id}?embed=history")
    if response.status != 200:
        return None
    history = response.json()["history"]
    return history if history["successCount"] + history["failureCount"] else None


def test_one_leader_and_every_endpoint_through_every_instance(
    cluster_of: Callable[..., list[ServerProcess]], zookeeper: ZkServer, zk_root: str
) -> None:
    members = cluster_of(zookeeper, zk_root)
    leader = leader_of(members)
    followers = [m for m in members if m is not leader]
    a, b = followers
    assert a.client.post("/v1/jobs", job_body("via-a", cmd="exit 0")).status == 201
    assert b.client.get("/v1/jobs/via-a").json()["id"] == "via-a"
    assert leader.client.get("/v1/jobs/via-a").status == 200
    assert b.client.post("/v1/jobs/via-a/schedules", schedule_body("s1")).status == 201
    assert a.client.get("/v1/jobs/via-a/schedules/s1").json()["cron"] == "20 0 * * *"
    assert a.client.put("/v1/jobs/via-a", job_body("via-a", cmd="true")).status == 200
    assert b.client.post("/v1/jobs/via-a/runs").status == 201
    assert wait(lambda: _finished(a, "via-a"), 15)["successCount"] == 1
    forwarded = a.client.get("/v1/jobs/via-a")
    assert forwarded.headers["X-LEADER"] == f"127.0.0.1:{leader.port}"
    assert forwarded.headers["X-VIA"] == f"127.0.0.1:{a.port}"
    assert forwarded.headers["Content-Type"] == "application/json"
    for member in members:
        assert member.client.get("/ping").body == b"pong"
        assert member.client.get("/v1/metrics").status == 200
        assert member.client.get("/info").status == 200
        assert member.client.get("/v1/queue").json() == []
        assert member.client.get("/v1/jobs/missing").status == 404
    for follower in followers:  # answered by the follower itself, not forwarded
        named = follower.client.get("/leader")
        assert named.json() == {"leader": f"127.0.0.1:{leader.port}"}
        assert "X-VIA" not in named.headers
    looped = a.client.get("/v1/jobs", headers={"X-VIA": "somewhere:1"})
    assert looped.status == 400
    assert looped.text == "Prevent proxying already proxied request"
    assert b.client.delete("/v1/jobs/via-a").status == 200
    assert a.client.get("/v1/jobs/via-a").status == 404


def test_killed_leader_is_replaced_and_no_run_is_lost_or_doubled(
    cluster_of: Callable[..., list[ServerProcess]], zookeeper: ZkServer, zk_root: str, tmp_path: Any
) -> None:
    members = cluster_of(zookeeper, zk_root)
    leader = leader_of(members)
    launches = tmp_path / "launches"
    body = job_body("long", cmd=f"echo $MESOS_TASK_ID >> {launches}; sleep 6")
    assert leader.client.post("/v1/jobs", body).status == 201
    run_ids = {leader.client.post("/v1/jobs/long/runs").json()["id"] for _ in range(2)}
    wait(lambda: launches.exists() and len(launches.read_text().split()) == 2, 10)
    leader.kill9()
    killed_at = time.monotonic()
    survivors = [m for m in members if m is not leader]
    for survivor in survivors:  # within the session timeout they still name the dead leader
        assert survivor.client.get("/leader").status == 200  # not a 502 from forwarding
    new_leader = leader_of(survivors, timeout_s=SESSION_TIMEOUT_S + 10)
    runs = wait(lambda: (r := new_leader.client.get("/v1/jobs/long/runs")).status == 200 and r, 10)
    assert time.monotonic() - killed_at <= SESSION_TIMEOUT_S + 5  # leading and serving
    active = {run["id"] for run in runs.json()}
    assert active <= run_ids
    history = wait(
        lambda: (h := _finished(new_leader, "long")) and h["successCount"] == 2 and h, 20
    )
    finished = {run["id"] for run in history["successfulFinishedRuns"]}
    assert finished == run_ids  # both runs accounted for, both succeeded
    assert len(launches.read_text().split()) == 2  # adopted, never launched again


def test_whole_cluster_restart_keeps_state(
    cluster_of: Callable[..., list[ServerProcess]], zookeeper: ZkServer, zk_root: str
) -> None:
    members = cluster_of(zookeeper, zk_root)
    leader = leader_of(members)
    body = {**job_body("kept"), "schedules": [schedule_body("nightly")]}
    assert leader.client.post("/v1/jobs", body).status == 201
    for member in members:
        member.kill9()
    for member in members:
        member.start()
    leader = leader_of(members)
    job = leader.client.get("/v1/jobs/kept?embed=schedules").json()
    assert [s["id"] for s in job["schedules"]] == ["nightly"]


def test_zookeeper_down_at_start_then_up(
    cluster_of: Callable[..., list[ServerProcess]], own_zookeeper: ZkServer, zk_root: str
) -> None:
    own_zookeeper.stop()
    [member] = cluster_of(own_zookeeper.hosts, zk_root, size=1)
    assert member.client.get("/ping").status == 200
    refused = member.client.get("/v1/jobs")
    assert refused.status == 503
    assert "ZooKeeper" in refused.text
    own_zookeeper.start()
    wait(lambda: member.client.get("/v1/jobs").status == 200, 30, interval_s=0.2)
    assert member.client.post("/v1/jobs", job_body("after")).status == 201


def test_zookeeper_restart_while_serving(
    cluster_of: Callable[..., list[ServerProcess]], own_zookeeper: ZkServer, zk_root: str
) -> None:
    [member] = cluster_of(own_zookeeper, zk_root, size=1)
    leader_of([member])
    assert member.client.post("/v1/jobs", job_body("before")).status == 201
    own_zookeeper.stop()
    wait(lambda: member.client.get("/v1/jobs").status == 503, SESSION_TIMEOUT_S + 5, interval_s=0.2)
    assert member.client.get("/ping").status == 200
    own_zookeeper.start()
    wait(lambda: member.client.get("/v1/jobs/before").status == 200, 30, interval_s=0.2)
    assert member.client.post("/v1/jobs", job_body("after")).status == 201


def test_leader_cut_off_from_the_quorum_stops_serving(
    cluster_of: Callable[..., list[ServerProcess]], zk_ensemble: Any, zk_root: str
) -> None:
    [member] = cluster_of(zk_ensemble.hosts, zk_root, size=1)
    leader_of([member], timeout_s=30)
    assert member.client.post("/v1/jobs", job_body("q")).status == 201
    for node in zk_ensemble.members[1:]:
        node.kill()
    started = time.monotonic()
    wait(lambda: member.client.get("/v1/jobs").status == 503, SESSION_TIMEOUT_S + 5, interval_s=0.2)
    assert time.monotonic() - started <= SESSION_TIMEOUT_S + 2
    assert member.client.post("/v1/jobs/q/runs").status == 503  # nothing launches any more
