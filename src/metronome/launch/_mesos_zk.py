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
    from metronome.launch._mesos_detect import ZkAddress

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 10.0


class ZkMasterDetector:
    """A `MasterDetector` that reads the masters' `json.info_*` nodes; [] while none can be read.

    Owns its ZooKeeper connection (the masters' ensemble may not be ours): `close` it.
    """

    def __init__(self, address: ZkAddress) -> None:
        self._address = address
        auth = [("digest", address.auth)] if address.auth else None
        self._client = KazooClient(hosts=address.hosts, auth_data=auth)
        self._connecting = threading.Lock()

    async def __call__(self) -> list[str]:
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self._read)
        except (KazooException, LaunchError, self._client.handler.timeout_exception) as exc:
            address = self._address
            logger.warning(
                "Cannot read the Mesos masters from zk://%s%s: %r", address.hosts, address.path, exc
            )
            return []

    def close(self) -> None:
        self._client.stop()
        self._client.close()

    def _read(self) -> list[str]:
        client, path = self._client, self._address.path
        with self._connecting:
            if not client.connected:
                try:
                    client.start(timeout=CONNECT_TIMEOUT_S)
                except client.handler.timeout_exception:
                    client.stop()  # or kazoo keeps reconnecting in the background
                    raise
        leader = zk_leader(client.get_children(path), lambda name: client.get(f"{path}/{name}")[0])
        return [leader] if leader else []
