"""An instance that does not lead, in-process: what a follower answers itself or forwards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metronome.api import Instance, ServiceSlot, create_app
from metronome.config import Settings
from metronome.metrics import MetricsRegistry

if TYPE_CHECKING:
    from pathlib import Path

    from aiohttp import web

    from metronome.ha import Leadership


def follower_app(data_dir: Path, leadership: Leadership) -> web.Application:
    """The app of an instance advertised as `follower:1`; `leadership` names the leader (a
    `SoleLeadership(address)` that never campaigned names `address` and does not lead)."""
    settings = Settings(data_dir=data_dir, hostname="follower", http_port=1)
    return create_app(Instance(settings, MetricsRegistry(), leadership), ServiceSlot())
