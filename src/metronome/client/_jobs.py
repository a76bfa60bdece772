"""`metronome job ...`: jobs, their runs, history and output, modelled on `dcos job`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from metronome.client._http import ApiError
from metronome.client._input import UsageError, read_json_file
from metronome.client._table import duration, table

if TYPE_CHECKING:
    import argparse

    from metronome.client._http import Api
    from metronome.client._main import Printer

_EMBED_ALL = {"embed": "activeRuns,schedules,historySummary"}


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    job = commands.add_parser("job", help="jobs, their runs and output (over the REST API)")
    sub = job.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, summary: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=summary, description=summary, parents=[common]
        )
        return parser

    action("list", "every job with its last outcome and next run")
    action("show", "a job's spec, schedules and active runs (JSON)").add_argument("job")
    action("add", "create a job from a JSON file (- for stdin)").add_argument("file")
    action("update", "replace a job from a JSON file (- for stdin)").add_argument("file")
    remove = action("remove", "delete a job with its history")
    remove.add_argument("job")
    remove.add_argument(
        "--stop-current-job-runs", action="store_true", help="stop its active runs first"
    )
    action("run", "start a run now").add_argument("job")
    stop = action("stop", "stop a run, or every active run with --all")
    stop.add_argument("job")
    stop.add_argument("run", nargs="?")
    stop.add_argument("--all", action="store_true", help="every active run of the job")
    action("runs", "a job's active runs").add_argument("job")
    history = action("history", "a job's finished runs, newest first")
    history.add_argument("job")
    history.add_argument("--failures", action="store_true", help="only the failed ones")
    logs = action("logs", "a run's output (default: the latest run and its latest task)")
    logs.add_argument("job")
    logs.add_argument("run", nargs="?")
    logs.add_argument("--stderr", action="store_true", help="standard error, not output")
    logs.add_argument("--task", help="a task of the run (default: its latest)")
    logs.add_argument("-f", "--follow", action="store_true", help="until the task ends")


def run(args: argparse.Namespace, api: Api, out: Printer) -> None:
    """Carry out `metronome job <action>`.

    Raises:
        ApiError, Unreachable, UsageError: as the API answered, or bad input.
    """
    handler = _ACTIONS[args.action]
    handler(args, api, out)


def _path(job_id: str, *rest: str) -> str:
    return "/".join(("/v1/jobs", job_id, *rest))


def _list(args: argparse.Namespace, api: Api, out: Printer) -> None:
    jobs = sorted(api.call("GET", "/v1/jobs", query=_EMBED_ALL), key=lambda j: j["id"])
    rows = []
    for job in jobs:
        last = _last_outcome(job.get("historySummary") or {})
        times = [s["nextRunAt"] for s in job.get("schedules", []) if s.get("nextRunAt")]
        crons = ", ".join(s["cron"] for s in job.get("schedules", []) if s.get("enabled"))
        rows.append(
            (job["id"], len(job.get("activeRuns", [])), *last, min(times, default=None), crons)
        )
    headers = ("ID", "ACTIVE", "LAST OUTCOME", "LAST RUN AT", "NEXT RUN", "SCHEDULES")
    out.result(jobs, table(headers, rows))


def _last_outcome(summary: dict[str, Any]) -> tuple[str | None, str | None]:
    success, failure = summary.get("lastSuccessAt"), summary.get("lastFailureAt")
    if success is None and failure is None:
        return None, None
    if failure is None or (success is not None and success > failure):  # ISO UTC: text order
        return "SUCCESS", success
    return "FAILED", failure


def _show(args: argparse.Namespace, api: Api, out: Printer) -> None:
    job = api.call("GET", _path(args.job), query=_EMBED_ALL)
    out.json(job)


def _add(args: argparse.Namespace, api: Api, out: Printer) -> None:
    body = read_json_file(args.file, "job")
    job = api.call("POST", "/v1/jobs", body)
    out.result(job, f"Created job {job['id']}")


def _update(args: argparse.Namespace, api: Api, out: Printer) -> None:
    body = read_json_file(args.file, "job")
    job_id = body["id"]
    # With schedules in the file, they are replaced too (v0's whole-job PUT), as `dcos job
    # update` does; without, the job's schedules are kept.
    path = f"/v0/scheduled-jobs/{job_id}" if "schedules" in body else _path(job_id)
    job = api.call("PUT", path, body)
    out.result(job, f"Updated job {job['id']}")


def _remove(args: argparse.Namespace, api: Api, out: Printer) -> None:
    query = {"stopCurrentJobRuns": "true"} if args.stop_current_job_runs else None
    job = api.call("DELETE", _path(args.job), query=query)
    out.result(job, f"Removed job {args.job}")


def _run(args: argparse.Namespace, api: Api, out: Printer) -> None:
    started = api.call("POST", _path(args.job, "runs"))
    out.result(started, f"Started run {started['id']} of job {args.job}")


def _stop(args: argparse.Namespace, api: Api, out: Printer) -> None:
    if args.all == (args.run is not None):
        msg = "give a run id, or --all for every active run"
        raise UsageError(msg)
    runs = [args.run] if args.run else [r["id"] for r in api.call("GET", _path(args.job, "runs"))]
    stopped = [
        api.call("POST", _path(args.job, "runs", run_id, "actions", "stop")) for run_id in runs
    ]
    out.result(stopped, "\n".join(f"Stopped run {r['id']}" for r in stopped) or "No active run")


def _runs(args: argparse.Namespace, api: Api, out: Printer) -> None:
    runs = api.call("GET", _path(args.job, "runs"))
    waiting = {} if args.json else _waiting(api, args.job)
    rows = [
        (r["id"], r["status"], r["createdAt"], len(r["tasks"]), waiting.get(r["id"])) for r in runs
    ]
    out.result(runs, table(("RUN ID", "STATUS", "STARTED", "TASKS", "WAITING"), rows))


def _waiting(api: Api, job_id: str) -> dict[str, str]:
    """Why each of the job's queued runs waits (`/v1/queue?embed=reason`), by run id."""
    queue: list[dict[str, Any]] = api.call("GET", "/v1/queue", query={"embed": "reason"})
    runs: list[dict[str, str]] = next((e["runs"] for e in queue if e["jobId"] == job_id), [])
    return {run["runId"]: run["reason"] for run in runs}


