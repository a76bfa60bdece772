"""What a fake agent's command executor does: fetch URIs, run the command as a local process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from metronome.fakemesos._state import Agent, Settings, Task

logger = logging.getLogger(__name__)

_TARS = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


class Reporter(Protocol):
    def __call__(
        self, task: Task, state: str, message: str | None = None, reason: str | None = None
    ) -> None: ...


class _LaunchFailed(Exception):
    """The container could not be set up; the message says why."""


class CommandExecutor:
    """Runs command tasks like Mesos's command executor (mesos-protocol.md §4.5)."""

    def __init__(self, settings: Settings, report: Reporter) -> None:
        self._settings = settings
        self._report = report
        self._reaping: set[asyncio.Task[int]] = set()

    def launch(self, task: Task, agent: Agent) -> None:
        task.runner = asyncio.create_task(self._run(task, agent), name=f"task {task.id}")

    async def kill(self, task: Task, grace_s: float | None) -> None:
        """SIGTERM the process group, SIGKILL after the grace period; the run reports KILLED."""
        if task.killing or task.released:
            return
        task.killing = True
        if task.process is None:
            if task.runner is not None:
                task.runner.cancel()
            self._report(
                task,
                "TASK_KILLED",
                "Killed before the command started",
                "REASON_TASK_KILLED_DURING_LAUNCH",
            )
            return
        _signal_group(task.process.pid, signal.SIGTERM)
        grace = grace_s if grace_s is not None else task.kill_grace_s
        try:
            await asyncio.wait_for(
                asyncio.shield(task.process.wait()),
                self._settings.kill_grace_s if grace is None else grace,
            )
        except TimeoutError:
            _signal_group(task.process.pid, signal.SIGKILL)

    def abandon(self, task: Task) -> None:
        """End the task's processes without any update (its agent or framework is gone)."""
        task.killing = True
        if task.runner is not None:
            task.runner.cancel()
        if task.process is not None:
            _signal_group(task.process.pid, signal.SIGKILL)
            reap = asyncio.create_task(task.process.wait())
            self._reaping.add(reap)
            reap.add_done_callback(self._reaping.discard)

    async def close(self) -> None:
        """Wait until every abandoned process is reaped."""
        await asyncio.gather(*self._reaping, return_exceptions=True)

    async def _run(self, task: Task, agent: Agent) -> None:
        if self._settings.launch_delay_s:
            await asyncio.sleep(self._settings.launch_delay_s)
        self._report(task, "TASK_STARTING")
        try:
            argv, executable = self._command(task.info)
            task.sandbox.mkdir(parents=True, exist_ok=True)
            for uri in task.info.get("command", {}).get("uris", []):
                await asyncio.to_thread(_fetch, uri, task.sandbox)
            env = self._env(task, agent)
            with (
                (task.sandbox / "stdout").open("wb") as out,
                (task.sandbox / "stderr").open("wb") as err,
            ):
                task.process = await asyncio.create_subprocess_exec(
                    *argv, executable=executable, cwd=task.sandbox, env=env,
                    stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=err,
                    start_new_session=True,
                )  # fmt: skip
        except (_LaunchFailed, OSError, shutil.ReadError) as exc:
            self._report(
                task,
                "TASK_FAILED",
                f"Failed to launch container: {exc}",
                "REASON_CONTAINER_LAUNCH_FAILED",
            )
            return
        self._report(task, "TASK_RUNNING")
        code = await task.process.wait()
        _signal_group(task.process.pid, signal.SIGKILL)  # stragglers go with the container
        # The command executor says "Command ...", the Docker executor "Container ..." (WSTRINGIFY).
        docker = task.info.get("container", {}).get("type") == "DOCKER"
        what = "Container" if docker else "Command"
        message = (
            f"{what} terminated with signal {signal.strsignal(-code)}"
            if code < 0
            else f"{what} exited with status {code}"
        )
        if task.killing:
            self._report(task, "TASK_KILLED", message)
        else:
            self._report(task, "TASK_FINISHED" if code == 0 else "TASK_FAILED", message)

    def _command(self, info: dict[str, Any]) -> tuple[list[str], str | None]:
        container = info.get("container")
        if container is not None:
            image = container.get("docker", {}).get("image") or container.get("mesos", {}).get(
                "image"
            )
            if image and not self._settings.run_containers_on_host:
                msg = "this fake agent has no container runtime"
                raise _LaunchFailed(msg)
        command = info.get("command", {})
        if command.get("shell", True):
            if "value" not in command:
                msg = "a shell command needs a value"
                raise _LaunchFailed(msg)
            return ["/bin/sh", "-c", command["value"]], None
        arguments = command.get("arguments") or []
        value = command.get("value") or (arguments[0] if arguments else None)
        if value is None:
            msg = "no command to run (an image's entrypoint needs a container runtime)"
            raise _LaunchFailed(msg)
        return list(arguments) or [value], shutil.which(value, path=os.environ.get("PATH")) or value

    def _env(self, task: Task, agent: Agent) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "MESOS_SANDBOX": str(task.sandbox),
            "MESOS_DIRECTORY": str(task.sandbox),
            "MESOS_TASK_ID": task.id,
            "MESOS_FRAMEWORK_ID": task.framework_id,
            "MESOS_EXECUTOR_ID": task.id,
            "MESOS_AGENT_ID": agent.id,
            "MESOS_AGENT_ENDPOINT": f"127.0.0.1:{agent.port}",
        }
        variables = task.info.get("command", {}).get("environment", {}).get("variables", [])
        env.update({v["name"]: v.get("value", "") for v in variables})
        return env


def _fetch(uri: dict[str, Any], sandbox: Path) -> None:
    """Fetch a local (`file://` or plain path) URI; other schemes fail like an unreachable host."""
    parts = urlsplit(uri["value"])
    if parts.scheme not in ("", "file"):
        msg = f"cannot fetch {uri['value']}: this fake fetcher reads local files only"
        raise _LaunchFailed(msg)
    source = Path(unquote(parts.path))
    target = sandbox / (uri.get("output_file") or source.name)
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        msg = f"Failed to fetch '{uri['value']}': {exc.strerror}"
        raise _LaunchFailed(msg) from exc
    if uri.get("executable"):
        target.chmod(target.stat().st_mode | 0o111)
    elif uri.get("extract", True) and target.name.endswith(_TARS):
        shutil.unpack_archive(target, sandbox, filter="data")
    elif uri.get("extract", True) and target.name.endswith(".zip"):
        shutil.unpack_archive(target, sandbox)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)
