"""Leader election on ZooKeeper (kazoo's lock recipe), with a fence for the store.

Each instance contends with a sequential ephemeral node under `<root>/leader`; the lowest leads.
The connection state is the leadership state: SUSPENDED or LOST deposes this instance at once
(it stops triggering and launching before another instance can be elected), CONNECTED lets it
contend again. While it leads, every store write carries a check that its election node still
exists, so a write from a deposed leader whose session expired can never land.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING, Any

from kazoo.exceptions import KazooException, NoNodeError
from kazoo.protocol.states import KazooState
from kazoo.recipe.watchers import ChildrenWatch

from metronome.ha._leadership import Leadership
from metronome.storage import Check

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from kazoo.client import KazooClient

logger = logging.getLogger(__name__)

ELECTION_NODE = "/leader"
"""The election's parent, relative to the store root."""
_RETRY_S = 1.0


class ZkLeadership(Leadership):
    """Leader election among the instances sharing a ZooKeeper root.

    Created before ZooKeeper is reachable (the process serves 503s meanwhile); `attach` hands it
    the store's connection once there is one, then `campaign` enters the election.
    """

    def __init__(self, identifier: str, root: str) -> None:
        self._identifier = identifier
        self._path = root.rstrip("/") + ELECTION_NODE
        self._client: KazooClient | None = None
        self._lock: Any = None
        self._leading = False
        self._node: str | None = None
        self._leader: str | None = None
        self._connected = threading.Event()
        self._deposed = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changes: asyncio.Queue[bool] | None = None

    def attach(self, client: KazooClient) -> None:
        self._client = client

    @property
    def is_leader(self) -> bool:
        return self._leading

    def leader(self) -> str | None:
        return self._leader if self._connected.is_set() else None

    @property
    def unavailable_reason(self) -> str | None:
        return None if self._connected.is_set() else "ZooKeeper is unreachable"

    def fence(self) -> Check | None:
        return Check(f"{ELECTION_NODE}/{self._node or 'not-leading'}", 0)

    async def campaign(
        self,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
    ) -> None:
        assert self._client is not None, "attach() a connection first"
        self._loop = asyncio.get_running_loop()
        self._changes = asyncio.Queue()
        self._client.add_listener(self._on_state)
        if self._client.connected:
            self._connected.set()
        self._follow = asyncio.create_task(self._follow_changes(on_elected, on_deposed))
        self._thread = threading.Thread(target=self._contend, name="election", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        self._stopped.set()
        self._deposed.set()
        if self._lock is not None:
            self._lock.cancel()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 10)
        if self._changes is not None:
            await self._changes.join()
            self._follow.cancel()

    async def _follow_changes(
        self,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
    ) -> None:
        """Run the hooks on the loop, one at a time, in the order the changes happened."""
        assert self._changes is not None
        while True:
            elected = await self._changes.get()
            try:
                await (on_elected() if elected else on_deposed())
            except Exception:
                logger.exception("Leadership hook failed; giving up this term")
                if elected:
                    self._deposed.set()
            finally:
                self._changes.task_done()

    def _announce(self, elected: bool) -> None:
        assert self._loop is not None and self._changes is not None
        self._loop.call_soon_threadsafe(self._changes.put_nowait, elected)

    def _contend(self) -> None:
        """Election thread: acquire the lock, hold it until deposed, repeat while not stopped."""
        client = self._client
        assert client is not None
        watching = False
        while not self._stopped.is_set():
            if not self._connected.wait(_RETRY_S):
                continue
            lock = self._lock = client.Lock(self._path, self._identifier)
            try:
                if not watching:
                    client.ensure_path(self._path)
                    ChildrenWatch(client, self._path, self._on_contenders)
                    watching = True
                acquired = lock.acquire()
            except KazooException as exc:
                logger.warning("Election attempt failed (%r); retrying", exc)
                self._stopped.wait(_RETRY_S)
                continue
            if acquired:
                self._hold(lock.node)

    def _hold(self, node: str) -> None:
        self._deposed.clear()
        self._node = node
        self._leading = True
        self._leader = self._identifier
        logger.info("Elected leader as %s (node %s)", self._identifier, node)
        self._announce(True)
        self._deposed.wait()
        self._leading = False
        self._node = None
        logger.warning("No longer the leader")
        self._announce(False)
        self._abandon(node)

    def _abandon(self, node: str) -> None:
        """Delete our election node before contending again: a session that survived a
        disconnection keeps it, and a new contender would wait behind it forever."""
        assert self._client is not None
        while self._connected.wait(_RETRY_S) or not self._stopped.is_set():
            try:
                self._client.delete(f"{self._path}/{node}")
                return
            except NoNodeError:
                return
            except KazooException:
                self._stopped.wait(_RETRY_S)

    def _on_contenders(self, _children: list[str]) -> bool:
        try:
            contenders = self._lock.contenders()
        except KazooException as exc:
            logger.debug("Cannot read the contenders: %r", exc)
            return not self._stopped.is_set()
        self._leader = contenders[0] if contenders else None
        return not self._stopped.is_set()

    def _on_state(self, state: KazooState) -> None:
        """Kazoo's connection thread: only flip flags here, never block."""
        if state == KazooState.CONNECTED:
            logger.info("ZooKeeper connected")
            self._connected.set()
            return
        logger.warning("ZooKeeper connection %s: deposing this instance", state)
        self._connected.clear()
        self._leading = False
        self._deposed.set()
