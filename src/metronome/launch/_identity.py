"""The local launcher's identity: which instances reach the same tasks.

A task's records live in the data dir of the instance that launched it, so only instances on
that data dir can adopt, reconcile or kill it. The identity is a random id created once in the
data dir (`launcher-id`): instances sharing a data dir share it; another data dir, even on the
same host, is another launcher, whose tasks a new leader must never start again.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

IDENTITY_FILE = "launcher-id"
PREFIX = "local:"


def local_identity(data_dir: Path) -> str:
    """The identity of the local launcher on `data_dir`, created on first use.

    Created by a hard link from a complete temporary file, so two instances starting together
    on one data dir agree on the first one written, and a crash leaves no half-written id.
    """
    path = data_dir / IDENTITY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{IDENTITY_FILE}.{os.getpid()}.{uuid.uuid4().hex}"
        draft.write_text(f"{PREFIX}{uuid.uuid4().hex}\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another instance on this data dir was first: its id is ours
        finally:
            draft.unlink()
    return path.read_text().strip()
