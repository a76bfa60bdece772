"""Isolation tests use the launcher tests' fixtures, and skip where a facility is missing."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

from metronome.launch import _cgroups
from tests.launch.conftest import make_launcher, sandbox_root

if TYPE_CHECKING:
    from tests.support.server import Client

__all__ = ["ended", "make_launcher", "needs_cgroups", "needs_root", "sandbox_root"]

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: switching users, cgroups and mounts are root's"
)
_CGROUPS, _WHY = _cgroups.detect()
needs_cgroups = pytest.mark.skipif(_CGROUPS is None, reason=f"no usable cgroups here: {_WHY}")


def ended(client: Client, job_id: str) -> dict[str, Any] | None:
    """The job's history once a run of it has ended (for `wait`), else None."""
    history: dict[str, Any] = client.get(f"/v1/jobs/{job_id}?embed=history").json()["history"]
    return history if history["successCount"] + history["failureCount"] else None
