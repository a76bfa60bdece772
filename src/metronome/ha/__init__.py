"""Leader election and the leadership lifecycle."""

from metronome.ha._launcher_claim import claim_launcher
from metronome.ha._leadership import Leadership, SoleLeadership
from metronome.ha._zookeeper import ZkLeadership

__all__ = ["Leadership", "SoleLeadership", "ZkLeadership", "claim_launcher"]
