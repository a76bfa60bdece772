"""Launchers: run job tasks and report their status (local processes, Mesos)."""

from metronome.launch._identity import local_identity
from metronome.launch._launcher import (
    HostResources,
    Launcher,
    LaunchError,
    TaskSetupError,
    TaskUpdate,
)
from metronome.launch._local import LocalLauncher
from metronome.launch._mesos import MesosLauncher
from metronome.launch._mesos_config import (
    ContainerKind,
    MemoryFrameworkIdStore,
    MesosSettings,
)
from metronome.launch._mesos_detect import (
    ZkAddress,
    master_address,
    parse_master,
    zk_leader,
)
from metronome.launch._mesos_zk import ZkMasterDetector
from metronome.launch._output import OutputChunk, OutputReplaced, OutputStream, OutputUnavailable
from metronome.launch._policy import Refusal, TaskPolicy

__all__ = [
    "UNRELEASED_MESSAGE",
    "ContainerKind",
    "HostResources",
    "LaunchError",
    "Launcher",
    "LocalLauncher",
    "MemoryFrameworkIdStore",
    "MesosLauncher",
    "MesosSettings",
    "OutputChunk",
    "OutputReplaced",
    "OutputStream",
    "OutputUnavailable",
    "Refusal",
    "TaskPolicy",
    "TaskSetupError",
    "TaskUpdate",
    "ZkAddress",
    "ZkMasterDetector",
    "local_identity",
    "master_address",
    "parse_master",
    "zk_leader",
]
