"""TaskInfo from a run spec (as Metronome and Marathon build it, §3.5) and Mesos states to ours."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.launch._launcher import TaskSetupError, TaskUpdate
from metronome.launch._mesos_config import ContainerKind
from metronome.model import TaskStatus

if TYPE_CHECKING:
    from metronome.model import RunSpec

# `<job id, dots as underscores>_<run id: yyyyMMddHHmmss + 5 alphanumerics>.<uuid>` (model/_ids.py)
_TASK_ID = re.compile(r"(?P<job>[a-z0-9_-]+)_(?P<run>[0-9]{14}[A-Za-z0-9]{5})\.[^.]+")
# The command executor writes "Command exited ...", the Docker executor "Container exited ...".
_EXITED = re.compile(r"(?:Command|Container) exited with status (-?[0-9]+)")
_NANOS = 1_000_000_000
# A relaunch runs under `<task id>.r<6 hex>`: a new Mesos id, the run's id still readable in it.
_RELAUNCH = re.compile(r"(?P<task>.+)\.r[0-9a-f]{6}")

STATES: dict[str, TaskStatus] = {
    "TASK_STAGING": TaskStatus.TASK_STAGING,
    "TASK_STARTING": TaskStatus.TASK_STARTING,
    "TASK_RUNNING": TaskStatus.TASK_RUNNING,
    "TASK_KILLING": TaskStatus.TASK_RUNNING,  # Metronome's TaskState.scala does the same
    "TASK_FINISHED": TaskStatus.TASK_FINISHED,
    "TASK_FAILED": TaskStatus.TASK_FAILED,
    "TASK_ERROR": TaskStatus.TASK_FAILED,
    "TASK_KILLED": TaskStatus.TASK_KILLED,
    "TASK_LOST": TaskStatus.TASK_LOST,
    "TASK_DROPPED": TaskStatus.TASK_LOST,
    "TASK_UNREACHABLE": TaskStatus.TASK_LOST,
    "TASK_GONE": TaskStatus.TASK_LOST,
    "TASK_GONE_BY_OPERATOR": TaskStatus.TASK_LOST,
    "TASK_UNKNOWN": TaskStatus.TASK_LOST,
}
NOT_RUNNING = frozenset({"TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR", "TASK_UNKNOWN"})
"""States saying a task runs on no agent the master can see (§5.5): DROPPED never started, GONE
is not on its registered agent, GONE_BY_OPERATOR is on an agent the operator declared gone,
UNKNOWN is on no registered agent. Not UNREACHABLE or LOST: those may still run (and return).
A task in one of these that never reported is launched again, under a new id (UNKNOWN's may
still run on an agent cut off from the master, whose id the master will not take again)."""


def relaunch_id(task_id: str) -> str:
    """A new Mesos task id for launching `task_id` again."""
    return f"{task_id}.r{secrets.token_hex(3)}"


def logical_id(mesos_id: str) -> str:
    """The launcher's task id (the run's) a Mesos task id belongs to: itself, or what it
    relaunches."""
    match = _RELAUNCH.fullmatch(mesos_id)
    return mesos_id if match is None else match["task"]


def job_and_run(task_id: str) -> tuple[str, str] | None:
    """The job id and run id a task id (or a relaunch's) names, if it has the run actors' form."""
    match = _TASK_ID.fullmatch(logical_id(task_id))
    if match is None:
        return None
    return match["job"].replace("_", "."), match["run"]


def check_spec(spec: RunSpec) -> None:
    """Raises TaskSetupError if no TaskInfo can be built from the spec, or the master would refuse
    it (TASK_ERROR, `validateContainerInfo`): said before anything is offered, in our terms."""
    if spec.docker is None and spec.cmd is None and not spec.args:
        msg = "the run spec has neither cmd nor args"
        raise TaskSetupError(msg)
    if spec.docker is not None and any(p.key == "name" for p in spec.docker.parameters):
        msg = "docker.parameters: Mesos does not allow the Docker parameter 'name'"
        raise TaskSetupError(msg)
    for volume in spec.volumes:
        if not volume.host_path:
            msg = f"volume {volume.container_path!r}: Mesos needs a hostPath"
            raise TaskSetupError(msg)


def task_info(
    task_id: str,
    spec: RunSpec,
    *,
    agent_id: str,
    hostname: str,
    resources: list[dict[str, Any]],
    container_kind: ContainerKind,
) -> dict[str, Any]:
    """The TaskInfo JSON for one task on one offer's agent."""
    ids = job_and_run(task_id)
    info: dict[str, Any] = {
        # Marathon's name: the run spec path `/job/parts/runId` reversed and dot-joined.
        "name": ".".join(reversed([*ids[0].split("."), ids[1]])) if ids else task_id,
        "task_id": {"value": task_id},
        "agent_id": {"value": agent_id},
        "resources": resources,
        "command": _command(task_id, spec, hostname),
    }
    container = _container(task_id, spec, container_kind)
    if container is not None:
        info["container"] = container
    if ids is not None:
        labels = [
            {"key": "metronome.job_id", "value": ids[0]},
            {"key": "metronome.run_id", "value": ids[1]},
        ]
        info["labels"] = {"labels": labels}
    if spec.task_kill_grace_period_s is not None:
        nanos = int(max(0.0, spec.task_kill_grace_period_s) * _NANOS)
        info["kill_policy"] = {"grace_period": {"nanoseconds": nanos}}
    return info


def _command(task_id: str, spec: RunSpec, hostname: str) -> dict[str, Any]:
    env = {"MESOS_TASK_ID": task_id, "HOST": hostname, **spec.env}
    command: dict[str, Any] = {
        "environment": {"variables": [{"name": k, "value": v} for k, v in env.items()]},
    }
    if spec.cmd is not None:
        command |= {"shell": True, "value": spec.cmd}
    else:
        # argv is `arguments` verbatim; without a container `value` is the program (§3.3).
        command["shell"] = False
        if spec.args:
            command["arguments"] = list(spec.args)
            if spec.docker is None:
                command["value"] = spec.args[0]
    if spec.artifacts:
        command["uris"] = [
            {"value": a.uri, "extract": a.extract, "executable": a.executable, "cache": a.cache}
            for a in spec.artifacts
        ]
    if spec.user:
        command["user"] = spec.user
    return command


def _container(task_id: str, spec: RunSpec, kind: ContainerKind) -> dict[str, Any] | None:
    volumes = [
        {"container_path": v.container_path, "host_path": v.host_path, "mode": v.mode.value}
        for v in spec.volumes
    ]
    docker = spec.docker
    if docker is None:
        # A MESOS container without an image is legal and carries the volumes (§3.3).
        return {"type": "MESOS", "volumes": volumes} if volumes else None
    container: dict[str, Any]
    if kind is ContainerKind.MESOS:
        image = {
            "type": "DOCKER",
            "docker": {"name": docker.image},
            "cached": not docker.force_pull_image,
        }
        container = {"type": "MESOS", "mesos": {"image": image}}
    else:
        parameters = [{"key": p.key, "value": p.value} for p in docker.parameters]
        parameters.append({"key": "label", "value": f"MESOS_TASK_ID={task_id}"})
        container = {
            "type": "DOCKER",
            "docker": {
                "image": docker.image,
                "network": "HOST",
                "privileged": docker.privileged,
                "force_pull_image": docker.force_pull_image,
                "parameters": parameters,
            },
        }
    if volumes:
        container["volumes"] = volumes
    return container


def to_update(status: dict[str, Any]) -> TaskUpdate | None:
    """Our TaskUpdate for a Mesos TaskStatus; None for a state we do not know."""
    ours = STATES.get(status.get("state", ""))
    if ours is None:
        return None
    message = status.get("message") or None
    reason = status.get("reason")
    if reason and status.get("source") != "SOURCE_EXECUTOR":
        message = f"{message} ({reason})" if message else reason
    exit_code = None
    if (found := _EXITED.search(status.get("message", ""))) is not None:
        exit_code = int(found[1])
    elif ours is TaskStatus.TASK_FINISHED:
        exit_code = 0
    elif ours is TaskStatus.TASK_FAILED and status.get("source") == "SOURCE_EXECUTOR":
        message = f"{message}; exit code unknown" if message else "exit code unknown"
    timestamp = status.get("timestamp")
    at = datetime.fromtimestamp(float(timestamp), UTC) if timestamp else datetime.now(UTC)
    return TaskUpdate(status["task_id"]["value"], ours, at, message, exit_code)
