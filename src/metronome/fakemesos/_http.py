"""The fake masters' HTTP side: `/api/v1/scheduler` with Mesos's checks, streams, redirects.

Several endpoints share one `Master`; only the leader's serves, the others redirect (§8.2).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from metronome.fakemesos._files import serve_agent_files
from metronome.fakemesos._master import CallError, Master
from metronome.fakemesos._state import WHOLE, domain_info
from metronome.launch._mesos_recordio import encode

if TYPE_CHECKING:
    import ssl

    from metronome.fakemesos._state import Connection, Settings

logger = logging.getLogger(__name__)

PATH = "/api/v1/scheduler"
_JSON = "application/json"
_TICK_S = 0.05
_ID_KEYS = ("framework_id", "task_id", "agent_id", "executor_id", "offer_id", "id")
_SUB_MESSAGES = (
    "ACCEPT",
    "DECLINE",
    "KILL",
    "ACKNOWLEDGE",
    "RECONCILE",
    "SHUTDOWN",
    "MESSAGE",
    "REQUEST",
)


@dataclass
class AgentSpec:
    """One simulated agent: hostname, resources (MB for mem and disk), attributes."""

    hostname: str
    cpus: float = 4.0
    mem: float = 8192.0
    disk: float = 65536.0
    attributes: dict[str, str | float] = field(default_factory=dict)
    mounts: dict[str, float] = field(default_factory=dict)
    """MOUNT disks: root path -> MB."""
    volumes: dict[str, float] = field(default_factory=dict)
    """Persistent volumes: persistence id -> MB."""
    gpus: float = 0.0
    """An agent with GPUs is offered only to GPU_RESOURCES frameworks."""
    region: str | None = None
    zone: str | None = None

    def resources(self) -> dict[str, float]:
        whole = {f"{WHOLE}MOUNT:{root}": mb for root, mb in self.mounts.items()}
        whole |= {f"{WHOLE}VOLUME:{pid}": mb for pid, mb in self.volumes.items()}
        gpus = {"gpus": self.gpus} if self.gpus else {}
        return {"cpus": self.cpus, "mem": self.mem, "disk": self.disk, **gpus, **whole}

    def domain(self) -> dict[str, Any] | None:
        return None if self.region is None else domain_info(self.region, self.zone)

    def attribute_json(self) -> list[dict[str, Any]]:
        """Attributes as a real agent's `--attributes` flag yields them: SCALAR, RANGES or TEXT."""
        result: list[dict[str, Any]] = []
        for name, value in self.attributes.items():
            text = str(value)
            if isinstance(value, float | int):
                result.append({"name": name, "type": "SCALAR", "scalar": {"value": float(value)}})
            elif text.startswith("[") and text.endswith("]"):
                pairs = [part.split("-") for part in text[1:-1].split(",")]
                ranges = [{"begin": int(b), "end": int(e)} for b, e in pairs]
                result.append({"name": name, "type": "RANGES", "ranges": {"range": ranges}})
            else:
                result.append({"name": name, "type": "TEXT", "text": {"value": text}})
        return result


