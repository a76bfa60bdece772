"""Turning a placed task into a running, recorded process: checks, artifacts, spawn, record."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from metronome.launch import _process
from metronome.launch._artifacts import ArtifactFetcher
from metronome.launch._container import SANDBOX_IN_CONTAINER, container_argv, probe_runtime
from metronome.launch._launcher import TaskSetupError
from metronome.launch._sandbox import ProcessRecord

if TYPE_CHECKING:
    import subprocess

    from metronome.launch._launcher import HostResources
    from metronome.launch._sandbox import Sandbox
    from metronome.model import RunSpec


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
    ) -> ProcessRecord:
        """Check, fetch, spawn; returns the recorded process, which then runs the command.

        Cancelling this before it returns leaves no process behind.

        Raises:
            TaskSetupError: the task cannot start; the message says why.
            OSError: the sandbox cannot be written.
        """
        run_as = None if spec.docker else _process.resolve_user(spec.user)
        argv, env = await self._command(sandbox, spec, run_as)
        loop = asyncio.get_running_loop()
        prepared = bool(spec.artifacts) or run_as is not None
        if prepared:
            await loop.run_in_executor(self._spawner, sandbox.create)
            await self._fetcher.fetch_all(spec.artifacts, sandbox.path)
            if run_as is not None:
                await loop.run_in_executor(self._spawner, sandbox.hand_over, run_as.uid, run_as.gid)
        return await loop.run_in_executor(
            self._spawner,
            _spawn_and_record,
            argv, sandbox, env, run_as, resources, kill_grace_s, not prepared,
        )  # fmt: skip

    async def close(self) -> None:
        await self._fetcher.close()
        self._spawner.shutdown(wait=False)

    async def _command(
        self, sandbox: Sandbox, spec: RunSpec, run_as: _process.RunAs | None
    ) -> tuple[list[str], dict[str, str]]:
        """The argv the wrapper runs and the environment it gets."""
        task_id, path = sandbox.path.name, str(sandbox.path)
        if spec.docker is None:
            if spec.cmd is not None:
                argv = ["/bin/sh", "-c", spec.cmd]
            elif spec.args:
                argv = list(spec.args)
            else:
                msg = "the run spec has neither cmd nor args"
                raise TaskSetupError(msg)
            env = _process.task_env(
                spec.env, sandbox=path, task_id=task_id, hostname=self._hostname, run_as=run_as
            )
            return argv, env
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


def _spawn_and_record(
    argv: list[str],
    sandbox: Sandbox,
    env: dict[str, str],
    run_as: _process.RunAs | None,
    resources: HostResources,
    kill_grace_s: float,
    create_sandbox: bool,
) -> ProcessRecord:
    """Off the loop: a wrapper whose start is lost (its caller cancelled) never gets its `go`,
    and exits without running anything when its stdin closes. A task with nothing to prepare
    gets its sandbox here too: one hand-over to this thread instead of two."""
    if create_sandbox:
        sandbox.create()
    return _record(_process.spawn(argv, sandbox, env, run_as), sandbox, resources, kill_grace_s)


def _record(
    process: subprocess.Popen[bytes],
    sandbox: Sandbox,
    resources: HostResources,
    kill_grace_s: float,
) -> ProcessRecord:
    """Record the wrapper's identity in the sandbox, then let it run the command."""
    try:
        started = _process.start_time(process.pid)
        if started is None:
            msg = "it ended before it could be recorded"
            raise TaskSetupError(msg)
        record = ProcessRecord(process.pid, started, time.time(), resources, kill_grace_s)
        sandbox.write_process(record)
    except (TaskSetupError, OSError) as exc:
        _process.abandon(process)
        msg = f"cannot record the task's process: {exc}"
        raise TaskSetupError(msg) from exc
    _process.release(process)
    return record
