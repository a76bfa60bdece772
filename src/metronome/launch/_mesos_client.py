"""The framework's side of the v1 scheduler HTTP API: subscription, event stream, calls.

One SUBSCRIBE connection carries the events; calls go on other connections, in order, tagged with
the stream id. The client follows redirects to the leader, backs off between attempts, and
reconnects when no event (not even a HEARTBEAT) arrives for a few heartbeat intervals.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import ssl
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from metronome.launch._launcher import LaunchError
from metronome.launch._mesos_recordio import RecordIODecoder, RecordIOError

if TYPE_CHECKING:
    from metronome.launch._mesos_config import FrameworkIdStore, MesosSettings
    from metronome.launch._mesos_detect import MasterDetector

logger = logging.getLogger(__name__)

PATH = "/api/v1/scheduler"
_JSON = "application/json"
_MAX_REDIRECTS = 5
_BACKOFF_MIN_S = 0.1
REMOVED = "Framework has been removed"
FAILED_OVER = "Framework failed over"
_STEP_DOWN_MAX_S = 600.0


class EventHandler(Protocol):
    """What the client tells its owner; all calls are made on the event loop."""

    def subscribed(self, framework_id: str) -> None: ...

    def event(self, event: dict[str, Any]) -> None: ...

    def disconnected(self) -> None: ...

    def stepped_down(self, wait_s: float) -> None:
        """Another scheduler took the framework over; no subscription for `wait_s`."""

    def refused(self, message: str) -> None:
        """The master refused the framework for good (an ERROR event); the client stopped."""

    def call_refused(self, call: dict[str, Any], status: int, message: str) -> None:
        """The master answered a call with an HTTP error: the call had no effect."""


class _Disconnect(Exception):
    """The subscription ended; the message says why."""


class _SteppedDown(_Disconnect):
    """Another scheduler subscribed with our framework id ("Framework failed over")."""


class _Refused(Exception):
    """The master refused the framework (validation, authorization): retrying cannot help."""


class SchedulerClient:
    """Keeps one subscription to the leading master alive and sends calls on it."""

    def __init__(
        self,
        settings: MesosSettings,
        detect: MasterDetector,
        ids: FrameworkIdStore,
        handler: EventHandler,
        *,
        auth: aiohttp.BasicAuth | None = None,
        scheme: str = "http",
    ) -> None:
        self._settings = settings
        self._scheme = scheme  # of every master: a redirect's `//leader` leaves it open
        self._detect = detect
        self._ids = ids
        self._handler = handler
        self._auth = auth
        self._session: aiohttp.ClientSession | None = None
        self._runner: asyncio.Task[None] | None = None
        self._subscription: asyncio.Task[None] | None = None
        self.framework_id: str | None = None
        self.master: str | None = None  # host:port of the master we are subscribed to
        self.region: str | None = None  # the master's fault-domain region, if it has one
        self._stream_id: str | None = None
        self._ordered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._acks: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._senders: list[asyncio.Task[None]] = []
        self.subscriptions = 0
        self.refusal: str | None = None  # why the master refused us; the client then stopped
        self.step_downs = 0  # "Framework failed over" ERRORs received
        self._last_event_at = 0.0
        self._silence_s = settings.call_timeout_s
        self._reconnect_reason = "reconnecting"

    @property
    def connected(self) -> bool:
        return self._stream_id is not None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.framework_id = await loop.run_in_executor(None, self._ids.get)
        context = None
        if self._scheme == "https":
            ca_file = self._settings.ca_file
            try:
                context = await loop.run_in_executor(
                    None, functools.partial(ssl.create_default_context, cafile=ca_file)
                )
            except (OSError, ssl.SSLError) as exc:
                msg = f"cannot load the Mesos CA certificates {ca_file}: {exc}"
                raise LaunchError(msg) from exc
        connector = aiohttp.TCPConnector(ssl=context if context is not None else True)
        self._session = aiohttp.ClientSession(auth=self._auth, connector=connector)
        self._runner = asyncio.create_task(self._run(), name="mesos-subscription")

    async def close(self) -> None:
        """End the subscription without TEARDOWN: the master keeps the framework for failover."""
        jobs = [job for job in (self._runner, *self._senders) if job is not None]
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        self._senders.clear()
        self._stream_id = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def call(self, call_type: str, body: dict[str, Any] | None = None) -> bool:
        """Queue a call; False (and dropped) when not subscribed: state is re-derived on subscribe.

        Calls keep their order, except ACKNOWLEDGEs, which depend on nothing and go on their own
        lane.
        """
        if self._stream_id is None or self.framework_id is None:
            logger.debug("not subscribed: dropping %s", call_type)
            return False
        call: dict[str, Any] = {"type": call_type, "framework_id": {"value": self.framework_id}}
        if body is not None:
            call[call_type.lower()] = body
        (self._acks if call_type == "ACKNOWLEDGE" else self._ordered).put_nowait(call)
        return True

    def reconnect(self, reason: str = "reconnecting") -> None:
        """Drop the current subscription (e.g. the master stopped answering); a new one follows."""
        self._reconnect_reason = reason
        if self._subscription is not None:
            self._subscription.cancel()

    async def _watchdog(self) -> None:
        """Reconnect when nothing (not even a HEARTBEAT) arrived for a few heartbeat intervals."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(min(1.0, self._silence_s / 4))
            silent_s = loop.time() - self._last_event_at
            if silent_s > self._silence_s:
                self.reconnect(f"no event from the master for {silent_s:.1f} s")
                return

    async def _run(self) -> None:
        failures = 0
        step_downs_in_row = 0
        while True:
            self._subscription = asyncio.create_task(self._subscribe_once())
            self._last_event_at = asyncio.get_running_loop().time()
            self._silence_s = self._settings.call_timeout_s
            watchdog = asyncio.create_task(self._watchdog())
            try:
                await self._subscription
                reason = "stream ended"
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
                reason = self._reconnect_reason
            except _Refused as exc:
                self._end_stream()
                self.refusal = str(exc)
                self._handler.refused(str(exc))  # it says so, once
                return
            except _SteppedDown as exc:
                reason = str(exc)
                step_downs_in_row += 1
            except _Disconnect as exc:
                reason = str(exc)
                step_downs_in_row = 0
            except (aiohttp.ClientError, OSError, TimeoutError, RecordIOError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                watchdog.cancel()
                was_connected = self._end_stream()
            if was_connected:
                failures = 0
                self._handler.disconnected()
            if step_downs_in_row:
                # Two schedulers that both think they lead must not take the framework from each
                # other in turn: wait (longer each time) for leadership to settle who leads.
                wait_s = min(
                    _STEP_DOWN_MAX_S,
                    self._settings.failed_over_wait_s * 2 ** (step_downs_in_row - 1),
                )
                logger.error(
                    "Another scheduler took over Mesos framework %s (%s); stepping down from "
                    "launching for %.0f s", self.framework_id, reason, wait_s,
                )  # fmt: skip
                self._handler.stepped_down(wait_s)
                await asyncio.sleep(wait_s)
                continue
            delay_s = min(self._settings.backoff_max_s, _BACKOFF_MIN_S * 2**failures)
            delay_s *= random.uniform(0.5, 1.0)
            failures += 1
            logger.warning("Mesos subscription lost (%s); retrying in %.2f s", reason, delay_s)
            await asyncio.sleep(delay_s)

    def _end_stream(self) -> bool:
        was_connected = self._stream_id is not None
        self._stream_id = None
        for sender in self._senders:
            sender.cancel()
        self._senders.clear()
        for queue in (self._ordered, self._acks):
            while not queue.empty():
                queue.get_nowait()
        return was_connected

    async def _subscribe_once(self) -> None:
        masters = await self._detect()
        if not masters:
            raise _Disconnect("no Mesos master detected")
        last_error = "no master answered"
        for candidate in masters:
            master: str | None = candidate
            for _ in range(_MAX_REDIRECTS):
                assert master is not None
                try:
                    master = await self._try_master(master)
                except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                    last_error = f"{candidate}: {type(exc).__name__}: {exc}"
                    master = None
                if master is None:
                    break
        raise _Disconnect(last_error)

    async def _try_master(self, master: str) -> str | None:
        """Subscribe at `master` and serve the stream; returns the leader to try after a
        redirect."""
        assert self._session is not None
        body = {"type": "SUBSCRIBE", "subscribe": {"framework_info": self._framework_info()}}
        if self.framework_id is not None:
            body["framework_id"] = {"value": self.framework_id}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self._settings.call_timeout_s)
        async with self._session.post(
            f"{self._scheme}://{master}{PATH}",
            json=body,
            headers={"Accept": _JSON, "Content-Type": _JSON},
            allow_redirects=False,
            timeout=timeout,
        ) as response:
            if response.status == 307:
                location = response.headers.get("Location", "")
                leader = urlsplit(location if "//" in location else "//" + location).netloc
                logger.info("Mesos master %s redirects to the leader %s", master, leader)
                return leader or None
            if response.status != 200:
                text = (await response.text())[:200]
                if response.status == 401:  # bad credentials: asking again cannot help
                    raise _Refused(f"SUBSCRIBE answered 401 Unauthorized by {master}: {text}")
                logger.warning(
                    "Mesos master %s refused SUBSCRIBE: %d %s", master, response.status, text
                )
                return None
            await self._serve_stream(master, response)
        return None

    async def _serve_stream(self, master: str, response: aiohttp.ClientResponse) -> None:
        decoder = RecordIODecoder()
        stream_id = response.headers.get("Mesos-Stream-Id")
        loop = asyncio.get_running_loop()
        while True:
            chunk = await response.content.readany()
            if not chunk:
                raise _Disconnect(f"{master} closed the stream")
            self._last_event_at = loop.time()
            for event in decoder.feed(chunk):
                kind = event.get("type")
                if kind == "SUBSCRIBED":
                    subscribed = event.get("subscribed", {})
                    interval_s = float(subscribed.get("heartbeat_interval_seconds") or 15.0)
                    self._silence_s = interval_s * self._settings.heartbeat_misses
                    domain = subscribed.get("master_info", {}).get("domain", {})
                    region = domain.get("fault_domain", {}).get("region", {}).get("name")
                    self.region = None if region is None else str(region)
                    await self._on_subscribed(
                        master, stream_id, subscribed["framework_id"]["value"]
                    )
                elif kind == "ERROR":
                    await self._on_error(str(event.get("error", {}).get("message", "")))
                elif self._stream_id is not None:
                    try:
                        self._handler.event(event)
                    except Exception:
                        # One bad event must not end the subscription (and with it every update).
                        logger.exception("Mesos event handler failed on %s", event.get("type"))

    async def _on_subscribed(self, master: str, stream_id: str | None, framework_id: str) -> None:
        if stream_id is None:
            raise _Disconnect(f"{master} sent no Mesos-Stream-Id")
        if framework_id != self.framework_id:
            # Persisted before anything is launched under it (§5.2).
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._ids.set, framework_id)
            self.framework_id = framework_id
        self.master = master
        self._stream_id = stream_id
        self.subscriptions += 1
        logger.info("Subscribed to Mesos master %s as framework %s", master, framework_id)
        self._senders = [
            asyncio.create_task(self._send_from(self._ordered, master, stream_id)),
            asyncio.create_task(self._send_from(self._acks, master, stream_id)),
        ]
        self._handler.subscribed(framework_id)

    async def _on_error(self, message: str) -> None:
        """An ERROR event: the master ends the stream; what follows depends on the message."""
        if message == REMOVED and self.framework_id is not None:
            # All its tasks were killed; the only way on is a new framework.
            logger.error("Mesos removed framework %s; subscribing as a new one", self.framework_id)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._ids.set, None)
            self.framework_id = None
            raise _Disconnect(f"master error: {message}")
        if message == FAILED_OVER:
            self.step_downs += 1
            raise _SteppedDown(f"master error: {message}")
        raise _Refused(message or "an ERROR event without a message")

    async def _send_from(
        self, queue: asyncio.Queue[dict[str, Any]], master: str, stream_id: str
    ) -> None:
        assert self._session is not None
        timeout = aiohttp.ClientTimeout(total=self._settings.call_timeout_s)
        headers = {"Content-Type": _JSON, "Mesos-Stream-Id": stream_id}
        while True:
            call = await queue.get()
            try:
                async with self._session.post(
                    f"{self._scheme}://{master}{PATH}", json=call, headers=headers,
                    allow_redirects=False, timeout=timeout,
                ) as response:  # fmt: skip
                    if response.status in (200, 202):
                        continue
                    text = (await response.text())[:200]
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                text = f"{type(exc).__name__}: {exc}"
                logger.warning("Mesos call %s to %s failed: %s", call["type"], master, text)
                self.reconnect(f"a call failed: {text}")
                return
            logger.warning(
                "Mesos call %s refused by %s: %d %s", call["type"], master, response.status, text
            )
            try:
                self._handler.call_refused(call, response.status, text)
            except Exception:
                logger.exception("Mesos call refusal handler failed on %s", call["type"])
            if response.status in (307, 403, 503):  # no longer the leader, or not subscribed
                self.reconnect(f"{call['type']} answered {response.status}")
                return

    def _framework_info(self) -> dict[str, Any]:
        s = self._settings
        info: dict[str, Any] = {
            "user": s.user,
            "name": s.framework_name,
            "failover_timeout": s.failover_timeout_s,
            "checkpoint": s.checkpoint,
            "roles": [s.role],
            # REGION_AWARE: agents of other regions are offered too (else `@region` constraints
            # could never name one); tasks without such a constraint stay in the master's region.
            # Not GPU_RESOURCES: jobs cannot ask for GPUs (`gpus` is refused), so agents with
            # GPUs, which Mesos keeps for GPU frameworks, are never offered to us.
            "capabilities": [
                {"type": "MULTI_ROLE"},
                {"type": "PARTITION_AWARE"},
                {"type": "REGION_AWARE"},
            ],
        }
        optional = {"principal": s.principal, "hostname": s.hostname, "webui_url": s.webui_url}
        info |= {key: value for key, value in optional.items() if value}
        if self.framework_id is not None:
            info["id"] = {"value": self.framework_id}
        return info
