"""Turning a placed task into a running, recorded process: checks, artifacts, spawn, record."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple

from metronome.launch import _process
from metronome.launch._artifacts import ArtifactFetcher
from metronome.launch._container import SANDBOX_IN_CONTAINER, container_argv, probe_runtime
from metronome.launch._launcher import TaskSetupError
from metronome.launch._sandbox import record_fields

if TYPE_CHECKING:
    import subprocess

    from metronome.launch._launcher import HostResources
    from metronome.launch._sandbox import Sandbox
    from metronome.model import RunSpec


class Started(NamedTuple):
    """A task's released wrapper process."""

    pid: int
    started_at: float
    """When it was started, in seconds since the epoch (also in its process record)."""


SPAWN_THREADS = 4
"""Tasks being spawned at once: enough to keep both cores busy forking, few enough to bound
the burst of new processes."""


class TaskStarter:
    """Starts tasks in their sandboxes; holds what is shared between starts (HTTP client, probe)."""

    def __init__(
        self, *, hostname: str, artifact_timeout_s: float, artifact_max_bytes: int
    ) -> None:
        self._hostname = hostname
        self._fetcher = ArtifactFetcher(timeout_s=artifact_timeout_s, max_bytes=artifact_max_bytes)
        self._runtime: asyncio.Future[str | None] | None = None
        # fork/exec and the sandbox's files cost about 1 ms of system time each: on the event
        # loop they stalled the API under bursts of runs (docs/benchmarks.md), so they run here.
        self._spawner = ThreadPoolExecutor(max_workers=SPAWN_THREADS, thread_name_prefix="spawn")

    async def start(
        self, sandbox: Sandbox, spec: RunSpec, resources: HostResources, kill_grace_s: float
    ) -> Started:
        """Check, fetch, spawn; returns the released process, a child of this one, which records
        itself in its sandbox, then runs the command.

        Cancelled before it returns, it leaves no command running: a wrapper being spawned
        meanwhile exits without running its command.

        Raises:
            TaskSetupError: the task cannot start; the message says why.
            OSError: the sandbox cannot be written.
        """
        run_as = None if spec.docker else _process.resolve_user(spec.user)
        command, env = await self._command(sandbox, spec, run_as)
        loop = asyncio.get_running_loop()
        prepared = bool(spec.artifacts) or run_as is not None
        if prepared:
            await loop.run_in_executor(self._spawner, sandbox.create)
            await self._fetcher.fetch_all(spec.artifacts, sandbox.path)
            if run_as is not None:
                await loop.run_in_executor(self._spawner, sandbox.hand_over, run_as.uid, run_as.gid)
        started_at = time.time()
        fields = record_fields(started_at, resources, kill_grace_s)
        spawning = loop.run_in_executor(
            self._spawner, _spawn, command, sandbox, env, run_as, fields, not prepared
        )
        try:
            process, started = await asyncio.shield(spawning)
        except asyncio.CancelledError:
            spawning.add_done_callback(_abandon)  # the thread may be spawning it right now
            raise
        _process.release(process, started)
        return Started(process.pid, started_at)

    async def close(self) -> None:
        await self._fetcher.close()
        self._spawner.shutdown(wait=False)

    async def _command(
        self, sandbox: Sandbox, spec: RunSpec, run_as: _process.RunAs | None
    ) -> tuple[str | list[str], dict[str, str]]:
        """What the wrapper runs (a shell command line, or argv) and the environment it gets."""
        task_id, path = sandbox.path.name, str(sandbox.path)
        if spec.docker is None:
            command: str | list[str]
            if spec.cmd is not None:
                command = spec.cmd
            elif spec.args:
                command = list(spec.args)
            else:
                msg = "the run spec has neither cmd nor args"
                raise TaskSetupError(msg)
            env = _process.task_env(
                spec.env, sandbox=path, task_id=task_id, hostname=self._hostname, run_as=run_as
            )
            return command, env
        runtime = await self._container_runtime()
        if runtime is None:
            image = spec.docker.image
            msg = f"no container runtime available on this host to run image '{image}'"
            raise TaskSetupError(msg)
        inside = {"MESOS_SANDBOX": SANDBOX_IN_CONTAINER, "MESOS_TASK_ID": task_id}
        inside |= {"HOST": self._hostname, **spec.env}
        client_env = _process.task_env(
            {}, sandbox=path, task_id=task_id, hostname=self._hostname, run_as=None
        )
        return container_argv(runtime, task_id, spec, path, inside), client_env

    async def _container_runtime(self) -> str | None:
        """The working container runtime, probed once."""
        if self._runtime is None:
            self._runtime = asyncio.get_running_loop().run_in_executor(None, probe_runtime)
        # Shielded: a task killed while waiting must not cancel the probe the others share.
        return await asyncio.shield(self._runtime)


def _spawn(
    command: str | list[str],
    sandbox: Sandbox,
    env: dict[str, str],
    run_as: _process.RunAs | None,
    record_fields: str,
    create_sandbox: bool,
) -> tuple[subprocess.Popen[bytes], int]:
    """Off the loop: the wrapper, waiting for its release, and its start time. A task with
    nothing to prepare gets its sandbox here too: one hand-over to this thread instead of two.

    Raises:
        TaskSetupError: the process could not be created, or ended at once.
    """
    if create_sandbox:
        sandbox.create()
    process, started = _process.spawn(command, sandbox, env, run_as, record_fields)
    if started is None:  # already gone (killed by someone else): nothing to release
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
        msg = "the task's process ended before it could be released"
        raise TaskSetupError(msg)
    return process, started


def _abandon(spawning: asyncio.Future[tuple[subprocess.Popen[bytes], int]]) -> None:
    """Make a wrapper spawned for a start that was cancelled exit without running its command:
    EOF instead of "go". Its watch reaps it."""
    if spawning.cancelled() or spawning.exception() is not None:
        return
    process, _ = spawning.result()
    assert process.stdin is not None
    process.stdin.close()
    pid = process.pid

    def reap() -> None:
        _process.reap(pid)

    _process.ExitWatch(asyncio.get_running_loop(), pid, None, reap)
