"""Per-task cgroups: `mem` as a hard limit, `cpus` as shares and a CFS quota, a pids limit.

cgroup v2 where it is mounted with the controllers delegated to us, else the v1 `memory`, `cpu`
and `pids` hierarchies. Groups are made under the server's own cgroup (`<own>/metronome/<task>`),
so that a server confined by systemd or a container keeps its tasks inside its own bounds. The
task's wrapper (still the server's user) enters its groups itself before its command starts, so
every process of the task is in them; the directories are recorded with the task, so that a
restarted server finds them again. All of this blocks: call it off the event loop.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from metronome.launch._launcher import HostResources

logger = logging.getLogger(__name__)

_V1_CONTROLLERS = ("memory", "cpu", "pids")  # memory first: see `TaskCgroup.oom_killed`
_V2_CONTROLLERS = ("memory", "cpu", "pids")
_GROUP = "metronome"
_CFS_PERIOD_US = 100_000
_MIN_QUOTA_US = 1_000
_MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """What a task's cgroup enforces."""

    mem_mb: float
    cpus: float
    pids_max: int

    @classmethod
    def of(cls, resources: HostResources, pids_max: int) -> Limits:
        return cls(resources.mem, resources.cpus, pids_max)


class TaskCgroup:
    """The cgroup directories of one task (one per v1 controller, or one v2 group)."""

    def __init__(self, paths: Sequence[str], version: int) -> None:
        self.paths = tuple(paths)
        self.version = version

    @classmethod
    def recorded(cls, paths: Sequence[str]) -> TaskCgroup | None:
        """The group of a task from its process record; None if it had none."""
        if not paths:
            return None
        version = 2 if Path(paths[0], "cgroup.type").exists() else 1
        return cls(paths, version)

    @property
    def procs_files(self) -> tuple[str, ...]:
        return tuple(os.path.join(path, "cgroup.procs") for path in self.paths)

    def pids(self) -> list[int]:
        """The live members (read from one hierarchy: the wrapper joined them all)."""
        try:
            text = Path(self.paths[0], "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(line) for line in text.split()]

    def signal(self, signum: int) -> None:
        """Signal every member, those that left the task's process group too."""
        if signum == signal.SIGKILL and self.version == 2:
            try:
                Path(self.paths[0], "cgroup.kill").write_text("1")
            except OSError:
                pass
            else:
                return
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def oom_killed(self) -> bool:
        """Whether the kernel killed a member for going over the memory limit."""
        # v1 groups are recorded memory first (`_V1_CONTROLLERS`).
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        path = self.paths[0]
        try:
            text = Path(path, name).read_text()
        except OSError:
            return False
        counts = dict(line.split() for line in text.splitlines() if line.count(" ") == 1)
        return int(counts.get("oom_kill", "0")) > 0

    def remove(self) -> None:
        """Remove the directories of a group whose members are gone."""
        for path in self.paths:
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                logger.debug("cannot remove cgroup %s yet: %s", path, exc)


class Cgroups:
    """Makes task cgroups under one parent per hierarchy."""

    def __init__(self, version: int, parents: Sequence[tuple[str, Path]]) -> None:
        """`parents`: (v1 controller, or "" for v2, and the directory task groups go in)."""
        self.version = version
        self._parents = tuple(parents)

    def describe(self) -> str:
        where = ", ".join(str(path) for _, path in self._parents)
        return f"cgroup v{self.version} (memory, cpu, pids) under {where}"

    def create(self, name: str, limits: Limits) -> TaskCgroup:
        """A new group for the task `name`, its limits set.

        Raises:
            OSError: a directory or a limit cannot be written.
        """
        paths = []
        try:
            for controller, parent in self._parents:
                path = parent / name
                if path.is_dir():  # left by an earlier task of this name whose end was missed
                    path.rmdir()
                path.mkdir()
                paths.append(str(path))
                self._limit(controller, path, limits)
        except OSError:
            TaskCgroup(paths, self.version).remove()
            raise
        return TaskCgroup(paths, self.version)

    def _limit(self, controller: str, path: Path, limits: Limits) -> None:
        mem = str(int(limits.mem_mb * _MB))
        quota = str(max(_MIN_QUOTA_US, int(limits.cpus * _CFS_PERIOD_US)))
        if self.version == 2:
            _write(path, "memory.max", mem)
            _write(path, "memory.swap.max", "0", optional=True)
            _write(path, "cpu.weight", str(min(10_000, max(1, round(limits.cpus * 100)))))
            _write(path, "cpu.max", f"{quota} {_CFS_PERIOD_US}")
            _write(path, "pids.max", str(limits.pids_max))
            return
        if controller == "memory":
            _write(path, "memory.limit_in_bytes", mem)
            # Without swap in the limit a task would swap past its `mem`.
            _write(path, "memory.memsw.limit_in_bytes", mem, optional=True)
        elif controller == "cpu":
            _write(path, "cpu.shares", str(max(2, int(limits.cpus * 1024))))
            _write(path, "cpu.cfs_period_us", str(_CFS_PERIOD_US))
            _write(path, "cpu.cfs_quota_us", quota)
        else:
            _write(path, "pids.max", str(limits.pids_max))


def _write(directory: Path, name: str, value: str, *, optional: bool = False) -> None:
    try:
        (directory / name).write_text(value)
    except FileNotFoundError:
        if not optional:
            raise


def detect() -> tuple[Cgroups | None, str]:
    """The cgroups tasks get here, and a line saying what is enforced (or why nothing is)."""
    if os.geteuid() != 0:
        return None, "the server is not root"
    try:
        mounts = _cgroup_mounts()
        own = _own_cgroups()
    except OSError as exc:
        return None, f"cannot read this process's cgroups: {exc}"
    v2 = _v2(mounts, own)
    if v2 is not None:
        return v2, v2.describe()
    v1 = _v1(mounts, own)
    if v1 is not None:
        return v1, v1.describe()
    return None, "no writable cgroup v2 with memory/cpu/pids, nor v1 memory, cpu and pids"


def _cgroup_mounts() -> list[tuple[str, str, set[str]]]:
    """(fstype, mount point, super options) of each cgroup file system."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fstype, _source, options = [*right.split(), "", ""][:3]
        if fstype in ("cgroup", "cgroup2"):
            found.append((fstype, left.split()[4], set(options.split(","))))
    return found


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup path per v1 controller, and "" for v2."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _id, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            own[controller] = path
    return own


def _v2(mounts: Iterable[tuple[str, str, set[str]]], own: dict[str, str]) -> Cgroups | None:
    mount = next((point for fstype, point, _ in mounts if fstype == "cgroup2"), None)
    if mount is None or "" not in own:
        return None
    here = Path(mount + own[""])
    try:
        available = set((here / "cgroup.controllers").read_text().split())
        if not set(_V2_CONTROLLERS) <= available:
            return None
        parent = here / _GROUP
        parent.mkdir(exist_ok=True)
        # Delegation: the controllers must be enabled on each level above the task groups, and
        # a cgroup with processes of its own (but the root) cannot enable them (v2's
        # no-internal-process rule): the server's processes move to a leaf first, as under
        # systemd's `Delegate=yes`. Without the right to do so this ends as an OSError.
        enable = " ".join(f"+{name}" for name in _V2_CONTROLLERS)
        try:
            (here / "cgroup.subtree_control").write_text(enable)
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            _move_to_leaf(here)
            (here / "cgroup.subtree_control").write_text(enable)
        (parent / "cgroup.subtree_control").write_text(enable)
    except OSError as exc:
        logger.info("cgroup v2 at %s not usable for tasks: %s", here, exc)
        return None
    return Cgroups(2, [("", parent)])


def _move_to_leaf(group: Path) -> None:
    """Move the processes of `group` (this server's) into its child `server`."""
    leaf = group / "server"
    leaf.mkdir(exist_ok=True)
    for pid in (group / "cgroup.procs").read_text().split():
        with contextlib.suppress(ProcessLookupError):
            (leaf / "cgroup.procs").write_text(pid)
    logger.info("moved this server's processes to %s, to delegate controllers to tasks", leaf)


def _v1(mounts: Iterable[tuple[str, str, set[str]]], own: dict[str, str]) -> Cgroups | None:
    parents = []
    for controller in _V1_CONTROLLERS:
        point = next(
            (p for fstype, p, opts in mounts if fstype == "cgroup" and controller in opts), None
        )
        if point is None or controller not in own:
            return None
        parent = Path(point + own[controller].rstrip("/")) / _GROUP
        try:
            parent.mkdir(exist_ok=True)
        except OSError as exc:
            logger.info("cgroup v1 %s not usable for tasks: %s", controller, exc)
            return None
        parents.append((controller, parent))
    return Cgroups(1, parents)
