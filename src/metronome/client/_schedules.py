"""`metronome schedule ...`: a job's schedules (`dcos job schedule`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metronome.client._input import read_json_file
from metronome.client._table import table

if TYPE_CHECKING:
    import argparse

    from metronome.client._http import Api
    from metronome.client._main import Printer


def add_parsers(commands: Any, common: argparse.ArgumentParser) -> None:
    schedule = commands.add_parser("schedule", help="a job's schedules (over the REST API)")
    sub = schedule.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, summary: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(
            name, help=summary, description=summary, parents=[common]
        )
        parser.add_argument("job")
        return parser

    action("list", "a job's schedules and their next run")
    action("add", "add a schedule from a JSON file (- for stdin)").add_argument("file")
    action("update", "replace the schedule with the file's id (- for stdin)").add_argument("file")
    action("remove", "delete a schedule").add_argument("schedule")


def run(args: argparse.Namespace, api: Api, out: Printer) -> None:
    """Carry out `metronome schedule <action>`.

    Raises:
        ApiError, Unreachable, UsageError: as the API answered, or bad input.
    """
    base = f"/v1/jobs/{args.job}/schedules"
    if args.action == "list":
        schedules = api.call("GET", base)
        rows = [
            (s["id"], s["cron"], s["timezone"], "yes" if s["enabled"] else "no",
             s.get("nextRunAt"), s["concurrencyPolicy"])
            for s in schedules
        ]  # fmt: skip
        headers = ("ID", "CRON", "TIMEZONE", "ENABLED", "NEXT RUN", "CONCURRENCY")
        out.result(schedules, table(headers, rows))
    elif args.action == "add":
        added = api.call("POST", base, read_json_file(args.file, "schedule"))
        out.result(added, f"Added schedule {added['id']} to job {args.job}")
    elif args.action == "update":
        body = read_json_file(args.file, "schedule")
        updated = api.call("PUT", f"{base}/{body['id']}", body)
        out.result(updated, f"Updated schedule {updated['id']} of job {args.job}")
    else:
        api.call("DELETE", f"{base}/{args.schedule}")
        out.result(None, f"Removed schedule {args.schedule} of job {args.job}")
