"""Shared pieces of the benchmarks: server processes, a bare baseline app, load, figures.

Every benchmark measures the real `metronome serve` in its own process against a baseline
measured in the same run, because this machine is shared and its absolute figures drift.
Run as a script (`python bench/harness.py baseline PORT`), this module is that baseline: a bare
aiohttp app that keeps posted JSON in a dict, with no validation, storage or actors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence

ROOT = Path(__file__).resolve().parents[1]
LATENESS_TIMER = "metronome.jobs.trigger.lateness.timer.seconds"
STOP_TIMEOUT_S = 60.0


# -- figures -------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1), so p99 of 1,000 values is the 990th smallest."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def machine() -> str:
    """This machine in one line: what docs/benchmarks.md records next to each figure."""
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"nproc={os.cpu_count()} cpu='{model}' python={platform.python_version()}"


def summary(name: str, **fields: Any) -> None:
    """The one line a benchmark ends with: `name: key=value ...`."""
    print(f"{name}: " + " ".join(f"{key}={value}" for key, value in fields.items()), flush=True)


def note(message: str, *args: Any) -> None:
    """Progress on stderr, so stdout ends with the summary line alone."""
    print(f"[{time.strftime('%H:%M:%S')}] " + message % args, file=sys.stderr, flush=True)


def parse_timestamp(text: str) -> datetime:
    """Metronome's `2016-07-15T13:02:59.735+0000`."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


# -- time bounds ---------------------------------------------------------------------------------


class Budget:
    """A whole benchmark's time bound: every wait asks it how long it may still take."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self._deadline - time.monotonic()

    def check(self, what: str) -> None:
        if self.left() <= 0:
            msg = f"time budget exhausted while {what}"
            raise TimeoutError(msg)


async def wait_for(
    condition: Callable[[], Awaitable[Any]], budget: Budget, what: str, interval_s: float = 0.05
) -> Any:
    """Poll `condition` until it returns something truthy, within the budget."""
    while True:
        value = await condition()
        if value:
            return value
        budget.check(what)
        await asyncio.sleep(interval_s)


# -- processes -----------------------------------------------------------------------------------


@contextlib.contextmanager
def bench_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory for one benchmark's data, removed at the end unless
    METRONOME_BENCH_KEEP is set.

    On ext4 without a journal (this machine's root file system), creating an inode skips every
    free one deleted in the last 60 s, or 360 s while its inode table block is dirty, and the
    search looks at each of them: a benchmark started right after another removed its tens of
    thousands of sandbox files created its own files 10-20 times slower (docs/benchmarks.md).
    Keeping the data (and removing it once done) makes back-to-back runs comparable.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if os.environ.get("METRONOME_BENCH_KEEP"):
            note("kept %s (METRONOME_BENCH_KEEP)", path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    """One HTTP server process on loopback, with its output in a log file."""

    name: str
    args: list[str]
    port: int
    log_path: Path
    env: dict[str, str] | None = None  # on top of this process's environment
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.started_at = time.monotonic()
            env = {**os.environ, **self.env} if self.env else None
            self.process = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, env=env
            )

    async def wait_ready(self, session: aiohttp.ClientSession, budget: Budget) -> float:
        """Seconds from spawn until /ping answers."""

        async def answers() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                msg = f"{self.name} exited with {self.process.returncode}:\n{tail}"
                raise RuntimeError(msg)
            try:
                async with session.get(f"{self.url}/ping") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False

        await wait_for(answers, budget, "waiting for /ping", interval_s=0.01)
        return self.elapsed()

    def elapsed(self) -> float:
        """Seconds since the last spawn."""
        return time.monotonic() - self.started_at

    def cpu_s(self, *, children: bool = False) -> float:
        """User plus system CPU seconds the process has used so far; with `children`, those of
        its reaped children instead (the task processes a server spawned)."""
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        first = 13 if children else 11
        return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        rss = re.search(r"VmRSS:\s+(\d+) kB", status)
        assert rss is not None, status
        return int(rss.group(1)) / 1024

    def stop(self) -> float:
        """SIGTERM, then SIGKILL if it does not exit in time; seconds until it exited."""
        if self.process is None or self.process.poll() is not None:
            return 0.0
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            note("%s did not stop within %.0f s of SIGTERM; killing it", self.name, STOP_TIMEOUT_S)
            self.process.kill()
            self.process.wait()
        return time.monotonic() - began

    def log_lines(self, pattern: str) -> list[str]:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if re.search(pattern, line)]


def metronome(data_dir: Path, *extra: str, src: Path | None = None) -> Served:
    """`metronome serve` on a free loopback port (not yet spawned); `src` runs the package from
    another source tree (e.g. a `git worktree` of an older commit) instead of the installed one."""
    port = free_port()
    args = [
        sys.executable, "-m", "metronome.cli", "serve",
        "--http-address", "127.0.0.1", "--http-port", str(port),
        "--hostname", "127.0.0.1", "--data-dir", str(data_dir), *extra,
    ]  # fmt: skip
    env = {"PYTHONPATH": str(src)} if src else None
    return Served("metronome", args, port, data_dir.parent / f"metronome-{port}.log", env)


def baseline(log_dir: Path) -> Served:
    """The bare aiohttp app of this module's `__main__` (not yet spawned)."""
    port = free_port()
    args = [sys.executable, str(Path(__file__)), "baseline", str(port)]
    return Served("baseline", args, port, log_dir / f"baseline-{port}.log")


