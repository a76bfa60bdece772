"""Turning a placed task into a running, recorded process: checks, artifacts, spawn, record."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple

from metronome.launch import _confine, _process
from metronome.launch._artifacts import ArtifactFetcher, ArtifactRules
from metronome.launch._cgroups import Limits, TaskCgroup
from metronome.launch._container import SANDBOX_IN_CONTAINER, container_argv, probe_runtime
from metronome.launch._launcher import TaskSetupError
from metronome.launch._policy import TaskPolicy
from metronome.launch._sandbox import record_fields

if TYPE_CHECKING:
    import subprocess

    from metronome.launch._cgroups import Cgroups
    from metronome.launch._launcher import HostResources
    from metronome.launch._policy import RunAs
    from metronome.launch._sandbox import Sandbox
    from metronome.model import RunSpec


class Started(NamedTuple):
    """A task's released wrapper process."""

    pid: int
    started_at: float
    """When it was started, in seconds since the epoch (also in its process record)."""
    cgroup: TaskCgroup | None


SPAWN_THREADS = 4
"""Tasks being spawned at once: enough to keep both cores busy forking, few enough to bound
the burst of new processes."""


class _Plan(NamedTuple):
    """How one task is spawned: decided on the loop, carried out in a spawn thread."""

    command: str | list[str]
    env: dict[str, str]
    owner: tuple[int, int] | None
    prefix: list[str]
    limits: Limits | None


class TaskStarter:
    """Starts tasks in their sandboxes; holds what is shared between starts (HTTP client, probe)."""

    def __init__(
        self,
        *,
        hostname: str,
        artifact_timeout_s: float,
        artifact_max_bytes: int,
        policy: TaskPolicy | None = None,
    ) -> None:
        self._hostname = hostname
        self._policy = policy or TaskPolicy()
        self.cgroups: Cgroups | None = None
        """Where task cgroups are made; None: tasks run without (the launcher finds them)."""
        rules = ArtifactRules(self._policy.artifact_dirs, self._policy.allow_loopback_artifacts)
        self._fetcher = ArtifactFetcher(
            timeout_s=artifact_timeout_s, max_bytes=artifact_max_bytes, rules=rules
        )
        self._runtime: asyncio.Future[str | None] | None = None
        # fork/exec and the sandbox's files cost about 1 ms of system time each: on the event
        # loop they stalled the API under bursts of runs (docs/benchmarks.md), so they run here.
        self._spawner = ThreadPoolExecutor(max_workers=SPAWN_THREADS, thread_name_prefix="spawn")

    async def start(
        self, sandbox: Sandbox, spec: RunSpec, resources: HostResources, kill_grace_s: float
    ) -> Started:
        """Check, fetch, spawn; returns the released process, a child of this one, which records
        itself in its records, then runs the command.

        Cancelled before it returns, it leaves no command running: a wrapper being spawned
        meanwhile exits without running its command.

        Raises:
            TaskSetupError: the task cannot start; the message says why.
            OSError: the sandbox cannot be written.
        """
        self._policy.check(spec)
        run_as = None if spec.docker else self._policy.run_as(spec.user)
        volumes = () if spec.docker else spec.volumes
        _confine.check_volumes(volumes, self._policy.server_uid, run_as)
        if run_as is not None and shutil.which("setpriv") is None:
            msg = f"running a task as user '{run_as.name}' needs setpriv (util-linux) on this host"
            raise TaskSetupError(msg)
        command, env = await self._command(sandbox, spec, run_as)
        limits = None if self.cgroups is None else Limits.of(resources, self._policy.pids_max)
        owner = None if run_as is None else (run_as.uid, run_as.gid)
        if run_as is not None:
            env = _confine.sealed_env(env)
        shell = isinstance(command, str)
        plan = _Plan(command, env, owner, _confine.prefix(run_as, volumes, shell=shell), limits)
        loop = asyncio.get_running_loop()
        if spec.artifacts:
            # The sandbox stays the server's until all is fetched (see `_artifacts`).
            await loop.run_in_executor(self._spawner, sandbox.create, None)
            await self._fetcher.fetch_all(spec.artifacts, sandbox.path, run_as)
            if owner is not None:
                await loop.run_in_executor(self._spawner, sandbox.hand_over, *owner)
        started_at = time.time()
        spawning = self._spawner.submit(
            self._spawn, plan, sandbox, started_at, resources, kill_grace_s
        )
        try:
            process, started, cgroup = await asyncio.shield(asyncio.wrap_future(spawning))
        except asyncio.CancelledError:
            # The thread may be spawning it right now. The callback runs in that thread, or
            # here if it is done: never on the loop, which may be closing (a server stopping).
            spawning.add_done_callback(_abandon)
            raise
        _process.release(process, started)
        return Started(process.pid, started_at, cgroup)

    async def close(self) -> None:
        await self._fetcher.close()
        self._spawner.shutdown(wait=False)

    def _spawn(
        self,
        plan: _Plan,
        sandbox: Sandbox,
        started_at: float,
        resources: HostResources,
        kill_grace_s: float,
    ) -> tuple[subprocess.Popen[bytes], int, TaskCgroup | None]:
        """Off the loop: the sandbox, the cgroup, the wrapper waiting for its release, and its
        start time: one hand-over to this thread for all of them.

        Raises:
            TaskSetupError: the process could not be created, or ended at once.
            OSError: the sandbox or the cgroup cannot be written.
        """
        sandbox.create(plan.owner)
        cgroup = None
        if self.cgroups is not None and plan.limits is not None:
            cgroup = self.cgroups.create(sandbox.name, plan.limits)
        paths = cgroup.paths if cgroup else ()
        fields = record_fields(started_at, resources, kill_grace_s, paths)
        procs = cgroup.procs_files if cgroup else ()
        try:
            process, started = _process.spawn(
                plan.command, sandbox, plan.env, plan.prefix, procs, fields
            )
        except BaseException:
            if cgroup is not None:
                cgroup.remove()
            raise
        if started is None:  # already gone (killed by someone else): nothing to release
            assert process.stdin is not None
            process.stdin.close()
            process.wait()
            if cgroup is not None:
                cgroup.remove()
            msg = "the task's process ended before it could be released"
            raise TaskSetupError(msg)
        return process, started, cgroup

    async def _command(
        self, sandbox: Sandbox, spec: RunSpec, run_as: RunAs | None
    ) -> tuple[str | list[str], dict[str, str]]:
        """What the wrapper runs (a shell command line, or argv) and the environment it gets."""
        task_id, path = sandbox.task_id, str(sandbox.path)
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
        # The container is named after the sandbox: a name that fits whatever the id.
        return container_argv(runtime, sandbox.name, spec, path, inside), client_env

    async def _container_runtime(self) -> str | None:
        """The working container runtime, probed once."""
        if self._runtime is None:
            self._runtime = asyncio.get_running_loop().run_in_executor(None, probe_runtime)
        # Shielded: a task killed while waiting must not cancel the probe the others share.
        return await asyncio.shield(self._runtime)


def _abandon(
    spawning: concurrent.futures.Future[tuple[subprocess.Popen[bytes], int, TaskCgroup | None]],
) -> None:
    """Make a wrapper spawned for a start that was cancelled exit without running its command
    (EOF instead of "go"), reap it and remove its cgroup: it was the cgroup's only member."""
    if spawning.cancelled() or spawning.exception() is not None:
        return
    process, _, cgroup = spawning.result()
    assert process.stdin is not None
    process.stdin.close()
    process.wait()  # at once: a wrapper that reads EOF exits
    if cgroup is not None:
        cgroup.remove()
