"""Finding the leading Mesos master in a real ZooKeeper."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from kazoo.client import KazooClient

from metronome.launch import ZkAddress, ZkMasterDetector

if TYPE_CHECKING:
    from tests.support.zookeeper import ZkServer


async def test_the_lowest_json_info_node_is_the_leader(zookeeper: ZkServer, zk_root: str) -> None:
    client = KazooClient(hosts=zookeeper.hosts)
    client.start(timeout=10)
    try:
        path = f"{zk_root}/mesos"
        detect = ZkMasterDetector(ZkAddress(zookeeper.hosts, path))
        client.ensure_path(path)
        assert await detect() == []
        for port in (5051, 5050):
            info = {"address": {"ip": "10.0.0.1", "port": port}, "hostname": "m"}
            client.create(f"{path}/json.info_", json.dumps(info).encode(), sequence=True)
        client.create(f"{path}/log_replicas", b"")
        assert await detect() == ["10.0.0.1:5051"]
        detect.close()
    finally:
        client.stop()
        client.close()


async def test_unreachable_zookeeper_yields_no_master() -> None:
    detect = ZkMasterDetector(ZkAddress("127.0.0.1:1", "/mesos"))
    assert await detect() == []
    detect.close()
