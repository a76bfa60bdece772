"""Per-job metrics in GET /metrics over real HTTP, with the cap on labelled jobs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.support.jobs import job_body
from tests.support.server import wait

if TYPE_CHECKING:
    from tests.support.server import Client, ServerProcess

FAMILIES = (
    "metronome_job_runs_finished_total",
    "metronome_job_last_success_timestamp_seconds",
    "metronome_job_last_failure_timestamp_seconds",
    "metronome_job_missed_slots_total",
    "metronome_job_skipped_slots_total",
    "metronome_job_active_runs",
    "metronome_job_kept_runs",
    "metronome_job_last_trigger_lateness_seconds",
    "metronome_job_trigger_lateness_seconds",
    "metronome_job_metrics_unlabelled_jobs",
)


def _samples(client: Client) -> dict[str, float]:
    text = client.get("/metrics").text
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(metronome_job_\S+) (\S+)$", text, re.MULTILINE)
    }


def _run_to_end(client: Client, job_id: str, cmd: str) -> None:
    assert client.post("/v1/jobs", job_body(job_id, cmd=cmd)).status == 201
    client.post(f"/v1/jobs/{job_id}/runs")

    def finished() -> bool:
        summary = client.get(f"/v1/jobs/{job_id}?embed=historySummary").json()["historySummary"]
        return bool(summary["successCount"] + summary["failureCount"])

    wait(finished, 20)


def test_each_job_has_its_outcomes_and_the_cap_holds(own_server: ServerProcess) -> None:
    own_server.extra_args += ["--metrics-job-labels", "2"]
    client = own_server.start().client
    _run_to_end(client, "a", "true")
    _run_to_end(client, "b", "exit 3")
    assert client.post("/v1/jobs", job_body("c")).status == 201
    text = client.get("/metrics").text
    for family in FAMILIES:
        assert re.search(rf"^# HELP {family} \S.+$", text, re.MULTILINE), family
        assert re.search(rf"^# TYPE {family} (counter|gauge|histogram)$", text, re.MULTILINE), (
            family
        )

    samples = _samples(client)
    assert samples['metronome_job_runs_finished_total{job_id="a",outcome="SUCCESS"}'] == 1
    assert samples['metronome_job_runs_finished_total{job_id="a",outcome="FAILED"}'] == 0
    assert samples['metronome_job_runs_finished_total{job_id="b",outcome="FAILED"}'] == 1
    assert samples['metronome_job_kept_runs{job_id="a",reason="SUCCEEDED"}'] == 1
    assert samples['metronome_job_kept_runs{job_id="b",reason="EXITED"}'] == 1
    assert 'metronome_job_last_success_timestamp_seconds{job_id="a"}' in samples
    assert 'metronome_job_last_success_timestamp_seconds{job_id="b"}' not in samples
    assert samples['metronome_job_missed_slots_total{job_id="a"}'] == 0
    assert samples['metronome_job_active_runs{job_id="b"}'] == 0
    assert not [name for name in samples if 'job_id="c"' in name]  # over the cap
    assert samples["metronome_job_metrics_unlabelled_jobs"] == 1
