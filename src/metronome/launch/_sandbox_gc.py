"""Removing the sandboxes of tasks that ended long ago, so that runs do not fill the disk.

A task's records directory changes (a file created in it) when its task starts and when it ends,
so its modification time tells how long ago that was (the sandbox's, for a task without records).
A task that still runs may have started long ago: its recorded process is checked before its
sandbox goes.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import TYPE_CHECKING

from metronome.launch._cgroups import TaskCgroup
from metronome.launch._launcher import LaunchError
from metronome.launch._process import is_alive
from metronome.launch._sandbox import Sandbox, records_root_of

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

logger = logging.getLogger(__name__)


def remove_expired(root: Path, before: float, keep: Collection[str]) -> int:
    """Remove the sandboxes under `root`, and their records, last changed before `before`
    (seconds since the epoch), except those named in `keep` and those of processes that still
    run. Blocking: call it off the event loop. Returns how many it removed.
    """
    records_root = records_root_of(root)
    removed = 0
    for name in sorted(_names(root) | _names(records_root)):
        if name in keep:
            continue
        sandbox, records = root / name, records_root / name
        try:
            changed = (records if records.is_dir() else sandbox).stat().st_mtime
            if changed >= before:
                continue
            # A name is a valid id too: of itself when short, and a hashed name is short.
            record = Sandbox(root, name).read_process()
            if record is not None and is_alive(record.pid, record.start_time):
                continue
            cgroup = None if record is None else TaskCgroup.recorded(record.cgroups)
            if cgroup is not None:  # a task that ended while no launcher watched it
                cgroup.remove()
            for path in (sandbox, records):
                if path.is_dir():
                    shutil.rmtree(path)
        except (OSError, LaunchError) as exc:
            logger.warning("cannot remove the sandbox %s: %s", sandbox, exc)
            continue
        removed += 1
    return removed


def _names(directory: Path) -> set[str]:
    """The names of the directories right under `directory` (none if it is missing)."""
    try:
        with os.scandir(directory) as entries:
            return {entry.name for entry in entries if entry.is_dir(follow_symlinks=False)}
    except FileNotFoundError:
        return set()
