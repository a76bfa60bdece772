"""Typed repositories over a `Store`: the layout of the records, one class per record kind.

    /state/job-specs/<jobId>              JobSpec
    /state/job-runs/<jobId>               empty parent of the job's active runs
    /state/job-runs/<jobId>/<runId>       JobRun
    /state/job-histories/<jobId>          JobHistory counters and the names of its pages
    /state/job-histories/<jobId>/<page>   up to PAGE_SIZE finished runs of one list, oldest first

A history keeps up to 1,000 runs per list, more than fits a ZooKeeper node (~1 MB), so its lists
are split into page nodes; `save` rewrites only the pages that changed.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from metronome.model import JobId
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
from metronome.storage._store import (
    ANY_VERSION,
    Create,
    Delete,
    NodeExistsError,
    NoNodeError,
    Op,
    SetData,
    StorageError,
    join_path,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from metronome.model import JobHistory, JobRun, JobSpec, RunId, RunInfo
    from metronome.storage._store import Store

logger = logging.getLogger(__name__)

JOB_SPECS = "/state/job-specs"
JOB_RUNS = "/state/job-runs"
JOB_HISTORIES = "/state/job-histories"
PAGE_SIZE = 100
"""Most runs in one history page node."""
PAGE_BYTES = 64 * 1024
"""Bound on a page's size, for runs with many tasks; a single larger run gets its own page."""
_PAGE_PREFIX = "page-"


def ensure_layout(store: Store) -> None:
    """Create the base nodes that are missing; safe to call concurrently and repeatedly."""
    for path in (JOB_SPECS, JOB_RUNS, JOB_HISTORIES):
        if store.get(path) is None:
            with contextlib.suppress(NodeExistsError):
                store.create(path, makepath=True)


class JobSpecRepository:
    """Job specs. Creating a job creates its runs parent; deleting it removes everything of it."""

    def __init__(self, store: Store) -> None:
        self._store = store
        ensure_layout(store)

    def load_all(self) -> list[JobSpec]:
        return [
            decode_job(data, join_path(JOB_SPECS, name))
            for name, (data, _) in self._store.children_data(JOB_SPECS).items()
        ]

    def load(self, job_id: JobId) -> JobSpec | None:
        """One job's spec (None if it is not stored), to restart a failed job actor."""
        path = join_path(JOB_SPECS, job_id)
        got = self._store.get(path)
        return None if got is None else decode_job(got[0], path)

    def create(self, spec: JobSpec) -> None:
        """Raises NodeExistsError when the job exists."""
        self._store.commit(self.create_ops(spec))

    def create_then(self, spec: JobSpec, done: Callable[[BaseException | None], None]) -> None:
        """`create` without waiting for the commit (`Store.commit_then`)."""
        self._store.commit_then(self.create_ops(spec), done)

    @staticmethod
    def create_ops(spec: JobSpec) -> list[Op]:
        """The creation of a job, to commit together with its first history."""
        return [
            Create(join_path(JOB_RUNS, spec.id)),
            Create(join_path(JOB_SPECS, spec.id), encode_job(spec)),
        ]

    def update(self, spec: JobSpec) -> None:
        """Raises NoNodeError when the job does not exist."""
        self._store.set(join_path(JOB_SPECS, spec.id), encode_job(spec))

    def delete(self, job_id: JobId) -> None:
        """Delete the spec, its active runs and its history in one commit.

        Raises NoNodeError when the job does not exist.
        """
        runs = join_path(JOB_RUNS, job_id)
        history = join_path(JOB_HISTORIES, job_id)
        ops: list[Op] = [Delete(join_path(JOB_SPECS, job_id))]
        ops += _subtree_deletes(self._store, runs)
        ops += _subtree_deletes(self._store, history)
        self._store.commit(ops)


class JobRunRepository:
    """Active job runs, under their job's runs parent."""

    def __init__(self, store: Store) -> None:
        self._store = store
        ensure_layout(store)

    def load_all(self) -> list[JobRun]:
        return [
            decode_run(data, join_path(join_path(JOB_RUNS, job_id), name))
            for job_id, runs in self._store.grandchildren_data(JOB_RUNS).items()
            for name, (data, _) in runs.items()
        ]

    def load_job(self, job_id: JobId) -> list[JobRun]:
        """One job's active runs, to restart a failed job actor."""
        parent = join_path(JOB_RUNS, job_id)
        try:
            stored = self._store.children_data(parent)
        except NoNodeError:
            return []
        return [decode_run(data, join_path(parent, name)) for name, (data, _) in stored.items()]

    def load(self, job_id: JobId, run_id: RunId) -> JobRun | None:
        """One run's record (None if it is not stored), to restart a failed run actor."""
        path = _run_path(job_id, run_id)
        got = self._store.get(path)
        return None if got is None else decode_run(got[0], path)

    def create(self, run: JobRun) -> None:
        """Raises NodeExistsError when the run exists, NoNodeError when its job does not."""
        self._store.create(_run_path(run.job_id, run.id), encode_run(run))

    @staticmethod
    def create_op(run: JobRun) -> Op:
        """The creation of a run, to commit together with its job's history."""
        return Create(_run_path(run.job_id, run.id), encode_run(run))

    def update(self, run: JobRun) -> None:
        """Raises NoNodeError when the run does not exist."""
        self._store.set(_run_path(run.job_id, run.id), encode_run(run))

    def delete(self, job_id: JobId, run_id: RunId) -> None:
        """Raises NoNodeError when the run does not exist."""
        self._store.delete(_run_path(job_id, run_id))

    @staticmethod
    def delete_op(job_id: JobId, run_id: RunId) -> Op:
        """The deletion of a run, to commit together with another record's change."""
        return Delete(_run_path(job_id, run_id))