def session(connections: int) -> aiohttp.ClientSession:
    """The load generator of every aiohttp-driven benchmark."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=120),
    )


# -- requests ------------------------------------------------------------------------------------


def job_body(job_id: str, *, cmd: str = "true", cron: str | None = None) -> dict[str, Any]:
    """A job that asks the launcher for little, with one enabled UTC schedule when given a cron."""
    body: dict[str, Any] = {"id": job_id, "run": {"cmd": cmd, "cpus": 0.01, "mem": 32, "disk": 0}}
    if cron is not None:
        body["schedules"] = [
            {"id": "s", "cron": cron, "timezone": "UTC", "startingDeadlineSeconds": 60}
        ]
    return body


def unused_hour_cron() -> str:
    """A daily cron twelve hours away: enabled, but it cannot fire during a benchmark."""
    return f"0 {(datetime.now(UTC).hour + 12) % 24} * * *"


async def post_all(
    client: aiohttp.ClientSession,
    requests: Iterable[tuple[str, Any]],
    workers: int,
    budget: Budget,
) -> float:
    """POST every `(url, JSON body or None)` with `workers` in flight; elapsed seconds.

    Any answer other than 200/201 stops the benchmark: a figure over failed requests is no figure.
    """
    pending = iter(requests)

    async def worker() -> None:
        for url, body in pending:
            async with client.post(url, json=body) as response:
                await response.read()
                if response.status not in (200, 201):
                    msg = f"POST {url} answered {response.status}: {await response.text()}"
                    raise RuntimeError(msg)

    began = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(workers))), budget.left())
    return time.monotonic() - began


async def get_json(client: aiohttp.ClientSession, url: str) -> Any:
    async with client.get(url) as response:
        if response.status != 200:
            msg = f"GET {url} answered {response.status}"
            raise RuntimeError(msg)
        return await response.json()


async def timed_get(client: aiohttp.ClientSession, url: str) -> tuple[float, int]:
    """Seconds to fetch and decode a JSON list, and its length."""
    began = time.monotonic()
    items = await get_json(client, url)
    return time.monotonic() - began, len(items)


async def lateness_timer(client: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The trigger-lateness timer of GET /v1/metrics (count and quantiles in seconds)."""
    metrics = await get_json(client, f"{url}/v1/metrics")
    return metrics["timers"].get(LATENESS_TIMER, {"count": 0, "p50": math.nan, "p99": math.nan})


async def finished_runs(client: aiohttp.ClientSession, url: str) -> int:
    """Runs ended so far, succeeded or failed, from one GET /v1/metrics."""
    counters = (await get_json(client, f"{url}/v1/metrics"))["counters"]
    names = ("metronome.jobs.succeeded.counter", "metronome.jobs.failed.counter")
    return sum(counters.get(name, {"count": 0})["count"] for name in names)


# -- raw process rate ----------------------------------------------------------------------------


SPAWN_IN_FLIGHT = 256
"""Children the raw baseline keeps at once: 3.11's asyncio watches each with a thread."""


async def spawn_true(count: int) -> float:
    """Seconds to spawn and reap `count` `/bin/sh -c true` with asyncio, as fast as it goes."""
    slots = asyncio.Semaphore(SPAWN_IN_FLIGHT)

    async def one() -> None:
        async with slots:
            process = await asyncio.create_subprocess_exec("/bin/sh", "-c", "true")
            if await process.wait() != 0:
                msg = "/bin/sh -c true failed"
                raise RuntimeError(msg)

    began = time.monotonic()
    await asyncio.gather(*(one() for _ in range(count)))
    return time.monotonic() - began


# -- wrk -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url: str, *, connections: int, seconds: int, threads: int = 1) -> WrkResult:
    """One closed-loop wrk run; latency percentiles from its `--latency` table."""
    if shutil.which("wrk") is None:
        msg = "wrk is not installed (scripts/bench installs it: apt-get install -y wrk)"
        raise RuntimeError(msg)
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=seconds + 30)
    text = out.stdout

    def latency(label: str) -> float:
        row = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        assert row is not None, text
        return float(row.group(1)) * _UNIT_MS[row.group(2)]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    assert rate is not None, text
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    if socket_errors:
        note("wrk %s: socket errors %s", url, socket_errors.group(1))
    return WrkResult(
        requests_per_s=float(rate.group(1)),
        p50_ms=latency("50%"),
        p99_ms=latency("99%"),
        errors=int(errors.group(1)) if errors else 0,
    )


# -- the baseline app ----------------------------------------------------------------------------


def baseline_app() -> web.Application:
    """Small-JSON GETs and an in-memory dict of posted jobs: HTTP and JSON cost, nothing more."""
    jobs: dict[str, bytes] = {}
    routes = web.RouteTableDef()
    ok = json.dumps({"ok": True}).encode()

    @routes.get("/ping")
    async def ping(_: web.Request) -> web.Response:
        return web.Response(text="pong")

    @routes.get("/v1/jobs/{job_id}")
    async def get_one(_: web.Request) -> web.Response:
        return web.Response(body=ok, content_type="application/json")

    @routes.post("/v1/jobs")
    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        jobs[body["id"]] = encoded = json.dumps(body).encode()
        return web.Response(body=encoded, status=201, content_type="application/json")

    @routes.get("/v1/jobs")
    async def list_all(_: web.Request) -> web.Response:
        body = b"[" + b",".join(jobs.values()) + b"]"
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.add_routes(routes)
    return app


if __name__ == "__main__":
    if sys.argv[1:2] != ["baseline"] or len(sys.argv) != 3:
        sys.exit("usage: harness.py baseline PORT")
    port = int(sys.argv[2])
    web.run_app(baseline_app(), host="127.0.0.1", port=port, access_log=None, print=None)
