"""Reading what the user gives: JSON files (or standard input)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


class UsageError(Exception):
    """The command cannot be carried out as given; nothing was sent."""


def read_json_file(name: str, kind: str) -> dict[str, Any]:
    """The JSON object in file `name` (`-`: standard input), which must have an `id`.

    Raises:
        UsageError: unreadable, not JSON, not an object, or without an id.
    """
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text()
    except OSError as exc:
        msg = f"cannot read {name}: {exc.strerror or exc}"
        raise UsageError(msg) from None
    try:
        body = json.loads(text)
    except ValueError as exc:
        msg = f"{name} is not JSON: {exc}"
        raise UsageError(msg) from None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        msg = f'{name}: expected a {kind} as a JSON object with an "id"'
        raise UsageError(msg)
    return body
