"""The embedded launcher: job tasks as processes on this machine."""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from metronome.launch import _cgroups, _process, _sandbox_gc
from metronome.launch._cgroups import TaskCgroup
from metronome.launch._identity import local_identity
from metronome.launch._launcher import (
    HostResources,
    Launcher,
    LaunchError,
    TaskSetupError,
    TaskUpdate,
    UpdateCallback,
)
from metronome.launch._loop_calls import LoopCalls
from metronome.launch._placement import ResourcePool, constraints_match, demand
from metronome.launch._policy import TaskPolicy
from metronome.launch._sandbox import (
    KILLED_MESSAGE,
    Outcome,
    Sandbox,
    exited,
    records_root_of,
)
from metronome.launch._sandbox_output import read_sandbox_output
from metronome.launch._starter import TaskStarter
from metronome.launch._why_queued import on_this_host
from metronome.model import TaskStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from metronome.launch._output import OutputChunk, OutputStream
    from metronome.model import RunSpec

logger = logging.getLogger(__name__)

DEFAULT_KILL_GRACE_S = 5.0
DEFAULT_SANDBOX_RETENTION_S = 7 * 24 * 3600.0
"""How long the sandbox of an ended task is kept (a week, as a Mesos agent's `--gc_delay`);
`--sandbox-retention` sets it."""
_COMMAND_START_WAIT_S = 1.0
_MAX_SWEEP_INTERVAL_S = 3600.0
_CGROUP_REMOVE_TRIES = 20
_CGROUP_REMOVE_RETRY_S = 0.25


class _Phase(enum.Enum):
    QUEUED = "queued"  # waiting for placement
    PREPARING = "preparing"  # placed, resources held: checks and artifacts before the process
    RUNNING = "running"  # its wrapper process runs


@dataclass(eq=False)
class _Task:
    id: str
    sandbox: Sandbox
    resources: HostResources
    kill_grace_s: float
    phase: _Phase
    spec: RunSpec | None = None  # None for a task adopted after a restart
    pid: int = 0  # 0 until its process is started or adopted
    started_at: float = 0.0
    prepare: asyncio.Task[None] | None = None
    cgroup: TaskCgroup | None = None
    watch: _process.ExitWatch | None = None
    killing: asyncio.Task[None] | None = None
    exited: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def status(self) -> TaskStatus:
        return TaskStatus.TASK_RUNNING if self.phase is _Phase.RUNNING else TaskStatus.TASK_STAGING


