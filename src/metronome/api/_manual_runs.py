"""What a manual run request asks beyond "run now": overrides for this run alone, checked
against the caller's grants, and whether the job's concurrency policy applies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metronome.api._auth import IDENTITY, Forbidden
from metronome.api._auth_config import Action
from metronome.api._http import BadRequest, read_body, read_json
from metronome.api._schemas import parse_overrides

if TYPE_CHECKING:
    from aiohttp import web

    from metronome.model import RunOverrides

CONCURRENCY_PARAMETER = "concurrency"
_CONCURRENCY_VALUES = ("ignore", "respect")


async def read_overrides(request: web.Request, job_id: str) -> RunOverrides | None:
    """The body's overrides, with who asked; None for no body (or one that changes nothing).

    Raises:
        BadRequest: a body that is not JSON.
        ValidationFailed: a field that cannot be overridden, or a wrong value.
        Forbidden: the command is overridden by an identity without `override-command` on the
            job (the route itself needs `update`, which covers `env`).
    """
    if not (await read_body(request)).strip():
        return None
    overrides = parse_overrides(await read_json(request))
    if not overrides.env and not overrides.changes_command:
        return None
    identity = request.get(IDENTITY)
    if (
        identity is not None
        and overrides.changes_command
        and not identity.may(Action.OVERRIDE_COMMAND, job_id)
    ):
        # The route's own grant (update) let the caller this far: the job is one it may view.
        raise Forbidden(f"{identity} may not {Action.OVERRIDE_COMMAND} job '{job_id}'.")
    return overrides


def respects_concurrency(request: web.Request) -> bool:
    """`?concurrency=respect`: the run obeys the job's concurrency policy (FORBID: 409 while a
    run is active; REPLACE: the active runs are stopped). `ignore`, the default, is Metronome's
    behaviour: a manual run always starts.

    Raises:
        BadRequest: any other value.
    """
    value = request.query.get(CONCURRENCY_PARAMETER, "ignore")
    if value not in _CONCURRENCY_VALUES:
        msg = f"Cannot parse parameter {CONCURRENCY_PARAMETER}: should be respect or ignore"
        raise BadRequest(msg)
    return value == "respect"
