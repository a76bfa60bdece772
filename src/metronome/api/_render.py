"""Model objects -> JSON-ready dicts, in the key order and shapes Metronome clients rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from metronome.model import TaskStatus
from metronome.scheduling import parse_cron, parse_timezone

if TYPE_CHECKING:
    from metronome.model import (
        Constraint,
        Docker,
        JobHistory,
        JobRun,
        JobSpec,
        RunDetails,
        RunEnd,
        RunInfo,
        RunOverrides,
        RunSpec,
        RunStatus,
        ScheduleSpec,
        Task,
    )

_EXACT_FLOAT_INTS = 2**53


def format_timestamp(instant: datetime) -> str:
    """Metronome's timestamp form, in UTC: `2016-07-15T13:02:59.735+0000` (behavior §1.1)."""
    t = instant.astimezone(UTC)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        f".{t.microsecond // 1000:03d}+0000"
    )


def _number(value: float) -> float | int:
    # Metronome (play-json) writes 32.0 as 32; clients compare these values textually.
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_FLOAT_INTS:
        return int(value)
    return value


def _timestamp_or_none(instant: datetime | None) -> str | None:
    return None if instant is None else format_timestamp(instant)


def render_job(spec: JobSpec, *, with_schedules: bool, now: datetime) -> dict[str, Any]:
    """A job; `schedules` (with `nextRunAt` computed from `now`) only when asked for."""
    out: dict[str, Any] = {"id": spec.id}
    if spec.description is not None:
        out["description"] = spec.description
    if spec.dependencies:  # Metronome writes `[]` too; the seed's clients know no such key
        out["dependencies"] = [{"id": parent} for parent in spec.dependencies]
    if spec.pause_after_failures is not None:
        out["pauseAfterFailures"] = spec.pause_after_failures
    out["labels"] = dict(spec.labels)
    out["run"] = _run_spec(spec.run)
    if with_schedules:
        out["schedules"] = [render_schedule(s, now) for s in spec.schedules]
    return out


def _run_spec(run: RunSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cpus": _number(run.cpus),
        "mem": _number(run.mem),
        "disk": _number(run.disk),
    }
    if run.cmd is not None:
        out["cmd"] = run.cmd
    if run.args is not None:
        out["args"] = list(run.args)
    if run.user is not None:
        out["user"] = run.user
    out["env"] = dict(run.env)
    out["placement"] = {"constraints": [_constraint(c) for c in run.constraints]}
    out["artifacts"] = [
        {"uri": a.uri, "extract": a.extract, "executable": a.executable, "cache": a.cache}
        for a in run.artifacts
    ]
    out["maxLaunchDelay"] = run.max_launch_delay_s
    if run.docker is not None:
        out["docker"] = _docker(run.docker)
    out["volumes"] = [
        {"containerPath": v.container_path, "hostPath": v.host_path, "mode": v.mode.value}
        for v in run.volumes
    ]
    restart: dict[str, Any] = {"policy": run.restart.policy.value}
    if run.restart.active_deadline_s is not None:
        restart["activeDeadlineSeconds"] = run.restart.active_deadline_s
    out["restart"] = restart
    if run.task_kill_grace_period_s is not None:
        out["taskKillGracePeriodSeconds"] = _number(run.task_kill_grace_period_s)
    if run.timeout_s is not None:
        out["timeoutSeconds"] = run.timeout_s
    return out


def _constraint(constraint: Constraint) -> dict[str, str]:
    out = {"attribute": constraint.attribute, "operator": constraint.operator.value}
    if constraint.value is not None:
        out["value"] = constraint.value
    return out


def _docker(docker: Docker) -> dict[str, Any]:
    out: dict[str, Any] = {"image": docker.image}
    if docker.force_pull_image:
        out["forcePullImage"] = True
    if docker.privileged:
        out["privileged"] = True
    if docker.parameters:
        out["parameters"] = [{"key": p.key, "value": p.value} for p in docker.parameters]
    return out


def render_schedule(schedule: ScheduleSpec, now: datetime) -> dict[str, Any]:
    """A schedule; `nextRunAt` is its next fire time after `now`, omitted when disabled."""
    out: dict[str, Any] = {
        "id": schedule.id,
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "startingDeadlineSeconds": schedule.starting_deadline_s,
        "concurrencyPolicy": schedule.concurrency_policy.value,
        "enabled": schedule.enabled,
    }
    if schedule.catch_up is not None:  # a schedule that never set it renders as before
        out["catchUp"] = schedule.catch_up.value
    if schedule.enabled:
        next_run = parse_cron(schedule.cron).next_after(now, parse_timezone(schedule.timezone))
        out["nextRunAt"] = format_timestamp(next_run)
    return out


