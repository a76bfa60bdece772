"""Following a run's output through a follower: the leader's stream is relayed as it comes."""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING

from tests.ha.conftest import cluster_of as cluster_of  # the fixture
from tests.ha.conftest import leader_of
from tests.http.test_logs import _finished, _run

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.server import ServerProcess
    from tests.support.zookeeper import ZkServer


def test_a_follower_relays_the_output_while_the_task_runs(
    cluster_of: Callable[..., list[ServerProcess]], zookeeper: ZkServer, zk_root: str
) -> None:
    members = cluster_of(zookeeper, zk_root, size=2)
    leader = leader_of(members)
    [follower] = [m for m in members if m is not leader]
    run_id = _run(follower.client, "relayed", "echo first; sleep 2; echo second")
    conn = http.client.HTTPConnection("127.0.0.1", follower.port, timeout=20)
    try:
        conn.request("GET", f"/v1/jobs/relayed/runs/{run_id}/logs/stdout?follow=true")
        response = conn.getresponse()
        assert (response.status, response.headers["X-VIA"]) == (200, f"127.0.0.1:{follower.port}")
        first = response.read1()
        while b"first" not in first:
            first += response.read1()
        assert first == b"first\n"  # relayed before the task ended
        assert _finished(leader.client, "relayed", run_id) is None
        assert response.read() == b"second\n"
    finally:
        conn.close()
