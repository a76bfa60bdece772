"""Launchers: run job tasks and report their status (local processes, Mesos)."""

from metronome.launch._launcher import (
    HostResources,
    Launcher,
    LaunchError,
    TaskSetupError,
    TaskUpdate,
    UpdateCallback,
)
from metronome.launch._local import DEFAULT_KILL_GRACE_S, LocalLauncher
from metronome.launch._mesos import MesosLauncher
from metronome.launch._mesos_config import (
    ContainerKind,
    FrameworkIdStore,
    MemoryFrameworkIdStore,
    MesosSettings,
)
from metronome.launch._mesos_zk import ZkMasterDetector
from metronome.launch._mesos_detect import (
    MasterDetector,
    ZkAddress,
    master_address,
    parse_master,
    static_detector,
    zk_leader,
)

__all__ = [
    "ZkMasterDetector",
    "DEFAULT_KILL_GRACE_S",
    "ContainerKind",
    "FrameworkIdStore",
    "MasterDetector",
    "MemoryFrameworkIdStore",
    "MesosLauncher",
    "MesosSettings",
    "ZkAddress",
    "HostResources",
    "LaunchError",
    "Launcher",
    "LocalLauncher",
    "TaskSetupError",
    "TaskUpdate",
    "UpdateCallback",
    "master_address",
    "parse_master",
    "static_detector",
    "zk_leader",
]