@dataclass(frozen=True, slots=True)
class _Page:
    name: str
    runs: tuple[RunInfo, ...]
    """Oldest first."""
    entries: tuple[bytes, ...] | None = None
    """Each run's `encode_page_entry`, once known: a page read from the store has none until it
    changes, so loading does not re-encode what it decoded."""

    def encoded(self) -> tuple[bytes, ...]:
        if self.entries is not None:
            return self.entries
        return tuple(map(encode_page_entry, self.runs))


@dataclass(frozen=True, slots=True)
class _Stored:
    """What a history's nodes hold, as far as this repository wrote or read them."""

    version: int
    successful: tuple[_Page, ...]
    failed: tuple[_Page, ...]
    next_page: int


_ABSENT = _Stored(version=-1, successful=(), failed=(), next_page=1)
"""A history with no node yet (created at version 0)."""


class JobHistoryRepository:
    """Job histories, their lists split into page nodes.

    It remembers what it wrote so that `save` rewrites only changed pages. The history node's
    version fences that memory: if another writer changed the node, `save` raises
    BadVersionError and forgets the job, so a retry starts from the store. A history deleted
    meanwhile (`JobSpecRepository.delete` removes it with its job) is created anew.

    Calls for one job MUST be serialized (its actor does); different jobs MAY run concurrently.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._stored: dict[JobId, _Stored] = {}
        ensure_layout(store)

    def load_all(self) -> list[JobHistory]:
        histories = []
        for name, (data, version) in self._store.children_data(JOB_HISTORIES).items():
            history, stored = self._read(join_path(JOB_HISTORIES, name), data, version)
            self._stored[JobId(name)] = stored
            histories.append(history)
        return histories

    def load(self, job_id: JobId) -> JobHistory | None:
        """One job's history (None if it has none), for loading histories as they are needed."""
        path = join_path(JOB_HISTORIES, job_id)
        got = self._store.get(path)
        if got is None:
            return None
        history, self._stored[job_id] = self._read(path, *got)
        return history

    def create(self, history: JobHistory, *, also: Sequence[Op] = ()) -> None:
        """Write a new job's first history, with `also` (the job's creation) in the same commit.

        Raises:
            NodeExistsError: the history exists (and so, since they are created together, the job).
        """
        path = join_path(JOB_HISTORIES, history.job_id)
        self._stored[history.job_id] = self._write(path, history, _ABSENT, also)

    def create_then(
        self,
        history: JobHistory,
        done: Callable[[BaseException | None], None],
        *,
        also: Sequence[Op] = (),
    ) -> None:
        """`create` without waiting for the commit (`Store.commit_then`); `done` gets the
        outcome, on the store's thread."""
        job_id = history.job_id
        ops, stored = self._layout(join_path(JOB_HISTORIES, job_id), history, _ABSENT)

        def committed(error: BaseException | None) -> None:
            if error is None:
                self._stored[job_id] = stored
            done(error)

        self._store.commit_then([*ops, *also], committed)

    def save(self, history: JobHistory, *, also: Sequence[Op] = ()) -> None:
        """Save the history; `also` joins the same commit (a finished run's deletion).

        Raises:
            BadVersionError: another writer changed the history since this one.
        """
        path = join_path(JOB_HISTORIES, history.job_id)
        stored = self._stored.pop(history.job_id, None) or self._read_stored(path)
        try:
            self._stored[history.job_id] = self._write(path, history, stored, also)
        except NoNodeError:
            if stored is _ABSENT:
                raise
            logger.info("History of job %s was deleted meanwhile; writing it anew", history.job_id)
            stored = self._read_stored(path)
            self._stored[history.job_id] = self._write(path, history, stored, also)

    def delete(self, job_id: JobId) -> None:
        """Delete the history and its pages in one commit; nothing to do when there is none."""
        self._stored.pop(job_id, None)
        with contextlib.suppress(NoNodeError):
            self._store.commit(_subtree_deletes(self._store, join_path(JOB_HISTORIES, job_id)))

    def _read_stored(self, path: str) -> _Stored:
        got = self._store.get(path)
        return _ABSENT if got is None else self._read(path, *got)[1]

    def _write(
        self, path: str, history: JobHistory, stored: _Stored, also: Sequence[Op]
    ) -> _Stored:
        """Commit `history` over what `stored` says the store holds; return what it then holds."""
        ops, written = self._layout(path, history, stored)
        self._store.commit([*ops, *also])
        return written

    @staticmethod
    def _layout(path: str, history: JobHistory, stored: _Stored) -> tuple[list[Op], _Stored]:
        """The operations that write `history` over `stored`, and what the store then holds."""
        successful, next_page = _layout(
            stored.successful, history.successful_runs[::-1], stored.next_page
        )
        failed, next_page = _layout(stored.failed, history.failed_runs[::-1], next_page)
        pages = HistoryPages(tuple(p.name for p in successful), tuple(p.name for p in failed))
        header = encode_history(history, pages)
        ops: list[Op] = [
            Create(path, header) if stored is _ABSENT else SetData(path, header, stored.version)
        ]
        old = {page.name: page for page in stored.successful + stored.failed}
        ops += _page_ops(path, old, successful + failed)
        return ops, _Stored(stored.version + 1, successful, failed, next_page)

    def _read(self, path: str, data: bytes, version: int) -> tuple[JobHistory, _Stored]:
        names = decode_history_pages(data, path)
        # Most histories have no pages yet (jobs that never ran): no round trip for those.
        stored = self._store.children_data(path) if names.successful or names.failed else {}
        successful = tuple(_read_page(path, name, stored) for name in names.successful)
        failed = tuple(_read_page(path, name, stored) for name in names.failed)
        numbers = [_page_number(path, p.name) for p in successful + failed]
        history = decode_history(data, path, _newest_first(successful), _newest_first(failed))
        return history, _Stored(version, successful, failed, max(numbers, default=0) + 1)


