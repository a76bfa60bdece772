"""What every `metronome job|schedule` command shares: where the server is, credentials, output
for people or scripts (`--json`), and one exit code per kind of failure (`_exit`)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from metronome.client import _jobs, _schedules
from metronome.client._exit import Exit, exit_for
from metronome.client._http import Api, ApiError, Unreachable, authorization
from metronome.client._input import UsageError

COMMANDS = ("job", "schedule")
DEFAULT_URL = "http://localhost:9000"


def common_options() -> argparse.ArgumentParser:
    """The options of every leaf command, so they may come after it (`job list --json`)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("server and output")
    group.add_argument("--url", help=f"the API's base URL [METRONOME_URL] ({DEFAULT_URL})")
    group.add_argument("--user", help="HTTP Basic user [METRONOME_USER]")
    group.add_argument("--password", help="its password [METRONOME_PASSWORD]")
    group.add_argument("--token", help="an API token, sent as Bearer [METRONOME_TOKEN]")
    group.add_argument("--ca-file", help="CA certificates for https [METRONOME_CA_FILE]")
    group.add_argument("--insecure", action="store_true", help="do not check the certificate")
    group.add_argument("--timeout", type=float, default=30.0, help="seconds per request (30)")
    group.add_argument("--json", action="store_true", help="the API's JSON, for scripts")
    return common


def add_commands(commands: Any) -> None:
    """Add `job` and `schedule` to the `metronome` command's subcommands."""
    common = common_options()
    _jobs.add_parsers(commands, common)
    _schedules.add_parsers(commands, common)


@dataclass(frozen=True)
class Printer:
    """Prints a result as a table or message for people, or as JSON with `--json`."""

    as_json: bool

    def result(self, data: Any, text: str) -> None:
        if self.as_json:
            self.json(data)
        else:
            print(text)

    def json(self, data: Any) -> None:
        print(json.dumps(data, indent=2))


def run(args: argparse.Namespace) -> int:
    """Carry out a `job` or `schedule` command; its exit code."""
    try:
        api = _api(args)
        module = _jobs if args.command == "job" else _schedules
        module.run(args, api, Printer(args.json))
    except UsageError as exc:
        _error(str(exc))
        return Exit.USAGE
    except ApiError as exc:
        _error(f"{exc.message} (HTTP {exc.status})")
        for detail in exc.details:
            errors = "; ".join(str(e) for e in detail.get("errors", []))
            print(f"  {detail.get('path', '/')}: {errors}", file=sys.stderr)
        return exit_for(exc.status)
    except Unreachable as exc:
        _error(str(exc))
        return Exit.UNREACHABLE
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        sys.stderr.close()
    except KeyboardInterrupt:  # stopping `logs -f`
        return 130
    return Exit.OK


def _api(args: argparse.Namespace) -> Api:
    env = os.environ
    url = args.url or env.get("METRONOME_URL") or DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        msg = f"--url {url!r}: expected http://host:port or https://host:port"
        raise UsageError(msg)
    user = args.user or env.get("METRONOME_USER")
    password = args.password or env.get("METRONOME_PASSWORD")
    token = args.token or env.get("METRONOME_TOKEN")
    if user and password is None and not token:
        msg = "--user needs --password (or METRONOME_PASSWORD)"
        raise UsageError(msg)
    return Api(
        url,
        authorization(user, password, token),
        timeout_s=args.timeout,
        ca_file=args.ca_file or env.get("METRONOME_CA_FILE"),
        insecure=args.insecure,
    )


def _error(message: str) -> None:
    print(f"metronome: {message}", file=sys.stderr)
