"""The Mesos framework id, kept in the store so a restarted or newly elected scheduler fails
over to the same framework (and so keeps its running tasks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from metronome.storage._store import NoNodeError

if TYPE_CHECKING:
    from metronome.storage._store import Store

FRAMEWORK_ID = "/state/framework-id"


class FrameworkIdRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self) -> str | None:
        found = self._store.get(FRAMEWORK_ID)
        return found[0].decode() or None if found else None

    def set(self, framework_id: str | None) -> None:
        """Record the id; None forgets it (the master removed the framework)."""
        if framework_id is None:
            try:
                self._store.delete(FRAMEWORK_ID)
            except NoNodeError:
                pass
            return
        try:
            self._store.set(FRAMEWORK_ID, framework_id.encode())
        except NoNodeError:
            self._store.create(FRAMEWORK_ID, framework_id.encode(), makepath=True)
