"""What the operator lets a task be: who it runs as, what it may fetch, which Docker options.

One policy serves the API (a 422 before a job is stored) and the local launcher (a run refused
at launch, for jobs stored before the operator tightened it).
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from metronome.launch._launcher import TaskSetupError

if TYPE_CHECKING:
    from pathlib import Path

    from metronome.config import Settings
    from metronome.model import RunSpec

DEFAULT_TASK_USER = "nobody"
DEFAULT_PIDS_MAX = 4096


@dataclass(frozen=True, slots=True)
class Refusal:
    """One thing a run spec asks that the policy does not allow, at its JSON path."""

    path: str
    message: str


@dataclass(frozen=True, slots=True)
class RunAs:
    """Another user the task runs as (only when the server is root)."""

    name: str
    uid: int
    gid: int
    groups: tuple[int, ...]
    home: str


@dataclass(frozen=True)
class TaskPolicy:
    """The operator's rules for tasks (flags `--task-user`, `--task-users`, ...)."""

    task_user: str = DEFAULT_TASK_USER
    """Whom a task without `user` runs as when the server is root."""
    task_users: frozenset[str] = frozenset()
    """Further users a job may name; root only if listed here (or as `task_user`)."""
    artifact_dirs: tuple[Path, ...] = ()
    """The only directories `file://` artifacts may come from."""
    allow_loopback_artifacts: bool = False
    docker_privileged: bool = False
    docker_parameters: frozenset[str] = frozenset()
    """Keys of Docker `parameters` a job may pass (`memory`, `label`, ...)."""
    pids_max: int = DEFAULT_PIDS_MAX
    server_uid: int = field(default_factory=os.geteuid)

    @classmethod
    def from_settings(cls, settings: Settings) -> TaskPolicy:
        return cls(
            task_user=settings.task_user,
            task_users=frozenset(settings.task_users),
            artifact_dirs=tuple(settings.artifact_dirs),
            allow_loopback_artifacts=settings.allow_loopback_artifacts,
            docker_privileged=settings.docker_privileged,
            docker_parameters=frozenset(settings.docker_parameters),
            pids_max=settings.task_pids_max,
        )

    @property
    def allowed_users(self) -> frozenset[str]:
        return self.task_users | {self.task_user}

    def refusals(self, run: RunSpec) -> list[Refusal]:
        """What in `run` this policy refuses; empty when it may run."""
        found = []
        if run.user is not None and run.user not in self.allowed_users:
            allowed = ", ".join(sorted(self.allowed_users))
            msg = f"user '{run.user}' may not run tasks here; allowed: {allowed} (--task-users)"
            found.append(Refusal("/run/user", msg))
        if run.docker is not None:
            if run.docker.privileged and not self.docker_privileged:
                msg = "privileged containers are not allowed here (--docker-privileged)"
                found.append(Refusal("/run/docker/privileged", msg))
            for index, parameter in enumerate(run.docker.parameters):
                if parameter.key not in self.docker_parameters:
                    allowed = ", ".join(sorted(self.docker_parameters)) or "none"
                    msg = (
                        f"docker parameter '{parameter.key}' is not allowed here; allowed: "
                        f"{allowed} (--docker-parameters)"
                    )
                    found.append(Refusal(f"/run/docker/parameters({index})/key", msg))
        return found

    def check(self, run: RunSpec) -> None:
        """Raises:
        TaskSetupError: naming the first refusal and its path.
        """
        refused = self.refusals(run)
        if refused:
            msg = f"refused by this server's task policy at {refused[0].path}: {refused[0].message}"
            raise TaskSetupError(msg)

    def run_as(self, user: str | None) -> RunAs | None:
        """Whom a task asking for `user` runs as; None means the server's own user.

        Raises:
            TaskSetupError: the user does not exist, or the server cannot switch to it.
        """
        if user is None and self.server_uid == 0:
            user = self.task_user
        return resolve_user(user, self.server_uid)


def resolve_user(user: str | None, server_uid: int | None = None) -> RunAs | None:
    """`user`'s identity; None for no user or the server's own.

    Raises:
        TaskSetupError: the user does not exist, or the server cannot switch to it.
    """
    if user is None:
        return None
    uid = os.geteuid() if server_uid is None else server_uid
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        msg = f"user '{user}' does not exist on this host"
        raise TaskSetupError(msg) from None
    if entry.pw_uid == uid:
        return None
    if uid != 0:
        current = pwd.getpwuid(uid).pw_name
        msg = f"cannot run the task as user '{user}': the launcher runs as '{current}', not root"
        raise TaskSetupError(msg)
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return RunAs(entry.pw_name, entry.pw_uid, entry.pw_gid, groups, entry.pw_dir)
