"""What happened to a job since it was last looked at: runs that finished, slots missed or
skipped. Read from two published versions of the job (entries are immutable once published)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metronome.api import render_finished_run  # the same details as GET ...?embed=details
from metronome.model import RunStatus
from metronome.webhooks._targets import Event

if TYPE_CHECKING:
    from metronome.actors import JobEntry
    from metronome.model import JobHistory


def changes(
    before: JobHistory | None, after: JobHistory | None
) -> list[tuple[Event, dict[str, Any]]]:
    """The events between two histories of one job, each with its payload's own fields."""
    if after is None:
        return []
    found: list[tuple[Event, dict[str, Any]]] = []
    for event, status, runs, count, seen in (
        (Event.SUCCESS, RunStatus.SUCCESS, after.successful_runs, after.success_count,
         before.success_count if before else 0),
        (Event.FAILURE, RunStatus.FAILED, after.failed_runs, after.failure_count,
         before.failure_count if before else 0),
    ):  # fmt: skip
        new = max(0, count - seen)
        for info in reversed(runs[:new]):  # newest first in the history: oldest first here
            found.append(
                (event, {"run": render_finished_run(after.job_id, info, status, details=True)})
            )
    for event, count, seen in (
        (Event.MISSED, after.missed_count, before.missed_count if before else 0),
        (Event.SKIPPED, after.skipped_count, before.skipped_count if before else 0),
    ):
        if count > seen:
            found.append((event, {"slots": count - seen, "total": count}))
    return found


def payload(entry: JobEntry, event: Event, fields: dict[str, Any], sent_at: str) -> dict[str, Any]:
    return {"event": event.value, "jobId": entry.spec.id, "at": sent_at, **fields}