class FakeMesos:
    """A fake Mesos cluster: `masters` HTTP endpoints on loopback, simulated agents, real
    processes."""

    def __init__(self, settings: Settings, agents: list[AgentSpec], *, masters: int = 1,
                 host: str = "127.0.0.1", ports: list[int] | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:  # fmt: skip
        self.master = Master(
            settings,
            [(a.hostname, a.resources(), a.attribute_json(), a.domain()) for a in agents],
        )
        self.host = host
        self._ports = ports or [0] * masters
        self._ssl = ssl_context  # serve https
        self.addresses: list[str] = []
        self.leader: int | None = 0
        self._runners: list[web.AppRunner] = []
        self._streams: set[asyncio.Task[Any]] = set()

    @property
    def leader_address(self) -> str | None:
        return None if self.leader is None else self.addresses[self.leader]

    async def start(self) -> FakeMesos:
        for index, port in enumerate(self._ports):
            app = web.Application()
            app.router.add_route("*", PATH, functools.partial(self._scheduler, index=index))
            app.router.add_get("/version", _version)
            app.router.add_get("/redirect", self._redirect)
            runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
            await runner.setup()
            site = web.TCPSite(runner, self.host, port, ssl_context=self._ssl)
            await site.start()
            self._runners.append(runner)
            self.addresses.append(f"{self.host}:{runner.addresses[0][1]}")
        self._runners += await serve_agent_files(self.master, self.host)  # before any offer
        self.master.start()
        logger.info("fake Mesos masters on %s, leader %s", self.addresses, self.leader_address)
        return self

    async def stop(self) -> None:
        await self.master.stop()
        for runner in self._runners:
            await runner.cleanup()

    def failover(self, leader: int | None, recovering_s: float = 0.0) -> None:
        """Make another endpoint (or none) the leader, as a master failover does."""
        self.master.failover(recovering_s)
        self.leader = leader

    async def _redirect(self, _request: web.Request) -> web.StreamResponse:
        if self.leader_address is None:
            return web.Response(status=503, text="No leader elected")
        raise web.HTTPTemporaryRedirect(f"//{self.leader_address}")

    async def _scheduler(self, request: web.Request, index: int) -> web.StreamResponse:
        if index != self.leader:
            if self.leader_address is None:
                return web.Response(status=503, text="No leader elected")
            return web.Response(status=307, headers={"Location": f"//{self.leader_address}{PATH}"})
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        content_type = request.headers.get("Content-Type")
        if content_type is None:
            return web.Response(status=400, text="Expecting 'Content-Type' to be present")
        if content_type != _JSON:
            return web.Response(status=415, text=f"Unsupported Content-Type {content_type!r}")
        try:
            call = json.loads(await request.read())
            _check(call)
        except (ValueError, CallError) as exc:
            return web.Response(
                status=400, text=f"Failed to convert JSON into Call protobuf: {exc}"
            )
        kind = call["type"]
        if kind == "SUBSCRIBE":
            return await self._subscribe(request, call)
        if kind == "UNKNOWN":
            return web.Response(status=501)
        try:
            if kind in _SUB_MESSAGES and kind.lower() not in call:
                raise CallError(400, f"Expecting '{kind.lower()}' to be present")
            framework = self.master.framework_for_call(call, request.headers.get("Mesos-Stream-Id"))
            if kind in self.master.refuse_calls:
                raise CallError(*self.master.refuse_calls[kind])
            self.master.handle(framework, call)
        except CallError as exc:
            return web.Response(status=exc.status, text=str(exc))
        return web.Response(status=202)

    async def _subscribe(self, request: web.Request, call: dict[str, Any]) -> web.StreamResponse:
        info = call.get("subscribe", {}).get("framework_info")
        if info is None:
            return web.Response(status=400, text="Expecting 'subscribe' to be present")
        if "Mesos-Stream-Id" in request.headers:
            return web.Response(
                status=400, text="Subscribe calls should not include the 'Mesos-Stream-Id' header"
            )
        if call.get("framework_id") != info.get("id"):
            return web.Response(
                status=400, text="'framework_id' differs from 'subscribe.framework_info.id'"
            )
        accept = request.headers.get("Accept", "*/*")
        if not any(t in accept for t in (_JSON, "*/*", "application/x-protobuf")):
            return web.Response(status=406)
        connection = self.master.subscribe(call)
        response = web.StreamResponse(
            headers={"Content-Type": _JSON, "Mesos-Stream-Id": connection.stream_id}
        )
        response.enable_chunked_encoding()
        await response.prepare(request)
        framework_id = await self._serve(request, response, connection)
        if framework_id is not None:
            self.master.disconnected(framework_id, connection)
        return response

    async def _serve(
        self, request: web.Request, response: web.StreamResponse, connection: Connection
    ) -> str | None:
        """Write the connection's events (and heartbeats) until it is closed at either end."""
        loop = asyncio.get_running_loop()
        interval_s = self.master.settings.heartbeat_interval_s
        framework_id = None
        beat_at = loop.time() + interval_s
        try:
            while request.transport is not None and not request.transport.is_closing():
                if connection.closed.is_set() and connection.events.empty():
                    await response.write_eof()
                    break
                try:
                    event = await asyncio.wait_for(
                        connection.events.get(), min(_TICK_S, interval_s)
                    )
                except TimeoutError:
                    event = None
                if event is not None and event["type"] == "SUBSCRIBED":
                    framework_id = event["subscribed"]["framework_id"]["value"]
                if event is None and loop.time() >= beat_at and self.master.heartbeats:
                    event = {"type": "HEARTBEAT"}
                if event is None or connection.muted:
                    continue
                if event["type"] == "HEARTBEAT":
                    beat_at = loop.time() + interval_s
                await response.write(encode(event))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return framework_id


async def _version(_request: web.Request) -> web.Response:
    return web.json_response({"version": "1.11.0"})


def _check(call: Any) -> None:
    """The parts of JSON -> protobuf conversion that matter: a type, ids as objects (§0.2), and
    proto2 `required` fields (a message without one does not parse: HTTP 400, nothing done)."""
    if not isinstance(call, dict):
        raise CallError(400, "Expecting a JSON object")
    if not isinstance(call.get("type"), str):
        raise CallError(400, "Expecting 'type' to be present")
    _check_ids(call)
    missing = _missing(call, _CALL, "")
    if missing:
        raise CallError(400, f"Missing required fields: {', '.join(missing)}")


@dataclass(frozen=True)
class _Message:
    """A protobuf message's `required` fields and the sub-messages worth looking into."""

    required: tuple[str, ...] = ()
    fields: dict[str, _Message] = field(default_factory=dict)


def _missing(value: Any, message: _Message, path: str) -> list[str]:
    """Paths of the required fields absent from `value` (a message, or a list of them)."""
    if isinstance(value, list):
        return [m for i, item in enumerate(value) for m in _missing(item, message, f"{path}[{i}]")]
    if not isinstance(value, dict):
        return []
    prefix = f"{path}." if path else ""
    found = [prefix + name for name in message.required if name not in value]
    for name, sub in message.fields.items():
        if name in value:
            found += _missing(value[name], sub, prefix + name)
    return found


_ID = _Message(("value",))
_RESOURCE = _Message(("name", "type"), {"scalar": _Message(("value",))})
_COMMAND = _Message(fields={
    "uris": _Message(("value",)),
    "environment": _Message(fields={"variables": _Message(("name",))}),
})  # fmt: skip
_CONTAINER = _Message(("type",), {
    "docker": _Message(("image",), {"parameters": _Message(("key", "value"))}),
    "mesos": _Message(fields={"image": _Message(("type",), {"docker": _Message(("name",))})}),
    "volumes": _Message(("container_path", "mode")),
})  # fmt: skip
_TASK = _Message(("name", "task_id", "agent_id"), {
    "task_id": _ID, "agent_id": _ID, "resources": _RESOURCE, "command": _COMMAND,
    "container": _CONTAINER, "labels": _Message(fields={"labels": _Message(("key",))}),
    "kill_policy": _Message(fields={"grace_period": _Message(("nanoseconds",))}),
})  # fmt: skip
_FRAMEWORK_INFO = _Message(("user", "name"), {"id": _ID})
_CALL = _Message(("type",), {
    "subscribe": _Message(("framework_info",), {"framework_info": _FRAMEWORK_INFO}),
    "accept": _Message(fields={"offer_ids": _ID, "operations": _Message(("type",), {
        "launch": _Message(fields={"task_infos": _TASK}),
    })}),
    "kill": _Message(("task_id",), {"task_id": _ID, "agent_id": _ID}),
    "acknowledge": _Message(("agent_id", "task_id", "uuid")),
    "reconcile": _Message(fields={"tasks": _Message(("task_id",))}),
})  # fmt: skip


def _check_ids(value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _ID_KEYS or key == "offer_ids":
                for each in item if isinstance(item, list) else [item]:
                    if not isinstance(each, dict) or not isinstance(each.get("value"), str):
                        raise CallError(
                            400, f"Not expecting a JSON {type(each).__name__} for field '{key}'"
                        )
            else:
                _check_ids(item)
    elif isinstance(value, list):
        for item in value:
            _check_ids(item)
