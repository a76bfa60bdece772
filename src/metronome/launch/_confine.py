"""The argv a task's command runs through: the switch to its user, then its volumes.

`setpriv` (util-linux) is exec'd by the wrapper's child, so the wrapper itself stays the
server's user and keeps the task's records out of the task's reach. Everything before the switch
runs as root, so it must not see the job's `env` (a PATH naming the job's own `setpriv`, an
LD_PRELOAD): the wrapper of a task of another user gets a clean environment, and the job's
travels sealed in one variable that only the task's own shell opens.

Volumes are mounted after the switch, by bubblewrap as the task's user (in a user and mount
namespace of the task's own, capabilities dropped before the command): mounted as root, a volume
placed over a library or `/etc/ld.so.preload` would have chosen what root runs next. Only a task
that runs as root itself gets its mounts from `unshare` and `mount` as root.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
from typing import TYPE_CHECKING

from metronome.launch._launcher import TaskSetupError
from metronome.launch._process import DEFAULT_PATH
from metronome.model import VolumeMode

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from metronome.launch._policy import RunAs
    from metronome.model import Volume


TASK_ENV = "METRONOME_TASK_ENV"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def prefix(run_as: RunAs | None, volumes: Sequence[Volume], *, shell: bool) -> list[str]:
    """The argv the wrapper's child execs with the command after it (`"$1"`, a shell command
    line, if `shell`, else the program and its arguments): the switch to `run_as`, its volumes
    (bubblewrap), then a shell that opens the sealed environment (`sealed_env`); for a task
    that runs as root, its mounts. Empty when the command needs none of them."""
    if run_as is None and not volumes:
        return []
    argv: list[str] = []
    boot = ""
    if run_as is None:
        argv += ["unshare", "--mount", "--propagation", "private", "--"]
        argv += ["/bin/sh", "-c", _mount_script(volumes), "metronome-mounts"]
    else:
        argv += switch_user(run_as)
        if volumes:
            argv += ["bwrap", "--dev-bind", "/", "/"]
            for volume in volumes:
                bind = "--ro-bind" if volume.mode is VolumeMode.RO else "--bind"
                argv += [bind, volume.host_path, volume.container_path]
            argv.append("--")
        boot = f'eval "${TASK_ENV}"; unset {TASK_ENV}; '
    # As under `sh -c`: a command line gets no positional parameters.
    boot += 'eval "shift\n$1"' if shell else 'exec "$@"'
    return [*argv, "/bin/sh", "-c", boot, "/bin/sh"]


def switch_user(run_as: RunAs) -> list[str]:
    """The argv that runs what follows it as `run_as` (with its groups, no capabilities).

    setpriv looks each id up as a name first; a number is found in no local file, so the
    lookup falls through to every NSS source (libnss_systemd and its libraries loaded: 190
    system calls against 136, 0.3-0.6 ms more CPU per task here; docs/benchmarks.md). So each
    id goes by the name that the files map back to it, and by number only without one.
    """
    groups = ",".join(_group(gid) for gid in run_as.groups)
    argv = ["setpriv", f"--reuid={_user(run_as.uid)}", f"--regid={_group(run_as.gid)}"]
    return [*argv, f"--groups={groups}" if groups else "--clear-groups", "--"]


def _user(uid: int) -> str:
    try:
        name = pwd.getpwuid(uid).pw_name
        if pwd.getpwnam(name).pw_uid == uid:
            return name
    except KeyError:
        pass
    return str(uid)


def _group(gid: int) -> str:
    try:
        name = grp.getgrgid(gid).gr_name
        if grp.getgrnam(name).gr_gid == gid:
            return name
    except KeyError:
        pass
    return str(gid)


def sealed_env(env: Mapping[str, str]) -> dict[str, str]:
    """The wrapper's environment for a task of another user: the server's PATH, and `env` as
    a script of exports in one variable that no root-run program reads.

    Raises:
        TaskSetupError: a name that a shell cannot export.
    """
    for name in env:
        if _NAME.fullmatch(name) is None:
            msg = f"env name '{name}' is not a shell variable name, so it cannot be passed"
            raise TaskSetupError(msg)
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())
    return {"PATH": os.environ.get("PATH", DEFAULT_PATH), TASK_ENV: exports}


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


def check_volumes(volumes: Sequence[Volume], server_uid: int, run_as: RunAs | None) -> None:
    """Whether the volumes of a task without an image can be mounted here.

    Raises:
        TaskSetupError: naming the volume and what is missing.
    """
    if not volumes:
        return
    if server_uid != 0:
        msg = "volumes of a task without a docker image need the server to run as root"
        raise TaskSetupError(msg)
    if run_as is not None and shutil.which("bwrap") is None:
        msg = "volumes of a task that runs as another user need bubblewrap (bwrap) on this host"
        raise TaskSetupError(msg)
    missing = [tool for tool in ("unshare", "mount") if shutil.which(tool) is None]
    if run_as is None and missing:
        msg = f"volumes need {' and '.join(missing)} (util-linux) on this host"
        raise TaskSetupError(msg)
    for index, volume in enumerate(volumes):
        where = f"volume {index} ({volume.host_path} at {volume.container_path})"
        if not os.path.isabs(volume.host_path):
            msg = f"{where}: hostPath must be an absolute path"
            raise TaskSetupError(msg)
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
