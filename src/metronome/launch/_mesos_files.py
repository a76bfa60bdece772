"""Task output on Mesos: read from the agent that ran the task, through its files API
(`GET /files/read`), at the sandbox's virtual path
`/frameworks/<framework id>/executors/<executor id>/runs/latest` (a command task's executor has
the task's id). The agent keeps a sandbox until its own garbage collection removes it."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import aiohttp

from metronome.launch._output import OutputChunk, OutputUnavailable

if TYPE_CHECKING:
    from metronome.launch._output import OutputStream

logger = logging.getLogger(__name__)

_REMEMBERED_TASKS = 100_000  # which agent ran a task, for reading its output after it ended
_TIMEOUT = aiohttp.ClientTimeout(total=10)


class AgentFiles:
    """Where tasks ran (from offers and status updates), and reading their files there."""

    def __init__(self) -> None:
        self._agents: dict[str, str] = {}  # agent id -> http://host:port
        self._placed: OrderedDict[str, str] = OrderedDict()  # task id -> agent id
        self._session: aiohttp.ClientSession | None = None

    def offered(self, offer: dict[str, Any]) -> None:
        """Learn the agent's address from an offer's `url`."""
        url = offer.get("url", {})
        address = url.get("address", {})
        host, port = address.get("ip") or address.get("hostname"), address.get("port")
        if host and port:
            scheme = url.get("scheme", "http")
            self._agents[offer["agent_id"]["value"]] = f"{scheme}://{host}:{port}"

    def placed(self, task_id: str, agent_id: str) -> None:
        self._placed[task_id] = agent_id
        self._placed.move_to_end(task_id)
        while len(self._placed) > _REMEMBERED_TASKS:
            self._placed.popitem(last=False)

    async def read(
        self,
        framework_id: str | None,
        task_id: str,
        stream: OutputStream,
        offset: int,
        length: int,
    ) -> OutputChunk:
        """Up to `length` bytes of the task's `stream` from `offset`.

        Raises:
            OutputUnavailable: the agent is unknown or unreachable, or has no such sandbox.
        """
        agent_id = self._placed.get(task_id)
        base = self._agents.get(agent_id) if agent_id is not None else None
        if framework_id is None or agent_id is None or base is None:
            msg = f"Task '{task_id}': this scheduler does not know which Mesos agent ran it"
            raise OutputUnavailable(msg)
        path = f"/frameworks/{framework_id}/executors/{task_id}/runs/latest/{stream}"
        size = int((await self._get(base, task_id, path, -1, 0))["offset"])
        if length <= 0 or offset >= size:
            return OutputChunk(b"", size)
        answer = await self._get(base, task_id, path, offset, min(length, size - offset))
        return OutputChunk(str(answer["data"]).encode(), size)

    async def _get(
        self, base: str, task_id: str, path: str, offset: int, length: int
    ) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=_TIMEOUT)
        query = {"path": path, "offset": str(offset), "length": str(length)}
        try:
            async with self._session.get(f"{base}/files/read", params=query) as response:
                if response.status == 404:
                    msg = (
                        f"Task '{task_id}': the Mesos agent at {base} has no sandbox for it"
                        " (its garbage collection removed it, or the task never started)"
                    )
                    raise OutputUnavailable(msg)
                response.raise_for_status()
                body: dict[str, Any] = await response.json()
                return body
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
            logger.warning("cannot read %s from the Mesos agent at %s: %r", path, base, exc)
            msg = f"Task '{task_id}': the Mesos agent at {base} did not serve its output: {exc!r}"
            raise OutputUnavailable(msg) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
