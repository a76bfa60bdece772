"""Request bodies the API tests build on."""

from __future__ import annotations

from typing import Any


def job_body(job_id: str, **run: Any) -> dict[str, Any]:
    """A minimal valid job; keyword arguments override or extend its run spec."""
    return {"id": job_id, "run": {"cmd": "sleep 1", "cpus": 0.01, "mem": 32, "disk": 0, **run}}


def schedule_body(schedule_id: str = "nightly", **fields: Any) -> dict[str, Any]:
    return {"id": schedule_id, "cron": "20 0 * * *", **fields}
