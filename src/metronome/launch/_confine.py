"""The argv a task's command runs through: its own mount namespace for volumes, then its user.

Both are util-linux tools (`unshare`, `mount`, `setpriv`), exec'd by the wrapper's child, so the
wrapper itself stays the server's user and keeps the task's records out of the task's reach.
"""

from __future__ import annotations

import os
import shlex
import shutil
from typing import TYPE_CHECKING

from metronome.launch._launcher import TaskSetupError
from metronome.model import VolumeMode

if TYPE_CHECKING:
    from collections.abc import Sequence

    from metronome.launch._policy import RunAs
    from metronome.model import Volume


def prefix(run_as: RunAs | None, volumes: Sequence[Volume]) -> list[str]:
    """The argv before the command: mounts (as root), then the switch to `run_as`."""
    argv: list[str] = []
    if volumes:
        argv += ["unshare", "--mount", "--propagation", "private", "--"]
        argv += ["/bin/sh", "-c", _mount_script(volumes), "metronome-mounts"]
    if run_as is not None:
        groups = ",".join(str(gid) for gid in run_as.groups)
        argv += ["setpriv", f"--reuid={run_as.uid}", f"--regid={run_as.gid}"]
        argv += [f"--groups={groups}" if groups else "--clear-groups", "--"]
    return argv


def _mount_script(volumes: Sequence[Volume]) -> str:
    """Bind each host path at its container path, read-only ones remounted so (a plain bind
    ignores `ro`), then exec the rest of the argv."""
    steps = []
    for volume in volumes:
        host, target = shlex.quote(volume.host_path), shlex.quote(volume.container_path)
        steps.append(f"mount --bind {host} {target}")
        if volume.mode is VolumeMode.RO:
            steps.append(f"mount -o remount,bind,ro {target}")
    return " && ".join([*steps, 'exec "$@"'])


def check_volumes(volumes: Sequence[Volume], server_uid: int) -> None:
    """Whether the volumes of a task without an image can be mounted here.

    Raises:
        TaskSetupError: naming the volume and what is missing.
    """
    if not volumes:
        return
    if server_uid != 0:
        msg = "volumes of a task without a docker image need the server to run as root"
        raise TaskSetupError(msg)
    missing = [tool for tool in ("unshare", "mount") if shutil.which(tool) is None]
    if missing:
        msg = f"volumes need {' and '.join(missing)} (util-linux) on this host"
        raise TaskSetupError(msg)
    for index, volume in enumerate(volumes):
        where = f"volume {index} ({volume.host_path} at {volume.container_path})"
        if not os.path.exists(volume.host_path):
            msg = f"{where}: hostPath does not exist on this host"
            raise TaskSetupError(msg)
        if os.path.isdir(volume.host_path) != os.path.isdir(volume.container_path) or not (
            os.path.exists(volume.container_path)
        ):
            kind = "directory" if os.path.isdir(volume.host_path) else "file"
            msg = (
                f"{where}: containerPath must be an existing {kind} on this host (a task "
                "without an image sees the host's file system)"
            )
            raise TaskSetupError(msg)
