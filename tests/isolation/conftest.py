"""Isolation tests use the launcher tests' fixtures, and skip where a facility is missing."""

from __future__ import annotations

import os

import pytest

from metronome.launch import _cgroups
from tests.launch.conftest import make_launcher, sandbox_root

__all__ = ["make_launcher", "needs_cgroups", "needs_root", "sandbox_root"]

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: switching users, cgroups and mounts are root's"
)
_CGROUPS, _WHY = _cgroups.detect()
needs_cgroups = pytest.mark.skipif(_CGROUPS is None, reason=f"no usable cgroups here: {_WHY}")
