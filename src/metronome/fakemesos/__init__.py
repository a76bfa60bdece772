"""A fake Mesos master with simulated agents that run tasks as local processes (test support).

It speaks the v1 scheduler HTTP API as docs/mesos-protocol.md (shared docs) describes it, with the
checklist of its §8: offers and filters, reliable status updates, kill, reconciliation, agent loss,
master and framework failover. Timings are settings, so tests run fast.
"""

from metronome.fakemesos._http import AgentSpec, FakeMesos
from metronome.fakemesos._master import Master
from metronome.fakemesos._state import Settings, Task

__all__ = ["AgentSpec", "FakeMesos", "Master", "Settings", "Task"]