def _read_page(history_path: str, name: str, stored: dict[str, tuple[bytes, int]]) -> _Page:
    path = join_path(history_path, name)
    if name not in stored:
        msg = f"{path}: history page is missing"
        raise StorageError(msg)
    return _Page(name, decode_page(stored[name][0], path))


def _run_path(job_id: JobId, run_id: RunId) -> str:
    return join_path(join_path(JOB_RUNS, job_id), run_id)


def _subtree_deletes(store: Store, path: str) -> list[Op]:
    """Deletes for `path` and its children (leaves first); none when `path` does not exist."""
    try:
        names = store.children(path)
    except NoNodeError:
        return []
    return [*(Delete(join_path(path, name)) for name in names), Delete(path)]


def _page_number(history_path: str, name: str) -> int:
    try:
        return int(name.removeprefix(_PAGE_PREFIX))
    except ValueError as exc:
        msg = f"{history_path}: not a history page name: {name!r}"
        raise StorageError(msg) from exc


def _newest_first(pages: Sequence[_Page]) -> tuple[RunInfo, ...]:
    return tuple(run for page in reversed(pages) for run in reversed(page.runs))


def _layout(
    old: Sequence[_Page], runs: Sequence[RunInfo], next_page: int
) -> tuple[tuple[_Page, ...], int]:
    """Pages for `runs` (oldest first) that keep as many of the `old` pages as they can.

    A list grows at its newest end and is truncated at its oldest, so the old pages in between
    stay as they are: only the oldest (truncated) and newest (filled) pages change, and only the
    runs not yet in a page are encoded.
    """
    runs = tuple(runs)
    kept: list[_Page] = []
    pos = 0
    for page in old:
        if not kept:
            # The oldest surviving page may have lost its oldest runs; older pages are gone.
            if not runs or runs[0] not in page.runs:
                continue
            start = page.runs.index(runs[0])
            if start:
                page = _Page(page.name, page.runs[start:], page.encoded()[start:])
        if runs[pos : pos + len(page.runs)] != page.runs:
            break
        kept.append(page)
        pos += len(page.runs)
    new = runs[pos:]
    entries = tuple(map(encode_page_entry, new))
    if kept and new:
        last = kept.pop()
        last_entries = last.encoded()
        rest = _fill(last_entries, entries)
        kept.append(_Page(last.name, last.runs + new[:rest], last_entries + entries[:rest]))
        new, entries = new[rest:], entries[rest:]
    while new:
        count = max(_fill((), entries), 1)
        kept.append(_Page(f"{_PAGE_PREFIX}{next_page}", new[:count], entries[:count]))
        next_page += 1
        new, entries = new[count:], entries[count:]
    return tuple(kept), next_page


def _fill(page: Sequence[bytes], entries: Sequence[bytes]) -> int:
    """How many of `entries` still fit into `page` (by count and by size)."""
    size = sum(map(len, page))
    count = 0
    for entry in entries[: PAGE_SIZE - len(page)]:
        size += len(entry)
        if size > PAGE_BYTES:
            break
        count += 1
    return count


def _page_ops(history_path: str, old: dict[str, _Page], pages: Sequence[_Page]) -> list[Op]:
    """Creates and sets for new and changed pages, deletes for pages no longer used."""
    ops: list[Op] = []
    unused = dict(old)
    for page in pages:
        previous = unused.pop(page.name, None)
        path = join_path(history_path, page.name)
        if previous is None:
            ops.append(Create(path, b"".join(page.encoded())))
        elif previous.runs != page.runs:
            ops.append(SetData(path, b"".join(page.encoded()), ANY_VERSION))
    ops += (Delete(join_path(history_path, name)) for name in unused)
    return ops
