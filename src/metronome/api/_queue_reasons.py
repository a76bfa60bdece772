"""`GET /v1/queue?embed=reason`: why each queued run waits (a run asking for 64 CPUs of a
2-CPU host would otherwise wait its hour in silence). Opt-in: Metronome's queue entry has no
such key, and strict clients reject unknown ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metronome.api._app_keys import Services

QUEUE_EMBEDS = ("reason",)
_UNKNOWN = "waiting for placement"


def why_queued(services: Services, job_id: str, run_id: str) -> str:
    """The launcher's reason for the run's latest task; a generic one where it has none."""
    entry = services.view.get(job_id)
    run = entry.run(run_id) if entry is not None else None
    if run is None or not run.tasks:
        return _UNKNOWN
    return services.launcher.why_queued(run.tasks[-1].id) or _UNKNOWN
