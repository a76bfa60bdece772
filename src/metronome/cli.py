"""The `metronome` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING

from metronome import __version__, config
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
    args = parser.parse_args(argv)
    return _serve(args)


def _serve(args: argparse.Namespace) -> int:
    try:
        settings = config.load(args)
    except ConfigError as exc:
        print(exc, file=sys.stderr)  # noqa: T201
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from metronome.server import serve  # noqa: PLC0415 - keep `--help` fast

    try:
        asyncio.run(serve(settings))
    except (MetronomeError, OSError) as exc:
        logging.getLogger("metronome").error("Cannot start: %s", exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
