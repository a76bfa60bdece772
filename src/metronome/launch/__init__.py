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
from metronome.launch._mesos_detect import (
    MasterDetector,
    ZkAddress,
    master_address,
    parse_master,
    static_detector,
    zk_leader,
)
from metronome.launch._mesos_zk import ZkMasterDetector

__all__ = [
    "DEFAULT_KILL_GRACE_S",
    "ContainerKind",
    "FrameworkIdStore",
    "HostResources",
    "LaunchError",
    "Launcher",
    "LocalLauncher",
    "MasterDetector",
    "MemoryFrameworkIdStore",
    "MesosLauncher",
    "MesosSettings",
    "TaskSetupError",
    "TaskUpdate",
    "UpdateCallback",
    "ZkAddress",
    "ZkMasterDetector",
    "master_address",
    "parse_master",
    "static_detector",
    "zk_leader",
]