class LocalLauncher(LoopCalls, Launcher):
    """Runs each task under a small wrapper in its own session, in `<sandbox_root>/<name>/`.

    Everything a restarted launcher needs (pid, exit code, kill request, cgroups) is recorded in
    `<sandbox_root>/../task-records/<name>/`, out of the task's reach, so a new instance on the
    same root reconciles live tasks by adopting them and ended ones with their real exit status,
    and its kills reach only the task's own process group and cgroup. Tasks run as `policy`
    says, in a cgroup that enforces their resources where the kernel has one for us. Calls from
    other threads reach the loop via `call_soon_threadsafe`.
    """

    _what = "local launcher"

    def __init__(
        self,
        sandbox_root: Path,
        *,
        hostname: str,
        attributes: Mapping[str, str],
        capacity: HostResources,
        artifact_timeout_s: float = 300.0,
        artifact_max_bytes: int = 1 << 30,
        sandbox_retention_s: float = DEFAULT_SANDBOX_RETENTION_S,
        policy: TaskPolicy | None = None,
    ) -> None:
        self._root = sandbox_root
        self._records = records_root_of(sandbox_root)
        self._policy = policy or TaskPolicy()
        self._retention_s = sandbox_retention_s
        self._sweeper: asyncio.Task[None] | None = None
        self._hostname = hostname
        self._attributes = {"hostname": hostname, **attributes}
        self._pool = ResourcePool(capacity)
        self._starter = TaskStarter(
            hostname=hostname,
            artifact_timeout_s=artifact_timeout_s,
            artifact_max_bytes=artifact_max_bytes,
            policy=self._policy,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._on_update: UpdateCallback | None = None
        self._tasks: dict[str, _Task] = {}  # queued, preparing or running
        self._queue: dict[str, _Task] = {}  # the queued ones, oldest first
        self._identity = ""

    @property
    def identity(self) -> str:
        """The data dir's (launch/_identity.py): its task records are what adoption needs."""
        return self._identity

    @property
    def host(self) -> str:
        return self._hostname

    async def start(self, on_update: UpdateCallback) -> None:
        self._root.mkdir(parents=True, exist_ok=True)
        self._identity = local_identity(self._root.parent)
        self._records.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._records.chmod(0o700)  # whatever made it: tasks must not even list it
        self._loop = asyncio.get_running_loop()
        self._on_update = on_update
        self._sweeper = self._loop.create_task(self._sweep_sandboxes())
        cgroups, line = _cgroups.detect()
        self._starter.cgroups = cgroups
        logger.info("local launcher started: host %s, sandboxes in %s", self._hostname, self._root)
        if cgroups is not None:
            logger.info("task resources enforced with %s", line)
        else:
            logger.warning("task resources NOT enforced (cpus, mem are bookkeeping only): %s", line)
        if self._policy.server_uid == 0:
            users = ", ".join(sorted(self._policy.allowed_users))
            default = self._policy.task_user
            logger.info("tasks run as %s by default; allowed users: %s", default, users)
            try:
                self._policy.run_as(None)
            except TaskSetupError as exc:
                logger.error("tasks without `user` cannot run (--task-user): %s", exc)

    def isolation(self) -> dict[str, float]:
        """What confines tasks here, as metrics: cgroup version (0: none), users switched."""
        cgroups = self._starter.cgroups
        return {
            "cgroups": float(cgroups.version if cgroups else 0),
            "users": float(self._policy.server_uid == 0),
        }

    async def remove_expired_sandboxes(self) -> int:
        """Remove the sandboxes of tasks that ended over the retention ago; how many went."""
        keep = frozenset(task.sandbox.name for task in self._tasks.values())  # live here
        before = time.time() - self._retention_s
        removed = await asyncio.to_thread(_sandbox_gc.remove_expired, self._root, before, keep)
        if removed:
            ago_s = self._retention_s
            logger.info("removed %d sandboxes of tasks that ended over %.0f s ago", removed, ago_s)
        return removed

    def launch(self, task_id: str, spec: RunSpec) -> None:
        self._call(self._enqueue, Sandbox(self._root, task_id), spec)

    def kill(self, task_id: str) -> None:
        self._call(self._kill, task_id)

    def reconcile(self, task_ids: Iterable[str]) -> None:
        self._call(self._reconcile, list(task_ids))

    def queued(self) -> list[str]:
        # `list` copies the keys in C, holding the GIL: safe from any thread, and O(queue) only
        # when asked, not on every enqueue (a copy per enqueue was quadratic in a 50,000-run burst).
        return list(self._queue)

    async def read_output(
        self, task_id: str, stream: OutputStream, offset: int, length: int
    ) -> OutputChunk:
        return await read_sandbox_output(self._root, task_id, stream, offset, length)

    def why_queued(self, task_id: str) -> str | None:
        task = self._queue.get(task_id)
        if task is None or task.spec is None:
            return None
        return on_this_host(task.spec, self._attributes, self._pool.capacity, self._pool.free)

    async def stop(self) -> None:
        self._loop = None
        pending = []
        if self._sweeper is not None and self._sweeper.cancel():
            pending.append(self._sweeper)
        for task in self._tasks.values():
            if task.watch is not None:
                task.watch.cancel()
            for job in (task.prepare, task.killing):
                if job is not None and job.cancel():
                    pending.append(job)
        await asyncio.gather(*pending, return_exceptions=True)
        await self._starter.close()
        running = sum(task.phase is _Phase.RUNNING for task in self._tasks.values())
        self._tasks.clear()
        self._queue.clear()
        logger.info("local launcher stopped; %d task(s) left running", running)

    async def _sweep_sandboxes(self) -> None:
        interval_s = min(max(self._retention_s / 4, 1.0), _MAX_SWEEP_INTERVAL_S)
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.remove_expired_sandboxes()
            except Exception:
                logger.exception("cannot remove expired sandboxes under %s", self._root)

    def _enqueue(self, sandbox: Sandbox, spec: RunSpec) -> None:
        # Never an exception out of a loop callback: its run would wait for its launch deadline
        # (an hour by default) instead of failing now with the reason.
        task_id = sandbox.task_id
        try:
            self._admit(sandbox, spec)
        except Exception as exc:
            logger.exception("task %s cannot be queued", task_id)
            task = self._tasks.pop(task_id, None)
            self._queue.pop(task_id, None)
            if task is not None and task.phase is not _Phase.QUEUED:
                self._pool.release(task.resources)
            self._emit(task_id, TaskStatus.TASK_FAILED, message=f"cannot queue the task: {exc}")

    def _admit(self, sandbox: Sandbox, spec: RunSpec) -> None:
        task_id = sandbox.task_id
        if task_id in self._tasks or sandbox.exists():
            # Never a second process for one task id: answer with what is known instead.
            logger.warning("task %s was launched before; reporting its status", task_id)
            self._report(task_id)
            return
        grace_s = spec.task_kill_grace_period_s
        task = _Task(
            task_id,
            sandbox,
            demand(spec),
            DEFAULT_KILL_GRACE_S if grace_s is None else max(0.0, grace_s),
            _Phase.QUEUED,
            spec=spec,
        )
        self._tasks[task_id] = task
        self._queue[task_id] = task
        self._place()

    def _place(self) -> None:
        """Start queued tasks in FIFO order while they fit.

        A task that can never be placed here (constraints, more than the capacity) is skipped; one
        that merely waits for resources holds back those behind it, so it cannot starve.
        """
        assert self._loop is not None
        placed: list[tuple[_Task, RunSpec]] = []
        for task in self._queue.values():
            spec = task.spec
            assert spec is not None
            if not constraints_match(spec.constraints, self._attributes):
                continue
            if not self._pool.could_ever_fit(task.resources):
                continue
            if not self._pool.try_reserve(task.resources):
                break
            placed.append((task, spec))
        for task, spec in placed:
            del self._queue[task.id]
            task.phase = _Phase.PREPARING
            self._emit(task.id, TaskStatus.TASK_STAGING)
            task.prepare = self._loop.create_task(self._prepare(task, spec))

    async def _prepare(self, task: _Task, spec: RunSpec) -> None:
        try:
            started = await self._starter.start(
                task.sandbox, spec, task.resources, task.kill_grace_s
            )
        except (TaskSetupError, OSError) as exc:
            self._fail_before_start(task, str(exc))
            return
        except Exception as exc:
            # A bug must not leave the task placed forever, holding its resources.
            logger.exception("task %s: unexpected error while starting it", task.id)
            self._fail_before_start(task, f"internal error while starting the task: {exc!r}")
            return
        task.pid, task.started_at, task.cgroup = started
        self._watch(task, None)  # our child
        logger.debug("task %s started: pid %d", task.id, task.pid)
        self._emit(task.id, TaskStatus.TASK_RUNNING)

    def _fail_before_start(self, task: _Task, message: str) -> None:
        logger.warning("task %s failed before its start: %s", task.id, message)
        try:
            task.sandbox.record_failure(message)
        except OSError:
            logger.exception("cannot record the failure of task %s", task.id)
        self._finish(task, Outcome(TaskStatus.TASK_FAILED, datetime.now(UTC), message))

    def _watch(self, task: _Task, started: int | None) -> None:
        """Follow the task's process; `started` as for `ExitWatch`."""
        assert self._loop is not None
        task.phase = _Phase.RUNNING
        task.watch = _process.ExitWatch(self._loop, task.pid, started, lambda: self._on_exit(task))

    def _on_exit(self, task: _Task) -> None:
        # Stragglers of the group go too, as when Mesos tears down a container. The kernel does not
        # reuse the wrapper's pid while any member lives (or while it is unreaped), so this hits
        # no unrelated group.
        self._signal(task, signal.SIGKILL)
        status = _process.reap(task.pid)
        task.exited.set()
        if task.killing is not None:
            return  # the kill sequence reports the end
        if _process.succeeded(status):  # the common end, told without reading the sandbox
            outcome = exited(0, datetime.now(UTC))
        else:
            outcome = task.sandbox.outcome()
        if status is not None and os.WIFSIGNALED(status) and outcome.exit_code is None:
            message = f"{outcome.message} (killed by signal {os.WTERMSIG(status)})"
            outcome = Outcome(outcome.status, outcome.at, message)
        self._finish(task, _memory_verdict(outcome, task.cgroup, task.resources))

    def _kill(self, task_id: str) -> None:
        task = self._tasks.get(task_id) or self._adopt_or_report(task_id)
        if task is None or task.killing is not None:
            return
        logger.info("killing task %s (%s)", task_id, task.phase.value)
        try:
            task.sandbox.mark_killed()  # so that a restarted launcher reports KILLED too
        except OSError:
            logger.exception("cannot record the kill of task %s", task_id)
        if task.phase is _Phase.RUNNING:
            assert self._loop is not None
            task.killing = self._loop.create_task(self._kill_running(task))
            return
        if task.prepare is not None:
            task.prepare.cancel()
        self._finish(task, _killed())

    async def _kill_running(self, task: _Task) -> None:
        """SIGTERM the task's process group, SIGKILL it after the grace period."""
        assert self._loop is not None
        # A task killed just as it starts gets its SIGTERM once its command runs, or it would be
        # lost; the wait is bounded in case the /proc view misleads.
        deadline = self._loop.time() + _COMMAND_START_WAIT_S
        while not (_process.command_started(task.pid) or task.exited.is_set()):
            if self._loop.time() > deadline:
                break
            await asyncio.sleep(0.002)
        self._signal(task, signal.SIGTERM)
        try:
            await asyncio.wait_for(task.exited.wait(), task.kill_grace_s)
        except TimeoutError:
            logger.info(
                "task %s outlived its %.1f s kill grace: SIGKILL", task.id, task.kill_grace_s
            )
            self._signal(task, signal.SIGKILL)
            await task.exited.wait()
        self._finish(task, _killed())

    @staticmethod
    def _signal(task: _Task, signum: int) -> None:
        """The task's process group, and the members of its cgroup that left the group."""
        _process.signal_group(task.pid, signum)
        if task.cgroup is not None:
            task.cgroup.signal(signum)

    def _reconcile(self, task_ids: list[str]) -> None:
        for task_id in task_ids:
            self._report(task_id)

    def _report(self, task_id: str) -> None:
        task = self._tasks.get(task_id)
        if task is not None:
            self._emit(task_id, task.status)
        else:
            self._adopt_or_report(task_id)

    def _adopt_or_report(self, task_id: str) -> _Task | None:
        """Adopt a live task an earlier launcher started, or report its recorded end (or LOST)."""
        try:
            sandbox = Sandbox(self._root, task_id)
            known = sandbox.exists()
            record = sandbox.read_process() if known else None
        except (LaunchError, OSError) as exc:
            # An impossible id or a corrupt record: nothing sure is known of the task.
            logger.error("cannot reconcile task %s: %s", task_id, exc)
            known = False
        if not known:
            self._emit(task_id, TaskStatus.TASK_LOST, message="unknown task")
            return None
        cgroup = None if record is None else TaskCgroup.recorded(record.cgroups)
        if record is None or not _process.is_alive(record.pid, record.start_time):
            outcome = sandbox.outcome()
            if record is not None:
                outcome = _memory_verdict(outcome, cgroup, record.resources)
            if cgroup is not None:
                cgroup.remove()
            self._emit(task_id, outcome.status, outcome.at, outcome.message, outcome.exit_code)
            return None
        task = _Task(task_id, sandbox, record.resources, record.kill_grace_s, _Phase.RUNNING)
        task.cgroup = cgroup
        task.pid = record.pid
        task.started_at = record.started_at
        self._pool.reserve(task.resources)
        self._tasks[task_id] = task
        self._watch(task, record.start_time)
        logger.info("adopted running task %s: pid %d", task_id, record.pid)
        self._emit(task_id, TaskStatus.TASK_RUNNING)
        if sandbox.kill_requested():
            # The previous launcher died while killing it: finish the job.
            self._kill(task_id)
        return task

    def _finish(self, task: _Task, outcome: Outcome) -> None:
        del self._tasks[task.id]
        self._queue.pop(task.id, None)
        if task.watch is not None:
            task.watch.cancel()
        if task.phase is not _Phase.QUEUED:
            self._pool.release(task.resources)
        if task.cgroup is not None:
            self._remove_cgroup(task.cgroup, _CGROUP_REMOVE_TRIES)
        elapsed_s = time.time() - task.started_at if task.started_at else 0.0
        # A success is logged by its run's own end line: two lines per run instead of four.
        logger.log(
            logging.DEBUG if outcome.status is TaskStatus.TASK_FINISHED else logging.INFO,
            "task %s ended %s: pid %s, exit code %s, after %.3f s%s",
            task.id,
            outcome.status.value,
            task.pid or "none",
            outcome.exit_code,
            elapsed_s,
            f" ({outcome.message})" if outcome.message else "",
        )
        self._emit(task.id, outcome.status, None, outcome.message, outcome.exit_code)
        if self._loop is not None:
            self._place()

    def _remove_cgroup(self, cgroup: TaskCgroup, tries: int) -> None:
        """Remove a task's cgroup once the kernel has let its last member go."""
        if not cgroup.pids():
            cgroup.remove()
        elif tries > 1 and self._loop is not None:
            retry = self._remove_cgroup
            self._loop.call_later(_CGROUP_REMOVE_RETRY_S, retry, cgroup, tries - 1)
        else:
            logger.warning("cgroup %s still has processes: left in place", cgroup.paths[0])

    def _emit(
        self,
        task_id: str,
        status: TaskStatus,
        at: datetime | None = None,
        message: str | None = None,
        exit_code: int | None = None,
    ) -> None:
        assert self._on_update is not None
        update = TaskUpdate(task_id, status, at or datetime.now(UTC), message, exit_code)
        try:
            self._on_update(update)
        except Exception:
            logger.exception("task update handler failed on %s", update)


def _memory_verdict(
    outcome: Outcome, cgroup: TaskCgroup | None, resources: HostResources
) -> Outcome:
    """A failed task's outcome, saying so when the kernel killed it for its memory limit."""
    if outcome.status is not TaskStatus.TASK_FAILED or cgroup is None or not cgroup.oom_killed():
        return outcome
    message = (
        f"memory limit exceeded: the task used more than its mem of {resources.mem:g} MB and "
        f"the kernel killed it ({outcome.message})"
    )
    return Outcome(outcome.status, outcome.at, message, outcome.exit_code)


def _killed() -> Outcome:
    return Outcome(TaskStatus.TASK_KILLED, datetime.now(UTC), KILLED_MESSAGE)
