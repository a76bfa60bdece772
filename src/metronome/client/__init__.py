"""`metronome job ...` and `metronome schedule ...`: the REST API from the command line."""

from metronome.client._exit import Exit
from metronome.client._main import COMMANDS, add_commands, run

__all__ = ["COMMANDS", "Exit", "add_commands", "run"]
