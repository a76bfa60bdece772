"""Per-job metrics in Prometheus text form, appended to `GET /metrics` while this instance leads.

Computed at scrape time from the published jobs (their persisted history counters, so they hold
across restarts and fail-overs). At most `--metrics-job-labels` jobs are labelled, the first by
id, so that 100,000 jobs cannot blow up a scrape; `metronome_job_metrics_unlabelled_jobs` says how
many were left out.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from metronome.actors import JobEntry, JobView
    from metronome.jobwatch import TriggerLateness

Sample = tuple[str, float]  # (label pairs, value)

_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("metronome_job_runs_finished_total", "counter",
     "Finished runs of the job by outcome (SUCCESS or FAILED), as its history counts them."),
    ("metronome_job_last_success_timestamp_seconds", "gauge",
     "When the job's latest successful run finished, in seconds since the epoch."),
    ("metronome_job_last_failure_timestamp_seconds", "gauge",
     "When the job's latest failed run finished, in seconds since the epoch."),
    ("metronome_job_missed_slots_total", "counter",
     "Scheduled instants the job missed (the server was down past startingDeadlineSeconds)."),
    ("metronome_job_skipped_slots_total", "counter",
     "Scheduled instants skipped because a run was still active under FORBID."),
    ("metronome_job_active_runs", "gauge", "Runs of the job active now."),
    ("metronome_job_kept_runs", "gauge",
     "Finished runs the job's history still holds, by why they ended (reason)."),
    ("metronome_job_last_trigger_lateness_seconds", "gauge",
     "How late the job's latest scheduled run was created after its cron instant."),
)  # fmt: skip


def render_job_metrics(view: JobView, limit: int, lateness: TriggerLateness) -> str:
    """The per-job families for the first `limit` jobs by id, and the count of the others."""
    entries = view.all()
    labelled, left_out = entries[:limit], len(entries) - min(limit, len(entries))
    samples: dict[str, list[Sample]] = {name: [] for name, _, _ in _FAMILIES}
    for entry in labelled:
        _collect(entry, samples)
    lines: list[str] = []
    for name, kind, help_text in _FAMILIES:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        lines += [f"{name}{{{labels}}} {_number(value)}" for labels, value in samples[name]]
    text = "".join(f"{line}\n" for line in lines)
    text += lateness.render(entry.spec.id for entry in labelled)
    lines = [
        "# HELP metronome_job_metrics_unlabelled_jobs Jobs left out of the per-job metrics"
        " (over --metrics-job-labels).",
        "# TYPE metronome_job_metrics_unlabelled_jobs gauge",
        f"metronome_job_metrics_unlabelled_jobs {left_out}",
    ]
    return text + "".join(f"{line}\n" for line in lines)


def _collect(entry: JobEntry, samples: dict[str, list[Sample]]) -> None:
    job = f'job_id="{_escape(entry.spec.id)}"'

    def add(name: str, value: float, extra: str) -> None:
        samples[name].append((job + extra, value))

    add("metronome_job_active_runs", len(entry.runs), "")
    history = entry.history
    if history is None:
        return
    add("metronome_job_runs_finished_total", history.success_count, ',outcome="SUCCESS"')
    add("metronome_job_runs_finished_total", history.failure_count, ',outcome="FAILED"')
    for name, at in (
        ("metronome_job_last_success_timestamp_seconds", history.last_success_at),
        ("metronome_job_last_failure_timestamp_seconds", history.last_failure_at),
    ):
        if at is not None:
            add(name, at.timestamp(), "")
    add("metronome_job_missed_slots_total", history.missed_count, "")
    add("metronome_job_skipped_slots_total", history.skipped_count, "")
    kept = [*history.successful_runs, *history.failed_runs]
    reasons = Counter(
        run.details.end.kind.value if run.details is not None and run.details.end else "UNKNOWN"
        for run in kept
    )
    for reason, count in sorted(reasons.items()):
        add("metronome_job_kept_runs", count, f',reason="{reason}"')
    lateness = _last_lateness(entry)
    if lateness is not None:
        add("metronome_job_last_trigger_lateness_seconds", lateness, "")


def _last_lateness(entry: JobEntry) -> float | None:
    """created_at - scheduled_at of the latest scheduled run, active or kept."""
    scheduled: list[tuple[datetime, datetime]] = [
        (run.scheduled_at, run.created_at) for run in entry.runs if run.scheduled_at is not None
    ]
    if entry.history is not None:
        for info in (*entry.history.successful_runs, *entry.history.failed_runs):
            if info.details is not None and info.details.scheduled_at is not None:
                scheduled.append((info.details.scheduled_at, info.created_at))
    if not scheduled:
        return None
    due, created = max(scheduled)
    return max(0.0, (created - due).total_seconds())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
