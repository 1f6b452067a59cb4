"""Follow a database that another process writes (a running app or `serve`): the new requests,
once analysed, that match a filter, oldest first. For `tail` and `wait`.

Reads only: the file is never created, migrated or written (readers run with
``query_only``). A file that does not exist yet, or has no tables yet, simply has nothing new;
a path that can never be a database (a directory, a device...) is a StoreError at once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inspector.core.filters import compile_filter
from inspector.core.models import StoredRequest
from inspector.core.store import Store, StoreError, not_a_file

__all__ = ["POLL_ROWS", "Follower"]

POLL_ROWS = 1000
"""Stored requests one poll looks at, at most: a follower far behind (`wait --since 0` on a big
database, `tail` after an import) reads them page by page, never every body at once."""


class Follower:
    """Polls `path` for requests stored after `after` (default: the newest one now) that match
    `filter_text` (the filter language of `inspector.core.filters`; FilterError when bad).
    StoreError when `path` is not a regular file (nor missing)."""

    def __init__(self, path: Path, filter_text: str = "", *, after: int | None = None) -> None:
        chosen = compile_filter(filter_text)
        problem = not_a_file(Path(path))
        if problem is not None:
            raise StoreError(problem)
        self.where, self.params = chosen.where, chosen.params
        self.path = Path(path)
        self._store: Store | None = None
        self.last = after if after is not None else self._last_id()
        self.behind = False
        """The last poll read a full page: poll again at once, more is there."""

    def _open(self) -> Store | None:
        if self._store is None and self.path.exists():
            self._store = Store(self.path)
        return self._store

    def _last_id(self) -> int:
        store = self._open()
        if store is None:
            return 0
        try:
            return store.last_id()
        except sqlite3.Error:
            return 0

    def poll(self) -> list[StoredRequest]:
        """The matching requests analysed since the last poll, oldest first, looking at
        POLL_ROWS stored requests at most (`behind` then says more are there). A request
        stored but not analysed yet holds back those after it (so the order is kept)."""
        store = self._open()
        self.behind = False
        if store is None:
            return []
        try:
            return self._poll(store)
        except sqlite3.Error:  # the writer is creating the schema: try again next time
            return []

    def _poll(self, store: Store) -> list[StoredRequest]:
        ids = store.ids_after(self.last)
        more, ids = len(ids) > POLL_ROWS, ids[:POLL_ROWS]
        if not ids:
            return []
        summaries = store.summaries(ids)
        ready: list[int] = []
        for request_id in ids:
            summary = summaries.get(request_id)
            if summary is None:
                continue  # deleted meanwhile
            if not summary.analysed:
                more = False  # wait for the writer's analysis
                break
            ready.append(request_id)
        self.behind = more
        if not ready:
            return []
        matching = (
            store.ids_after(self.last, self.where, self.params, up_to=ready[-1])
            if self.where
            else ready
        )
        self.last = ready[-1]
        return store.get_many(matching)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
