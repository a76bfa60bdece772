"""A Metronome-compatible scheduled-jobs service."""

__version__ = "0.1.0"
