"""Clusters of real server processes on a real ZooKeeper."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.server import ServerProcess, wait

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.support.zookeeper import ZkServer

SESSION_TIMEOUT_S = 4.0


def instance(data_dir: Path, zk_hosts: str, zk_root: str, *extra_args: str) -> ServerProcess:
    """An instance of a cluster; when all share `data_dir`, the task sandboxes are shared and a
    new leader on this one machine can adopt the tasks of the old one."""
    return ServerProcess(
        data_dir,
        extra_args=[
            "--zk", f"zk://{zk_hosts}{zk_root}",
            "--zk-session-timeout", f"{SESSION_TIMEOUT_S}s",
            "--task-user", "root",  # the tests' tasks write into root's temp dirs
            *extra_args,
        ],
    )  # fmt: skip


@pytest.fixture
def cluster_of(tmp_path: Path) -> Iterator[Callable[..., list[ServerProcess]]]:
    started: list[ServerProcess] = []

    def make(zk: ZkServer | str, zk_root: str, size: int = 3) -> list[ServerProcess]:
        hosts = zk if isinstance(zk, str) else zk.hosts
        members = [instance(tmp_path / "data", hosts, zk_root) for _ in range(size)]
        for member in members:
            member.start()
            started.append(member)
        return members

    yield make
    for member in started:
        if member.process is not None and member.process.poll() is None:
            member.stop()


def leader_of(members: list[ServerProcess], timeout_s: float = 20.0) -> ServerProcess:
    """The member every live member names as leader, once they agree and it serves jobs."""

    def agreed() -> ServerProcess | None:
        live = [m for m in members if m.process is not None and m.process.poll() is None]
        named = set()
        for member in live:
            response = member.client.get("/leader", timeout_s=5)
            if response.status != 200:
                return None
            named.add(response.json()["leader"])
        if len(named) != 1:
            return None
        [address] = named
        leader = next((m for m in live if f"127.0.0.1:{m.port}" == address), None)
        serving = leader is not None and leader.client.get("/v1/jobs", timeout_s=5).status == 200
        return leader if serving else None

    return wait(agreed, timeout_s, interval_s=0.2)
