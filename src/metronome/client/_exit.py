"""Exit codes of `metronome job` and `metronome schedule`: what a script can rely on."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """One code per kind of outcome (README, "A job CLI")."""

    OK = 0
    FAILED = 1
    """The server failed (5xx) or answered something unexpected."""
    USAGE = 2
    """Bad arguments, or a file that cannot be read or is not JSON (nothing was sent)."""
    NOT_FOUND = 3
    """No such job, schedule, run or task, or its output is gone (404)."""
    INVALID = 4
    """The server refused the request as invalid (400, 416, 422); the details are printed."""
    CONFLICT = 5
    """The change contradicts the current state (409): the id exists, runs are active..."""
    DENIED = 6
    """Missing or wrong credentials (401), or the identity lacks the grant (403)."""
    UNREACHABLE = 7
    """No answer: the server cannot be reached or did not answer in time (also 502, 503)."""


def exit_for(status: int) -> Exit:
    """The exit code for an HTTP error status."""
    if status == 404:
        return Exit.NOT_FOUND
    if status in (400, 413, 416, 422):
        return Exit.INVALID
    if status == 409:
        return Exit.CONFLICT
    if status in (401, 403, 429):
        return Exit.DENIED
    if status in (502, 503, 504):
        return Exit.UNREACHABLE
    return Exit.FAILED