def render_run(run: JobRun, *, details: bool = False) -> dict[str, Any]:
    """An active or just-finished run; `completedAt` is an explicit null until it ends.

    A task appears once the launcher has taken it (TASK_STAGING on): one still waiting to be
    placed (TASK_CREATED) is not shown, so a new run has `"tasks": []`, as in Metronome.
    `details` (embed=details) adds the `details` object (see `_details`).
    """
    out: dict[str, Any] = {
        "id": run.id,
        "jobId": run.job_id,
        "status": run.status.value,
        "createdAt": format_timestamp(run.created_at),
        "completedAt": _timestamp_or_none(run.completed_at),
        "tasks": [_task(t) for t in run.tasks if t.status is not TaskStatus.TASK_CREATED],
    }
    if details:
        out["details"] = _details(run.details())
    return out


def render_finished_run(
    job_id: str, info: RunInfo, status: RunStatus, *, details: bool = False
) -> dict[str, Any]:
    """A finished run from the history, with the keys of an active one.

    A record written before histories kept task details names its tasks only (`{"id": ...}`)
    and has `"details": null`: nothing else is known of it.
    """
    kept = info.details
    tasks = (
        [{"id": task_id} for task_id in info.tasks]
        if kept is None
        else [_task(t) for t in kept.tasks if t.status is not TaskStatus.TASK_CREATED]
    )
    out: dict[str, Any] = {
        "id": info.id,
        "jobId": job_id,
        "status": status.value,
        "createdAt": format_timestamp(info.created_at),
        "completedAt": format_timestamp(info.finished_at),
        "tasks": tasks,
    }
    if details:
        out["details"] = None if kept is None else _details(kept)
    return out


def _details(kept: RunDetails) -> dict[str, Any]:
    """How the run was triggered, why it ended (`reason`, null while active) and every task,
    with explicit nulls for what is not (yet) known; a manual run's overrides when it had any."""
    trigger: dict[str, Any]
    if kept.schedule_id is not None:
        trigger = {
            "kind": "SCHEDULE",
            "scheduleId": kept.schedule_id,
            "scheduledAt": _timestamp_or_none(kept.scheduled_at),
        }
    elif kept.by_dependencies:
        trigger = {"kind": "DEPENDENCIES"}
    else:
        trigger = {"kind": "MANUAL", "by": kept.triggered_by}
    if kept.overrides is not None:
        trigger["overrides"] = _overrides(kept.overrides)
    return {
        "trigger": trigger,
        "reason": None if kept.end is None else _reason(kept.end),
        "tasks": [
            {
                "id": t.id,
                "status": t.status.value,
                "startedAt": format_timestamp(t.started_at),
                "endedAt": _timestamp_or_none(t.ended_at),
                "exitCode": t.exit_code,
                "message": t.message,
            }
            for t in kept.tasks
        ],
    }


def _overrides(overrides: RunOverrides) -> dict[str, Any]:
    out: dict[str, Any] = {"env": dict(overrides.env)}
    if overrides.cmd is not None:
        out["cmd"] = overrides.cmd
    if overrides.args is not None:
        out["args"] = list(overrides.args)
    return out


def _reason(end: RunEnd) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": end.kind.value}
    for key, value in (
        ("exitCode", end.exit_code),
        ("signal", end.signal),
        ("message", end.message),
        ("by", end.by),
    ):
        if value is not None:
            out[key] = value
    return out


def _task(task: Task) -> dict[str, Any]:
    out = {
        "id": task.id,
        "status": task.status.value,
        "startedAt": format_timestamp(task.started_at),
    }
    if task.completed_at is not None:
        out["completedAt"] = format_timestamp(task.completed_at)
    return out


def render_history_summary(history: JobHistory) -> dict[str, Any]:
    """The `historySummary` embed: counters and last success/failure (null when never).

    `skippedCount` (FORBID instants) and `missedCount` (instants lost to downtime) are ours;
    Metronome drops both silently. `pausedCount` (instants of a paused job) appears only once
    a job has had one, so a job never paused renders as before.
    """
    out: dict[str, Any] = {
        "successCount": history.success_count,
        "failureCount": history.failure_count,
        "lastSuccessAt": _timestamp_or_none(history.last_success_at),
        "lastFailureAt": _timestamp_or_none(history.last_failure_at),
        "skippedCount": history.skipped_count,
        "missedCount": history.missed_count,
    }
    if history.paused_count:
        out["pausedCount"] = history.paused_count
    return out


def render_history(history: JobHistory) -> dict[str, Any]:
    """The `history` embed: the summary plus the finished runs kept, newest first."""
    out = render_history_summary(history)
    out["successfulFinishedRuns"] = [_finished_run(r) for r in history.successful_runs]
    out["failedFinishedRuns"] = [_finished_run(r) for r in history.failed_runs]
    return out


def _finished_run(run: RunInfo) -> dict[str, Any]:
    return {
        "id": run.id,
        "createdAt": format_timestamp(run.created_at),
        "finishedAt": format_timestamp(run.finished_at),
        "tasks": list(run.tasks),
    }
