"""Per-job trigger lateness: how long after its cron instant each scheduled run was created,
observed as the run appears (a Prometheus histogram, counted from this leadership term on)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from metronome.actors import JobEntry

BUCKETS_S = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)
NAME = "metronome_job_trigger_lateness_seconds"
HELP = (
    f"# HELP {NAME} How long after its cron instant each scheduled run of the job was created"
    " (since this instance leads)."
)


@dataclass
class _Histogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_S) + 1))
    sum_s: float = 0.0

    def observe(self, value_s: float) -> None:
        self.counts[bisect.bisect_left(BUCKETS_S, value_s)] += 1
        self.sum_s += value_s


class TriggerLateness:
    """A `jobwatch` listener: observes each new scheduled run of each job."""

    def __init__(self) -> None:
        self._jobs: dict[str, _Histogram] = {}

    def changed(self, before: JobEntry | None, after: JobEntry) -> None:
        known = {run.id for run in before.runs} if before is not None else set()
        for run in after.runs:
            if run.id in known or run.scheduled_at is None:
                continue
            lateness_s = max(0.0, (run.created_at - run.scheduled_at).total_seconds())
            self._jobs.setdefault(after.spec.id, _Histogram()).observe(lateness_s)

    def removed(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    def render(self, job_ids: Iterable[str]) -> str:
        """The histogram family for these jobs (those with observations)."""
        lines = [HELP, f"# TYPE {NAME} histogram"]
        for job_id in job_ids:
            histogram = self._jobs.get(job_id)
            if histogram is None:
                continue
            label = job_id.replace("\\", "\\\\").replace('"', '\\"')
            total = 0
            for bound, count in zip((*BUCKETS_S, "+Inf"), histogram.counts, strict=True):
                total += count
                lines.append(f'{NAME}_bucket{{job_id="{label}",le="{bound}"}} {total}')
            lines.append(f'{NAME}_sum{{job_id="{label}"}} {histogram.sum_s!r}')
            lines.append(f'{NAME}_count{{job_id="{label}"}} {total}')
        return "".join(f"{line}\n" for line in lines)
