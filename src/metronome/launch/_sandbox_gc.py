"""Removing the sandboxes of tasks that ended long ago, so that runs do not fill the disk.

A sandbox's directory changes (a file created in it) when its task starts and when it ends, so
its modification time tells how long ago that was. A task that still runs may have started long
ago: its recorded process is checked before its sandbox goes.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import TYPE_CHECKING

from metronome.launch._launcher import LaunchError
from metronome.launch._process import is_alive
from metronome.launch._sandbox import Sandbox

if TYPE_CHECKING:
    from collections.abc import Collection
    from pathlib import Path

logger = logging.getLogger(__name__)


def remove_expired(root: Path, before: float, keep: Collection[str]) -> int:
    """Remove the sandboxes under `root` last changed before `before` (seconds since the epoch),
    except those of the task ids in `keep` and of processes that still run. Blocking: call it
    off the event loop. Returns how many it removed."""
    removed = 0
    try:
        entries = os.scandir(root)
    except FileNotFoundError:
        return 0
    with entries:
        for entry in entries:
            if entry.name in keep:
                continue
            try:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                if entry.stat(follow_symlinks=False).st_mtime >= before:
                    continue
                record = Sandbox(root, entry.name).read_process()
                if record is not None and is_alive(record.pid, record.start_time):
                    continue
                shutil.rmtree(entry.path)
            except (OSError, LaunchError) as exc:
                logger.warning("cannot remove the sandbox %s: %s", entry.path, exc)
                continue
            removed += 1
    return removed