def _finished(job: dict[str, Any]) -> list[dict[str, Any]]:
    """A job's finished runs with their outcome, newest first."""
    history = job.get("history") or {}
    runs = [{**r, "status": "SUCCESS"} for r in history.get("successfulFinishedRuns", [])]
    runs += [{**r, "status": "FAILED"} for r in history.get("failedFinishedRuns", [])]
    return sorted(runs, key=lambda r: str(r["finishedAt"]), reverse=True)  # ISO UTC: text order


def _history(args: argparse.Namespace, api: Api, out: Printer) -> None:
    runs = _finished(api.call("GET", _path(args.job), query={"embed": "history"}))
    if args.failures:
        runs = [r for r in runs if r["status"] == "FAILED"]
    rows = [
        (
            r["id"],
            r["status"],
            r["createdAt"],
            r["finishedAt"],
            duration(r["createdAt"], r["finishedAt"]),
        )
        for r in runs
    ]
    out.result(runs, table(("RUN ID", "OUTCOME", "STARTED", "FINISHED", "DURATION"), rows))


def _latest_run(api: Api, job_id: str) -> str:
    job = api.call("GET", _path(job_id), query={"embed": "activeRuns,history"})
    active = sorted(job.get("activeRuns", []), key=lambda r: r["createdAt"], reverse=True)
    runs = [r["id"] for r in active] + [r["id"] for r in _finished(job)]
    if not runs:
        raise ApiError(404, f"Job '{job_id}' has no run to show the output of", [])
    return str(runs[0])


def _logs(args: argparse.Namespace, api: Api, out: Printer) -> None:
    run_id = args.run or _latest_run(api, args.job)
    stream = "stderr" if args.stderr else "stdout"
    query = {"follow": "true"} if args.follow else {}
    if args.task:
        query["task"] = args.task
    timeout_s = None if args.follow else api.timeout_s  # a follower waits as long as the task
    path = _path(args.job, "runs", run_id, "logs", stream)
    target = sys.stdout.buffer
    for chunk in api.stream(path, query=query, timeout_s=timeout_s):
        target.write(chunk)
        target.flush()


_ACTIONS = {
    "list": _list,
    "show": _show,
    "add": _add,
    "update": _update,
    "remove": _remove,
    "run": _run,
    "stop": _stop,
    "runs": _runs,
    "history": _history,
    "logs": _logs,
}
