"""`GET /v1/jobs/{jobId}/runs/{runId}/logs/stdout` and `.../stderr`: a task's output as text.

`Range: bytes=...` is honoured (206, or 416 past the end); `?task=` picks a task of the run (the
latest by default); `?follow=true` streams what the task writes until it ends, starting at the
range's first byte if one is given (200: the length is not known in advance). Output stays
readable after the run ends while the launcher keeps it (the local sandbox retention, the Mesos
agent's sandbox); afterwards the 404 says when it went.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import hdrs, web

from metronome.api._app_keys import job_service
from metronome.api._byte_range import parse_range
from metronome.api._http import json_response
from metronome.api._query import flag
from metronome.api._render import format_timestamp
from metronome.errors import JobNotFound, RunNotFound, ServiceError
from metronome.launch import OutputChunk, OutputReplaced, OutputUnavailable

if TYPE_CHECKING:
    from datetime import datetime

    from metronome.api._app_keys import Services
    from metronome.launch import OutputStream

routes = web.RouteTableDef()

CHUNK_BYTES = 64 * 1024
POLL_S = 0.25
"""How often a follower looks for new output: the latency of `?follow=true`."""

_HEADERS = {
    hdrs.ACCEPT_RANGES: "bytes",
    hdrs.CACHE_CONTROL: "no-cache",
    "X-Content-Type-Options": "nosniff",  # a task's output is never rendered as HTML
}


_NOTHING = OutputChunk(b"", 0)


class OutputNotFound(ServiceError):
    """No output to serve: no such task, none started yet, or the output is gone."""

    status = 404


@dataclass(frozen=True, slots=True)
class _TaskRef:
    id: str
    ended: bool
    ended_at: datetime | None


def _tasks(services: Services, job_id: str, run_id: str) -> tuple[tuple[_TaskRef, ...], bool]:
    """The run's tasks, oldest first, and whether the run is still active.

    Raises:
        JobNotFound, RunNotFound: no such job, or neither active nor in the history.
    """
    entry = services.entry(job_id)
    run = entry.run(run_id)
    if run is not None:
        refs = tuple(
            _TaskRef(t.id, t.status.is_final, t.ended_at or t.completed_at) for t in run.tasks
        )
        return refs, True
    finished = entry.history.finished_run(run_id) if entry.history is not None else None
    if finished is None:
        raise RunNotFound(run_id)
    info = finished[0]
    if info.details is not None and info.details.tasks:
        ends = tuple(
            (t.id, t.ended_at or t.completed_at or info.finished_at) for t in info.details.tasks
        )
    else:
        ends = tuple((task_id, info.finished_at) for task_id in info.tasks)
    return tuple(_TaskRef(task_id, True, at) for task_id, at in ends), False


def _pick(refs: tuple[_TaskRef, ...], run_id: str, wanted: str | None) -> _TaskRef | None:
    """The task asked for, else the latest; None if the run has none yet.

    Raises:
        OutputNotFound: `?task=` names no task of the run.
    """
    if wanted is None:
        return refs[-1] if refs else None
    for ref in refs:
        if ref.id == wanted:
            return ref
    msg = f"JobRun '{run_id}' has no task '{wanted}'"
    raise OutputNotFound(msg)


async def _task(request: web.Request, follow: bool) -> _TaskRef:
    """The task whose output is asked for; a follower waits for an active run's first task."""
    services = job_service(request)
    job_id, run_id = request.match_info["job_id"], request.match_info["run_id"]
    wanted = request.query.get("task")
    while True:
        refs, active = _tasks(services, job_id, run_id)
        ref = _pick(refs, run_id, wanted)
        if ref is not None:
            return ref
        if not active:
            msg = f"JobRun '{run_id}' ended without starting a task: it has no output"
            raise OutputNotFound(msg)
        if not follow:
            msg = f"JobRun '{run_id}' has no task yet: its output starts with its first task"
            raise OutputNotFound(msg)
        await asyncio.sleep(POLL_S)


def _has_ended(request: web.Request, task_id: str) -> bool:
    """Whether the task can write no more (a job or run gone counts as ended)."""
    job_id, run_id = request.match_info["job_id"], request.match_info["run_id"]
    try:
        refs, _active = _tasks(job_service(request), job_id, run_id)
    except (JobNotFound, RunNotFound):
        return True
    return next((ref.ended for ref in refs if ref.id == task_id), True)


