"""The request table: ids in memory, row summaries fetched lazily from SQLite.

ARCHITECTURE.md, "Big tables hold ids":

The model holds the ids of the rows it shows, newest first, and a bounded cache of RowSummary.
Older rows are paged in with `fetchMore` (keyset paging); live rows are coalesced and inserted at
the top in one `beginInsertRows` per flush. Filtering happens in SQL.
"""

from __future__ import annotations

import bisect
import operator
import time
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor

from inspector.core.providers import answer_deadline
from inspector.core.store import RowSummary, Store, windowed
from inspector.gui import theme
from inspector.gui.icons import sig_icon
from inspector.gui.models.lazy_table import (
    DECORATION,
    DISPLAY,
    FETCH_WINDOW,
    FOREGROUND,
    IdRole,
    Index,
    LazyTableModel,
    Painted,
)
from inspector.gui.text import human_size, long_time, one_line, plain_tooltip, short_time
from inspector.gui.theme import sig_look

TIME, METHOD, PATH, PROVIDER, EVENT, SUMMARY, SIGNATURE, SIZE, STATUS, SOURCE = range(10)
FORWARD = 10
HEADERS = ("Time", "Method", "Path", "Provider", "Event", "Summary", "Signature", "Size",
           "Status", "Source", "Forward")  # fmt: skip
__all__ = ["FETCH_WINDOW", "IdRole", "Index", "RequestTableModel", "Where"]

PAGE_SIZE = 200
FLUSH_MS = 40
"""While rows keep arriving, live rows are inserted at most once per FLUSH_MS (one insert per
batch keeps the window responsive during a burst); the first rows after a quiet spell are
inserted at once (on the event loop's next turn)."""
FLUSH_MAX_MS = 60
"""The longest wait between two live inserts during a burst (see LIVE_SHARE)."""
LIVE_SHARE = 0.3
"""During a burst every insert repaints the whole table (rows shift down) with rows never
painted before. The wait between inserts grows, up to FLUSH_MAX_MS, so that inserting and
repainting take at most this share of the GUI thread: the cost of the last insert and of the
last repaint (`note_repaint`) are measured in CPU time."""
SCAN_IDS = 10_000
"""Ids one filtered read covers at most. A filter on a column without an index reads every row
of that range, so a page that is not found in a few such reads is searched for step by step at
the event loop's next turns (the window repaints and takes input in between)."""
TURN_BUDGET_S = 0.02
"""Reads go on within one turn of the event loop while they took less than this in all."""

RED = QColor(theme.RED)
GREY = QColor(theme.GREY)


class SqlFilter(Protocol):
    """What the model needs from a filter: a WHERE clause and its parameters."""

    where: str
    params: Sequence[object]


class Where(NamedTuple):
    """A plain SQL condition over the `requests` table ('' matches everything)."""

    where: str = ""
    params: tuple[object, ...] = ()
    text: str = ""


