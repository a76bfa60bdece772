"""The `metronome` command."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from typing import TYPE_CHECKING

from metronome import __version__, client, config
from metronome.errors import ConfigError, MetronomeError

if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="metronome", description="Metronome scheduled jobs")
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve",
        help="run the server",
        description="Run the Metronome server. Every flag can also be set by the environment"
        " variable(s) shown in brackets; a flag wins over the environment.",
    )
    config.add_arguments(serve_parser)
    zk_parser = commands.add_parser("zk", help="inspect the state kept in ZooKeeper")
    zk_commands = zk_parser.add_subparsers(dest="zk_command", required=True)
    dump_parser = zk_commands.add_parser(
        "dump",
        help="print the nodes under PATH as JSON decoded from the records",
        description="Print every node at and below PATH (default: the whole root) as JSON, with"
        " records decoded (job specs, runs, histories and their pages).",
    )
    dump_parser.add_argument(
        "--zk", help="zk://host:2181/metronome (default: $METRONOME_ZK_URL)", default=None
    )
    dump_parser.add_argument("path", nargs="?", default="/", help="a path under the root")
    passwd_parser = commands.add_parser(
        "passwd",
        help="print a password hash (or a new API token and its hash) for the auth file",
        description="Read a password (prompted, or from standard input) and print its scrypt hash"
        " to paste as a user's password_hash; with --token, print a new random token (give it to"
        " the client) and its hash (paste it as token_hash).",
    )
    passwd_parser.add_argument("--token", action="store_true", help="make an API token instead")
    client.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command in client.COMMANDS:
        return client.run(args)
    if args.command == "zk":
        return _zk_dump(args)
    if args.command == "passwd":
        return _passwd(token=args.token)
    return _serve(args)


def _passwd(*, token: bool) -> int:
    from metronome.api import hash_password, hash_token, new_token

    if token:
        secret = new_token()
        print(f"token:      {secret}\ntoken_hash: {hash_token(secret)}")
        return 0
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("The passwords differ.", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if not password:
        print("An empty password is not allowed.", file=sys.stderr)
        return 1
    print(hash_password(password))
    return 0


def _zk_dump(args: argparse.Namespace) -> int:
    """Open the store read-only in spirit (no writes), dump, close."""
    flags = argparse.Namespace(zk=args.zk)
    try:
        zk = config.load(flags).zk
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if zk is None:
        print(
            "metronome zk dump: give --zk zk://host:port/path or set METRONOME_ZK_URL",
            file=sys.stderr,
        )
        return 2
    from metronome.storage import StorageError, ZkStore, dump

    try:
        store = ZkStore(zk.hosts, zk.root)
    except StorageError as exc:
        print(f"metronome zk dump: {exc}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(dump(store, args.path), indent=2))
    except StorageError as exc:
        print(f"metronome zk dump: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _configure_logging(level: str) -> None:
    """Log lines without the caller's file, thread or process: a record skips looking them up
    (a frame walk, a thread lookup and a getpid per line; Python's logging HOWTO,
    "Optimization"), which every run pays twice."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = config.load(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    _configure_logging(settings.log_level)
    from metronome.server import run

    try:
        run(settings)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except (MetronomeError, OSError) as exc:
        logging.getLogger("metronome").error("Cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
