"""Running `metronome job|schedule` as a subprocess against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

from tests.support.server import ROOT

if TYPE_CHECKING:
    from tests.support.server import ServerProcess


def cli(
    server: ServerProcess,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    timeout_s: float = 30,
) -> subprocess.CompletedProcess[str]:
    """`metronome ARGS...` with METRONOME_URL pointing at `server`; output captured as text."""
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("METRONOME_")},
        "PYTHONPATH": str(ROOT / "src"),
        "METRONOME_URL": f"http://127.0.0.1:{server.port}",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "metronome.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=timeout_s,
        check=False,
    )
