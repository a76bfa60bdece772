"""Docker-image tasks: find a container runtime that works here and build its command line."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from metronome.model import RunSpec

logger = logging.getLogger(__name__)

SANDBOX_IN_CONTAINER = "/mnt/mesos/sandbox"
_RUNTIMES = ("docker", "podman")
_PROBE_TIMEOUT_S = 10.0


def probe_runtime() -> str | None:
    """Path of the first runtime whose `info` succeeds (its engine is reachable), else None.

    Blocks: run it in an executor.
    """
    for name in _RUNTIMES:
        path = shutil.which(name)
        if path is None:
            continue
        try:
            result = subprocess.run(
                [path, "info"], capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.info("container runtime %s unusable: %s", path, exc)
            continue
        if result.returncode == 0:
            logger.info("container runtime: %s", path)
            return path
        reason = result.stderr.decode(errors="replace").strip().splitlines()[-1:]
        logger.info("container runtime %s unusable: %s", path, reason[0] if reason else "")
    return None


def container_argv(
    runtime: str, task_name: str, spec: RunSpec, sandbox: str, env: Mapping[str, str]
) -> list[str]:
    """The `run` command line for a task whose spec has a docker image; `task_name` is its
    sandbox's name (its id, or a bounded form of a long one)."""
    assert spec.docker is not None
    # Container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*.
    name = "metronome-" + re.sub(r"[^a-zA-Z0-9_.-]", "-", task_name)
    argv = [runtime, "run", "--rm", "--name", name, "-v", f"{sandbox}:{SANDBOX_IN_CONTAINER}"]
    argv += ["-w", SANDBOX_IN_CONTAINER]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    # The limits a Mesos agent's Docker containerizer sets too; the task's own cgroup is the
    # runtime's, not ours.
    argv += [f"--cpu-shares={max(2, int(spec.cpus * 1024))}", f"--memory={int(spec.mem)}m"]
    if spec.user:
        argv += ["--user", spec.user]
    if spec.docker.privileged:
        argv.append("--privileged")
    if spec.docker.force_pull_image:
        argv.append("--pull=always")
    for volume in spec.volumes:
        argv += ["-v", f"{volume.host_path}:{volume.container_path}:{volume.mode.value.lower()}"]
    argv += [f"--{parameter.key}={parameter.value}" for parameter in spec.docker.parameters]
    argv.append(spec.docker.image)
    if spec.cmd is not None:
        argv += ["/bin/sh", "-c", spec.cmd]
    elif spec.args:
        argv += list(spec.args)
    return argv
