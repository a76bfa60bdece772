"""Finding the leading Mesos master in ZooKeeper (`--master zk://host:2181/mesos`)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from kazoo.client import KazooClient
from kazoo.exceptions import KazooException

from metronome.launch._launcher import LaunchError
from metronome.launch._mesos_detect import zk_leader

if TYPE_CHECKING:
    from metronome.launch._mesos_detect import MasterDetector, ZkAddress

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


def zk_detector(address: ZkAddress) -> MasterDetector:
    """A detector that reads the masters' `json.info_*` nodes; [] while none can be read."""
    auth = [("digest", address.auth)] if address.auth else None
    client = KazooClient(hosts=address.hosts, auth_data=auth)
    connecting = threading.Lock()

    def read() -> list[str]:
        with connecting:
            if not client.connected:
                client.start(timeout=CONNECT_TIMEOUT_S)
        children = client.get_children(address.path)
        leader = zk_leader(children, lambda name: client.get(f"{address.path}/{name}")[0])
        return [leader] if leader else []

    async def detect() -> list[str]:
        try:
            return await asyncio.get_running_loop().run_in_executor(None, read)
        except (KazooException, LaunchError, client.handler.timeout_exception) as exc:
            logger.warning("Cannot read the Mesos masters from zk://%s%s: %r", address.hosts, address.path, exc)
            return []

    return detect