def _gone(services: Services, ref: _TaskRef, exc: OutputUnavailable) -> OutputNotFound:
    """The launcher's reason, with when the output was removed where the retention says."""
    msg = str(exc)
    retention_s = services.settings.sandbox_retention_s
    if services.settings.master is None and ref.ended_at is not None:
        removal = ref.ended_at + timedelta(seconds=retention_s)
        if removal <= services.clock():
            msg += (
                f". It was removed at about {format_timestamp(removal)}: sandboxes are kept"
                f" for {_span(retention_s)} after their task ends (--sandbox-retention), and"
                f" task '{ref.id}' ended at {format_timestamp(ref.ended_at)}"
            )
    return OutputNotFound(msg)


def _span(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size:.0f} {unit}"
    return f"{seconds:g} seconds"


async def _logs(request: web.Request, stream: OutputStream) -> web.StreamResponse:
    follow = flag(request.query, "follow") and request.method != "HEAD"  # HEAD: headers only
    wanted = parse_range(request.headers.get(hdrs.RANGE))
    ref = await _task(request, follow)
    services = job_service(request)
    launcher = services.launcher
    try:
        size = (await launcher.read_output(ref.id, stream, 0, 0)).size
    except OutputReplaced as exc:
        raise OutputNotFound(str(exc)) from exc
    except OutputUnavailable as exc:
        if ref.ended:
            raise _gone(services, ref, exc) from exc
        if not follow:
            msg = f"Task '{ref.id}' has no output yet: {exc}"
            raise OutputNotFound(msg) from exc
        size = 0  # a follower waits for it
    response = web.StreamResponse(headers=_HEADERS)
    response.content_type, response.charset = "text/plain", "utf-8"
    if follow:
        response.enable_chunked_encoding()
        await response.prepare(request)
        start = 0 if wanted is None else wanted.start_in(size)
        return await _follow(request, response, ref.id, stream, start)
    if wanted is None:
        start, stop = 0, size
    elif (bounds := wanted.within(size)) is None:
        msg = f"Range not satisfiable: the {stream} of task '{ref.id}' has {size} bytes"
        refused = json_response({"message": msg}, status=416)
        refused.headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
        return refused
    else:
        start, stop = bounds
        response.set_status(206)
        response.headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{stop - 1}/{size}"
    response.content_length = stop - start
    await response.prepare(request)
    if request.method != "HEAD":
        await _copy(services, ref.id, stream, response, start, stop)
    return response


async def _copy(
    services: Services,
    task_id: str,
    stream: OutputStream,
    response: web.StreamResponse,
    offset: int,
    stop: int,
) -> None:
    """Bytes [offset, stop) in chunks; one removed meanwhile cuts the answer short."""
    while offset < stop:
        try:
            chunk = await services.launcher.read_output(
                task_id, stream, offset, min(CHUNK_BYTES, stop - offset)
            )
        except OutputUnavailable:
            return
        if not chunk.data:
            return
        await response.write(chunk.data)
        offset += len(chunk.data)


async def _follow(
    request: web.Request,
    response: web.StreamResponse,
    task_id: str,
    stream: OutputStream,
    offset: int,
) -> web.StreamResponse:
    """Write what the task writes until it has ended and all of it is sent, or the client left."""
    launcher = job_service(request).launcher
    try:
        while request.transport is not None and not request.transport.is_closing():
            # Ended is judged before reading: what a task wrote before it ended is in the file.
            ended = _has_ended(request, task_id)
            try:
                chunk = await launcher.read_output(task_id, stream, offset, CHUNK_BYTES)
            except OutputUnavailable:
                if ended:
                    break
                chunk = _NOTHING  # not placed yet
            if chunk.data:
                await response.write(chunk.data)
                offset += len(chunk.data)
            elif ended:
                break
            else:
                await asyncio.sleep(POLL_S)
        await response.write_eof()
    except ConnectionResetError:
        pass  # the client stopped following
    return response


@routes.get("/v1/jobs/{job_id}/runs/{run_id}/logs/stdout")
async def stdout(request: web.Request) -> web.StreamResponse:
    """What the task wrote to its standard output."""
    return await _logs(request, "stdout")


@routes.get("/v1/jobs/{job_id}/runs/{run_id}/logs/stderr")
async def stderr(request: web.Request) -> web.StreamResponse:
    """What the task wrote to its standard error."""
    return await _logs(request, "stderr")