class RequestTableModel(LazyTableModel[RowSummary]):
    """Newest-first table of stored requests.

    Signals:
        flushed(int): a live batch of this many rows was inserted at the top.
        searchProgress(): a search for a page of older rows went a step further or ended.
    """

    flushed = Signal(int)
    searchProgress = Signal()
    HEADERS = HEADERS

    def __init__(self, store: Store | None = None, parent: QObject | None = None) -> None:
        super().__init__(store, parent)  # ids: newest first, always in descending order
        self._filter: SqlFilter = Where()
        self._hidden: set[int] = set()  # deleted in the view, still undoable
        self._oldest_read = 0  # the oldest id paged in (hidden ones included)
        self._after = 0  # newest id already considered
        self._pending = False
        self._analysed: list[int] = []  # ids analysed since the last flush: repainted by it
        self._flushed_at = float("-inf")  # time.monotonic() of the last live insert
        self._insert_cost = 0.0  # CPU seconds the last live insert took
        self._repaint_cost = 0.0  # CPU seconds the last repaint of the view took
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._found: int | None = None  # rows found by the search under way (None: no search)
        self._read_full = False  # the last read stopped at a whole page, not at SCAN_IDS
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.timeout.connect(self._search_on)
        if store is not None:
            self._load_first_page()

    # public API

    def set_filter(self, flt: SqlFilter | None) -> None:
        """Show only rows matching `flt` (anything with `.where` and `.params`)."""
        self._filter = flt if flt is not None else Where()
        self.reload()

    @property
    def filter(self) -> SqlFilter:
        return self._filter

    def _forget(self) -> None:
        self._oldest_read = 0
        self._pending = False
        self._analysed = []
        self._timer.stop()
        self._after = 0
        self._found = None
        self._search_timer.stop()

    @property
    def newest_considered(self) -> int:
        """The newest id the table has paged or flushed in: newer ones arrive by `flush`."""
        return self._after

    def searching(self) -> tuple[int, int] | None:
        """While a search for a page of older rows is under way: (ids read, ids in all)."""
        if self._found is None:
            return None
        return (self._after - self._oldest_read + 1 if self._oldest_read else 0), self._after

    def canFetchMore(self, parent: Index) -> bool:
        return super().canFetchMore(parent) and self._found is None

    def refresh(self) -> None:
        """Re-read the summaries of every row (after re-derivation); keeps the rows."""
        self._cache.clear()
        if self._ids:
            last = self.index(len(self._ids) - 1, len(HEADERS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    def refresh_id(self, request_id: int) -> None:
        """Re-read one row's summary (e.g. its forward finished) and repaint that row."""
        self._repaint_ids([request_id])

    def on_committed(self, ids: Sequence[int]) -> None:
        """New requests were committed (not analysed yet). Without a filter they are shown
        at once, with provider, event and signature filled in when analysed; a filter may
        test those, so a filtered table waits for the analysis."""
        if ids and self._shows_raw_rows():
            self._schedule_flush()

    def on_stored(self, ids: Sequence[int]) -> None:
        """Requests were analysed: their rows shown raw are read again, and repainted by the
        next flush together with the newly matching rows it inserts (one repaint, paced as
        live inserts are)."""
        if not ids or self._store is None:
            return
        self._drop_cached(ids)
        self._analysed.extend(ids)
        self._schedule_flush()

    def flush(self) -> int:
        """Repaint the rows analysed since the last flush, and insert every matching row newer
        than the newest known one, in one batch; returns how many were inserted."""
        self._timer.stop()
        if self._analysed:
            analysed, self._analysed = self._analysed, []
            self._changed(analysed)
        if not self._pending or self._store is None:
            return 0
        self._pending = False
        watermark = self._shown_up_to()
        if watermark <= self._after:
            return 0
        flt = self._filter
        new_ids = self._store.ids_after(self._after, flt.where, flt.params, up_to=watermark)
        self._after = watermark
        new_ids = [i for i in new_ids if i not in self._hidden]
        if not new_ids:
            return 0
        new_ids.reverse()
        self._flushed_at = time.monotonic()
        started = time.thread_time()
        self.beginInsertRows(QModelIndex(), 0, len(new_ids) - 1)
        self._ids[0:0] = new_ids
        self.endInsertRows()
        self.flushed.emit(len(new_ids))
        self._insert_cost = time.thread_time() - started
        return len(new_ids)

    def note_repaint(self, cpu_seconds: float) -> None:
        """A view repainted these rows in `cpu_seconds` (paces live inserts: LIVE_SHARE)."""
        self._repaint_cost = cpu_seconds

    def flush_interval_ms(self) -> float:
        """The wait between two live inserts while rows keep arriving (LIVE_SHARE)."""
        wanted = (self._insert_cost + self._repaint_cost) / LIVE_SHARE * 1000
        return min(max(wanted, FLUSH_MS), FLUSH_MAX_MS)

    def remove_ids(self, ids: Sequence[int]) -> None:
        """Remove rows by id (after they were deleted), one contiguous range at a time."""
        rows = sorted((r for r in (self.row_of(i) for i in ids) if r is not None), reverse=True)
        for first, last in _ranges_descending(rows):
            self.beginRemoveRows(QModelIndex(), first, last)
            for request_id in self._ids[first : last + 1]:
                self._cache.pop(request_id, None)
            del self._ids[first : last + 1]
            self.endRemoveRows()

    def hide_ids(self, ids: Sequence[int]) -> None:
        """Remove these rows and keep them out (reloads too) until `unhide_ids`."""
        self._hidden.update(ids)
        self.remove_ids(ids)

    def unhide_ids(self, ids: Sequence[int]) -> None:
        """Show these requests again where the filter and the loaded pages place them."""
        self._hidden.difference_update(ids)
        if not ids or self._store is None:
            return
        flt = self._filter
        low, high = min(ids), max(ids)
        matching = set(self._store.ids_after(low - 1, flt.where, flt.params, up_to=high))
        oldest = self._oldest_read if not self._exhausted else 0
        back = [i for i in sorted(matching & set(ids), reverse=True)
                if oldest <= i <= self._after and self.row_of(i) is None]  # fmt: skip
        runs: dict[int, list[int]] = {}  # insertion row -> ids going there, newest first
        for request_id in back:
            row = bisect.bisect_left(self._ids, -request_id, key=operator.neg)
            runs.setdefault(row, []).append(request_id)
        for row in sorted(runs, reverse=True):  # from the bottom: rows above stay valid
            self.beginInsertRows(QModelIndex(), row, row + len(runs[row]) - 1)
            self._ids[row:row] = runs[row]
            self.endInsertRows()

    def row_of(self, request_id: int) -> int | None:
        """The row showing `request_id` (ids are in descending order: a binary search)."""
        row = bisect.bisect_left(self._ids, -request_id, key=operator.neg)
        return row if row < len(self._ids) and self._ids[row] == request_id else None

    def summary_at(self, row: int) -> RowSummary | None:
        """The cached (or freshly fetched) summary shown in `row`."""
        return self.row_at(row)

    def _paint_cells(self, row: RowSummary) -> Painted:
        icon = sig_icon(row.sig_status) if row.analysed else None
        return [{DISPLAY: text, DECORATION: icon if column == SIGNATURE else None,
                 FOREGROUND: colour}
                for column, (text, colour) in enumerate(zip(cell_texts(row), _foregrounds(row),
                                                            strict=True))]  # fmt: skip

    def _cell(self, row: RowSummary, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(cell_tooltip(row, column))
        if role == Qt.ItemDataRole.DecorationRole and column == SIGNATURE and row.analysed:
            return sig_icon(row.sig_status)
        if role == Qt.ItemDataRole.ForegroundRole:
            return _foreground(row, column)
        return None

    # internals

    def _shows_raw_rows(self) -> bool:
        return not self._filter.where

    def _schedule_flush(self) -> None:
        """Flush on the event loop's next turn, or `flush_interval_ms` after the last insert
        when that was more recent (leading edge, then a trailing timer)."""
        if self._store is not None:
            self._pending = True
            if not self._timer.isActive():
                since_ms = (time.monotonic() - self._flushed_at) * 1000
                wait_ms = self.flush_interval_ms() - since_ms
                self._timer.start(round(wait_ms) if wait_ms > 0 else 0)

    def _repaint_ids(self, ids: Sequence[int]) -> None:
        """Forget the cached summaries of these ids and repaint their rows."""
        self._drop_cached(ids)
        self._changed(ids)

    def _drop_cached(self, ids: Sequence[int]) -> None:
        for request_id in ids:
            self._cache.pop(request_id, None)

    def _changed(self, ids: Sequence[int]) -> None:
        """Repaint the rows these ids span: the rows of the newest and the oldest of them shown
        (an analysed batch may hold thousands of ids: they are not looked up one by one)."""
        ordered = sorted(ids)
        first = next((r for r in map(self.row_of, reversed(ordered)) if r is not None), None)
        last = next((r for r in map(self.row_of, ordered) if r is not None), None)
        if first is None or last is None:
            return
        last_column = len(HEADERS) - 1
        self.dataChanged.emit(self.index(first, 0), self.index(last, last_column))

    def _load_first_page(self) -> None:
        self._after = self._shown_up_to()
        self._exhausted = False
        self._add_page(self._search())

    def _shown_up_to(self) -> int:
        """The newest id the table may show: the newest committed one without a filter, else
        the analysis watermark."""
        assert self._store is not None
        return self._store.last_id() if self._shows_raw_rows() else self._watermark()

    def _watermark(self) -> int:
        """The newest id up to which every row has been analysed.

        The writer commits raw rows first and derives provider, events and signature status
        afterwards, oldest first. A filtered table shows no row past this mark: a filter on a
        derived column would skip it for good.
        """
        assert self._store is not None
        pending, newest = (
            self._store.reader()
            .execute(
                "SELECT (SELECT min(id) FROM requests WHERE analysed = 0),"
                " (SELECT max(id) FROM requests)"
            )
            .fetchone()
        )
        return int(pending) - 1 if pending is not None else int(newest or 0)

    def _page(self, before: int) -> list[RowSummary]:
        """Up to a page of matching rows older than `before`, reading at most SCAN_IDS ids
        (free text and paths read an index in widening ranges: those are read to the end)."""
        assert self._store is not None
        flt = self._filter
        lowest = 1 if windowed(flt.where) else max(1, before - SCAN_IDS)
        page = self._store.page(before_id=before, limit=PAGE_SIZE, where=flt.where,
                                params=flt.params, lowest=lowest)  # fmt: skip
        self._read_full = full = len(page) == PAGE_SIZE
        self._oldest_read = page[-1].id if full else lowest
        self._exhausted = not full and lowest <= 1
        return page

    def _visible_page(self) -> list[RowSummary]:
        """The next rows older than those read, hidden ones left out."""
        read = self._page(self._oldest_read or self._after + 1)
        return [summary for summary in read if summary.id not in self._hidden]

    def _next_page(self) -> list[RowSummary]:
        return self._search()

    def _search(self) -> list[RowSummary]:
        """Start searching for a page of older rows; returns what this turn found."""
        self._found = 0
        return self._search_turn()

    def _search_turn(self) -> list[RowSummary]:
        """Read for up to TURN_BUDGET_S (a read that found a whole page, hidden by a delete,
        does not stop the turn). The search ends with a page found (hidden rows do not count)
        or nothing left to read; else it goes on at the next turn."""
        assert self._found is not None
        started = time.monotonic()
        page: list[RowSummary] = []
        while True:
            page += self._visible_page()
            if self._found + len(page) >= PAGE_SIZE or self._exhausted:
                self._found = None
                return page
            if not self._read_full and time.monotonic() - started >= TURN_BUDGET_S:
                break
        self._found += len(page)
        self._search_timer.start(0)
        return page

    def _search_on(self) -> None:
        if self._found is None or self._store is None:
            return
        if self._changing:  # never insert inside another change: try again next turn
            self._search_timer.start(0)
            return
        self._append_rows(self._search_turn())
        self.searchProgress.emit()

    def _read_rows(self, ids: list[int]) -> dict[int, RowSummary]:
        assert self._store is not None
        return self._store.summaries(ids)


def _ranges_descending(rows: list[int]) -> list[tuple[int, int]]:
    """[9, 8, 7, 3, 2] -> [(7, 9), (2, 3)]: contiguous ranges, highest first."""
    ranges: list[tuple[int, int]] = []
    for row in rows:
        if ranges and ranges[-1][0] == row + 1:
            ranges[-1] = (row, ranges[-1][1])
        else:
            ranges.append((row, row))
    return ranges


# --- cell contents ----------------------------------------------------------------------------


ANALYSING = "analysing…"
"""Shown in the Event column of a row committed but not analysed yet (during a burst)."""
DERIVED_COLUMNS = (PROVIDER, EVENT, SUMMARY, SIGNATURE)
"""Columns the writer's analysis fills in: blank (Event: ANALYSING) until then."""


def event_text(row: RowSummary) -> str:
    """Event type, with the duplicate and batch size when there is one."""
    text = "refused" if row.refused else row.event_type or "—"
    if row.event_count > 1 and " + " not in text:  # a mixed batch says what it holds
        text += f" ×{row.event_count}"
    if row.duplicate_of is not None:
        text += f" (dup of #{row.duplicate_of})"
    return text


def cell_text(row: RowSummary, column: int) -> str:
    """What a cell shows (one line of plain text)."""
    return cell_texts(row)[column]


def cell_texts(row: RowSummary) -> list[str]:
    """What each cell of `row` shows, by column (one line of plain text each); the derived
    columns are blank (Event: ANALYSING) until the row is analysed."""
    path = f"{row.path}?{row.query}" if row.query else row.path
    texts = [short_time(row.received_at_ns), row.method, one_line(path), "", ANALYSING, "",
             "", human_size(row.body_size), status_cell(row), row.source,
             forward_text(row)]  # fmt: skip
    if row.analysed:
        texts[PROVIDER] = "" if row.provider == "generic" else row.provider
        texts[EVENT] = one_line(event_text(row))
        texts[SUMMARY] = one_line(row.summary)
        texts[SIGNATURE] = sig_look(row.sig_status).word
    return texts


def status_cell(row: RowSummary) -> str:
    """Our answer: the status, or what happened instead ("closed", "held 16 s")."""
    if row.response_status is not None:
        return str(row.response_status)
    note = row.answer_note or ""
    if note.startswith("held for "):
        return "held " + note.removeprefix("held for ").split(",")[0]
    return "closed" if note.startswith("closed") else "—"


def forward_text(row: RowSummary) -> str:
    """'200 · 14 ms', 'error', or '' when the request was not forwarded."""
    if row.forward_status is None and row.forward_error is None and row.forward_ms is None:
        return ""
    status = "error" if row.forward_status is None else str(row.forward_status)
    if row.forward_ms is None:
        return status
    ms = row.forward_ms
    return f"{status} · {ms:.0f} ms" if ms < 10_000 else f"{status} · {ms / 1000:.1f} s"


def forward_tooltip(row: RowSummary) -> str:
    """What happened to the forward, and which provider limit a slow answer exceeded."""
    text = forward_text(row)
    if not text:
        return "Not forwarded"
    lines = [f"Forwarded: {text}"]
    if row.forward_error:
        lines.append(row.forward_error)
    if row.forward_too_slow:
        found = answer_deadline(row.provider, row.sig_scheme)
        assert found is not None  # forward_too_slow needs a deadline
        name, limit = found
        lines.append(f"Too slow: {name} gives up after {limit:g} s, so it would have retried "
                     "or failed this delivery.")  # fmt: skip
    return "\n".join(lines)


def forward_bad(row: RowSummary) -> bool:
    failed = row.forward_error is not None or (
        row.forward_status is not None and row.forward_status >= 400
    )
    return failed or row.forward_too_slow


def cell_tooltip(row: RowSummary, column: int) -> str:
    """Plain tooltip text (escaped later by plain_tooltip)."""
    if column == TIME:
        return long_time(row.received_at_ns)
    if column == PATH:
        return f"{row.path}?{row.query}" if row.query else row.path
    if not row.analysed and column in DERIVED_COLUMNS:
        return "Stored; provider, event and signature follow in a moment."
    if column == EVENT and row.duplicate_of is not None:
        return f"{event_text(row)}\nSame event id as request #{row.duplicate_of}."
    if column in (SUMMARY, EVENT) and row.refused:
        return f"Refused: {row.refused}"
    if column == SIZE:
        return f"{row.body_size:,} bytes"
    if column == SIGNATURE:
        return f"Signature: {sig_look(row.sig_status).word}"
    if column == FORWARD:
        return forward_tooltip(row)
    if column == STATUS and row.answer_note:
        return f"Our answer: {row.answer_note} (a response rule)"
    return cell_text(row, column)


def _foreground(row: RowSummary, column: int) -> QBrush | None:
    return _foregrounds(row)[column]


def _foregrounds(row: RowSummary) -> list[QBrush | None]:
    """The text colour of each cell of `row`, by column (None: the palette's)."""
    colours: list[QBrush | None] = [None] * len(HEADERS)
    if not row.analysed:
        colours[EVENT] = QBrush(GREY)
    if row.sig_status == "invalid":
        colours[SIGNATURE] = QBrush(RED)
    if row.answer_note or (row.response_status or 0) >= 400:
        colours[STATUS] = QBrush(RED)
    if forward_bad(row):
        colours[FORWARD] = QBrush(RED)
    if row.refused:
        colours[EVENT] = colours[SUMMARY] = colours[STATUS] = QBrush(RED)
    return colours
