"""Leader election and the leadership lifecycle."""

from metronome.ha._leadership import Leadership, SoleLeadership

__all__ = ["Leadership", "SoleLeadership"]
