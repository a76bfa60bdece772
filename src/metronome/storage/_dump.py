"""A readable picture of a store's nodes, for `metronome zk dump` and for debugging.

Records are decoded by where they sit in the layout (`_repository`), with the codec, into plain
JSON values: model fields by name, times as ISO 8601 strings, enums as their names. Any other
node shows its data as text when it is UTF-8 and as base64 otherwise; a record that does not
decode shows the error beside its raw data, so one bad node does not hide the rest.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from metronome.storage._codec import (
    decode_history,
    decode_history_pages,
    decode_job,
    decode_page,
    decode_run,
)
from metronome.storage._repository import JOB_HISTORIES, JOB_RUNS, JOB_SPECS
from metronome.storage._store import NoNodeError, StorageError, check_node_path, join_path

if TYPE_CHECKING:
    from metronome.storage._store import Store


def dump(store: Store, path: str = "/") -> dict[str, dict[str, Any]]:
    """Every node at and below `path`, by path in tree order, as JSON-able dicts.

    Each entry has the node's `version`; a record also has `type` (JobSpec, JobRun, JobHistory,
    RunInfoPage) and `value`, or `error` and `base64` when it does not decode; other non-empty
    data is under `text` or `base64`.

    Raises:
        NoNodeError: `path` does not exist.
        StorageError: the store fails.
    """
    check_node_path(path)
    got = store.get(path)
    if got is None:
        msg = f"{path}: no such node"
        raise NoNodeError(msg)
    nodes = {path: _describe(path, *got)}
    _dump_children(store, path, nodes)
    return nodes


def _dump_children(store: Store, path: str, nodes: dict[str, dict[str, Any]]) -> None:
    try:
        children = store.children_data(path)
    except NoNodeError:  # deleted since its parent was listed
        return
    for name, (data, version) in children.items():
        child = join_path(path, name)
        nodes[child] = _describe(child, data, version)
        _dump_children(store, child, nodes)


def _describe(path: str, data: bytes, version: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"version": version}
    decode: Callable[[], Any]
    parent = path.rpartition("/")[0]
    grandparent = parent.rpartition("/")[0]
    if parent == JOB_SPECS:
        kind, decode = "JobSpec", lambda: _plain(decode_job(data, path))
    elif grandparent == JOB_RUNS:
        kind, decode = "JobRun", lambda: _plain(decode_run(data, path))
    elif parent == JOB_HISTORIES:
        kind, decode = "JobHistory", lambda: _history(data, path)
    elif grandparent == JOB_HISTORIES:
        kind, decode = "RunInfoPage", lambda: _plain(decode_page(data, path))
    else:
        if data:
            entry.update(_raw(data))
        return entry
    entry["type"] = kind
    try:
        entry["value"] = decode()
    except StorageError as exc:
        entry["error"] = str(exc)
        entry["base64"] = base64.b64encode(data).decode()
    return entry


def _history(data: bytes, path: str) -> dict[str, Any]:
    """The history's counters and marks, and its page names (its runs are in the pages)."""
    value: dict[str, Any] = _plain(decode_history(data, path))
    del value["successful_runs"], value["failed_runs"]
    value["pages"] = _plain(decode_history_pages(data, path))
    return value


def _raw(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode()}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}


def _plain(value: Any) -> Any:
    """`value` as JSON values: dataclasses as dicts, times as ISO 8601, enums by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value
