"""Persistence: the Store interface, its SQLite and ZooKeeper implementations, typed repositories.

Records are protobuf messages (proto/metronome.proto; regenerate the module with
scripts/gen-proto). Layout and paging are described in `_repository`.
"""

from metronome.storage._codec import (
    HistoryPages,
    decode_history,
    decode_history_pages,
    decode_job,
    decode_page,
    decode_run,
    encode_history,
    encode_job,
    encode_page_entry,
    encode_run,
)
from metronome.storage._dump import dump
from metronome.storage._framework import FrameworkIdRepository
from metronome.storage._repository import (
    JOB_HISTORIES,
    JOB_RUNS,
    JOB_SPECS,
    JobHistoryRepository,
    JobRunRepository,
    JobSpecRepository,
)
from metronome.storage._sqlite import SqliteStore
from metronome.storage._store import (
    ANY_VERSION,
    BadVersionError,
    Check,
    Create,
    DataDirError,
    Delete,
    FencedOut,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    Op,
    SetData,
    StorageError,
    Store,
    StoreUnavailable,
)
from metronome.storage._zookeeper import ZkStore

__all__ = [
    "ANY_VERSION",
    "JOB_HISTORIES",
    "JOB_RUNS",
    "JOB_SPECS",
    "BadVersionError",
    "Check",
    "Create",
    "DataDirError",
    "Delete",
    "FencedOut",
    "FrameworkIdRepository",
    "HistoryPages",
    "JobHistoryRepository",
    "JobRunRepository",
    "JobSpecRepository",
    "NoNodeError",
    "NodeExistsError",
    "NotEmptyError",
    "Op",
    "SetData",
    "SqliteStore",
    "StorageError",
    "Store",
    "StoreUnavailable",
    "ZkStore",
    "decode_history",
    "decode_history_pages",
    "decode_job",
    "decode_page",
    "decode_run",
    "dump",
    "encode_history",
    "encode_job",
    "encode_page_entry",
    "encode_run",
]
