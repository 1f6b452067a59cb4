"""The main window: filter bar, live request table, detail pane, status bar, menus."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import inspector
from inspector.core.config import Settings, save_settings
from inspector.core.formats.curl import to_curl
from inspector.core.models import ReplayAttempt, StoredRequest
from inspector.core.receiver import ReceiverError
from inspector.core.store import INT64_MAX, Store
from inspector.gui.bridge import CoreBridge
from inspector.gui.desktop import attach as attach_desktop
from inspector.gui.dialogs.check_dialog import open_check_dialog
from inspector.gui.dialogs.export import ExportDialog, ExportJob, progress_dialog
from inspector.gui.dialogs.help import show_help
from inspector.gui.dialogs.import_dialog import FileOutcome, ImportRunner, summary_text
from inspector.gui.dialogs.replay_dialog import ReplayDialog, TargetCombo, attempt_summary
from inspector.gui.dialogs.settings import Invalid, SettingsDialog
from inspector.gui.models import request_model as cols
from inspector.gui.models.request_model import IdRole, RequestTableModel
from inspector.gui.theme import THEMES, apply_theme
from inspector.gui.widgets import messages_view, samples_menu
from inspector.gui.widgets.body_view import Worker
from inspector.gui.widgets.cell_painter import CellPainter
from inspector.gui.widgets.common import Banner, EmptyState
from inspector.gui.widgets.detail_pane import DetailPane
from inspector.gui.widgets.filter_bar import FilterBar
from inspector.gui.widgets.responses_tab import ResponsesControl
from inspector.gui.widgets.samples_menu import SamplesMenu
from inspector.gui.widgets.sources_panel import SourcesPanel, StreamStatus
from inspector.gui.widgets.status import StatusPanel

log = logging.getLogger(__name__)


COLUMN_WIDTHS = {
    cols.TIME: 76, cols.METHOD: 64, cols.PATH: 160, cols.PROVIDER: 82, cols.EVENT: 190,
    cols.SUMMARY: 380, cols.SIGNATURE: 100, cols.SIZE: 76, cols.STATUS: 56, cols.SOURCE: 60,
    cols.FORWARD: 70,
}  # fmt: skip
EMPTY_PAGE, TABLE_PAGE = 0, 1
FOLLOW_DETAIL_DELAY_MS = 300
"""With "follow newest" on, the detail pane shows the newest request after rows have stopped
arriving for this long."""
UNDO_MS = 10_000
"""How long deleted requests can be brought back (they are removed from the store after)."""
DELETE_CHUNK = 500


class RequestTable(QTableView):
    """The table, with j/k to move and Enter to open the selected request.

    Signals:
        openRequested(): Enter/Return was pressed on a row.
        followRequested(): End was pressed (go back to following the newest request).
        menuRequested(QPoint): a context menu was asked for at this global position.
        repainted(float): the rows were repainted in this many seconds of CPU time (the model
            paces live inserts by it).
    """

    openRequested = Signal()
    followRequested = Signal()
    menuRequested = Signal(QPoint)
    repainted = Signal(float)

    def paintEvent(self, event: QPaintEvent) -> None:
        started = time.thread_time()
        super().paintEvent(event)
        self.repainted.emit(time.thread_time() - started)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if self.indexAt(self.viewport().mapFromGlobal(event.globalPos())).isValid():
            self.menuRequested.emit(event.globalPos())
            event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = {Qt.Key.Key_J: Qt.Key.Key_Down, Qt.Key.Key_K: Qt.Key.Key_Up}
        plain = event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                      Qt.KeyboardModifier.KeypadModifier)  # fmt: skip
        if plain and event.key() in keys:
            moved = QKeyEvent(event.type(), keys[Qt.Key(event.key())], event.modifiers())
            super().keyPressEvent(moved)
        elif plain and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.openRequested.emit()
        elif plain and event.key() == Qt.Key.Key_End:
            self.followRequested.emit()
        else:
            super().keyPressEvent(event)


class MainWindow(QMainWindow):
    """Everything the user sees. Reads table rows from the store on the GUI thread (cheap,
    indexed, paged); writes and network work go through the bridge.

    Signals:
        closed(): the window was closed (the app then shuts the core down).
    """

    closed = Signal()

    def __init__(self, bridge: CoreBridge, settings_path: Path | None = None) -> None:
        super().__init__()
        self.bridge = bridge
        self.settings_path = settings_path
        self.receiver_url = ""
        self._export: ExportJob | None = None
        self._import: ImportRunner | None = None
        self.next_db_path: Path | None = None
        """A database file chosen in Settings for the next start."""
        self.setWindowTitle("Webhook Inspector")
        self.setAcceptDrops(True)
        self.model = RequestTableModel(parent=self)
        self._build_body()
        self.status = StatusPanel(self.statusBar())
        self.stream_status = StreamStatus(self.bridge, self)
        self.statusBar().addPermanentWidget(self.stream_status)
        self.sources_panel: SourcesPanel | None = None
        self._build_actions()
        self._build_menus()
        self._connect()
        self._restore_state()
        self.desktop = attach_desktop(self)  # tunnel, Connect a provider, tray (gui.desktop)
        if bridge.thread.started.done():  # started before we were listening
            QTimer.singleShot(0, lambda: self._on_started(""))

    # --- building ------------------------------------------------------------------------

    def _build_body(self) -> None:
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.setSpacing(6)
        layout.addLayout(self._build_top_bar())
        layout.addWidget(self.filter_bar.chips_bar)
        self.receiver_banner = Banner("error", "Change port…", central)
        self.store_banner = Banner("error", parent=central)
        self.quarantine_banner = Banner("warning", parent=central)
        self.info_banner = Banner("info", parent=central)
        self.undo_banner = Banner("info", "Undo", central)
        for banner in (self.receiver_banner, self.store_banner, self.quarantine_banner,
                       self.info_banner, self.undo_banner):  # fmt: skip
            layout.addWidget(banner)
        self.stack = QStackedWidget(central)
        self.empty = EmptyState(self.stack)
        self.stack.addWidget(self.empty)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self.stack)
        self.table = self._build_table()
        self.detail = DetailPane(self.splitter)
        self._auto_selecting = False
        self._selection: list[int] = []
        """The ids selected at the last selection change."""
        self._deleting: list[int] = []
        """Ids deleted in the table but kept in the store until the undo time is over."""
        self._undo_timer = QTimer(self, singleShot=True)
        self._undo_timer.timeout.connect(self.purge_deleted)
        self._filtered_count: int | str | None = 0
        """Requests the filter shows: None while counting, a string when counting failed."""
        self._arrived = 0  # rows flushed in while counting
        self._counter = Worker(self)
        self._counter.finished.connect(self._on_filtered_count)
        self._detail_timer = QTimer(self, singleShot=True, interval=FOLLOW_DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._show_current)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([3000, 2000])  # table 3 : detail 2 (not the detail's size hint)
        self.stack.addWidget(self.splitter)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.resize(1280, 800)

    def _build_top_bar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.filter_bar = FilterBar(self)
        row.addWidget(self.filter_bar, 1)
        self.follow_button = QToolButton(self)
        self.follow_button.setText("Follow newest")
        self.follow_button.setCheckable(True)
        self.follow_button.setChecked(True)
        self.follow_button.setToolTip("Select and scroll to each new request as it arrives")
        self.follow_button.setToolTip(
            "Select and scroll to each new request as it arrives. Selecting another request "
            "stops following; End or this button resumes."
        )
        row.addWidget(self.follow_button, 0, Qt.AlignmentFlag.AlignTop)
        self.compare_button = QToolButton(self)
        self.compare_button.setText("Compare")
        self.compare_button.setEnabled(False)
        row.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignTop)
        self.responses = ResponsesControl(self, self.bridge)  # "Simulate an outage"
        row.addWidget(self.responses.button, 0, Qt.AlignmentFlag.AlignTop)
        self.target_combo = TargetCombo(self.bridge.service.settings, self)
        self.target_combo.setToolTip("Where R (Replay) sends requests; recent targets are kept")
        # a long URL must not widen the window: the combo shows about 24 characters
        self.target_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.target_combo.setMinimumContentsLength(24)
        row.addWidget(self.target_combo, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _build_table(self) -> RequestTable:
        table = RequestTable(self.splitter)
        table.setModel(self.model)
        table.setItemDelegate(CellPainter(self.model, table))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.setSortingEnabled(False)  # order is the store's (newest first), kept in SQL
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setMinimumWidth(200)
        vertical = table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in COLUMN_WIDTHS.items():
            table.setColumnWidth(column, width)
        header.setSectionResizeMode(cols.SUMMARY, QHeaderView.ResizeMode.Stretch)
        return table

    def _action(self, text: str, slot: object, shortcut: QKeySequence | str | None = None,
                *, table_only: bool = False) -> QAction:  # fmt: skip
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if table_only:  # keys like Del and Ctrl+C mean something else in text fields
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)
        else:
            self.addAction(action)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        std = QKeySequence.StandardKey
        self.copy_action = self._action("Copy as curl", self.copy_as_curl, std.Copy,
                                        table_only=True)  # fmt: skip
        self.delete_action = self._action("Delete", self.delete_selected, std.Delete,
                                          table_only=True)  # fmt: skip
        self.clear_action = self._action("Clear all…", self.clear_all, "Ctrl+Shift+Del")
        self.find_action = self._action("Find", self.focus_filter, std.Find)
        self.quit_action = self._action("Quit", self.close, std.Quit)
        self.settings_action = self._action("Settings…", self.edit_settings, "Ctrl+,")
        self.import_action = self._action("Import…", self.choose_import, std.Open)
        self.export_action = self._action("Export…", self.export, "Ctrl+E")
        self.samples_menu = SamplesMenu(parent=self)
        self.follow_action = QAction("Follow newest", self, checkable=True, checked=True)
        self.follow_action.toggled.connect(self.follow_button.setChecked)
        self.follow_button.toggled.connect(self.follow_action.setChecked)
        self.compare_action = self._action("Compare selected", self.compare_selected)
        self.compare_action.setIconText("Compare")  # the toolbar button keeps its short label
        self.compare_action.setToolTip("Select two requests to compare them")
        self.compare_action.setEnabled(False)
        self.compare_button.setDefaultAction(self.compare_action)
        self.undo_delete_action = self._action("Undo delete", self.undo_delete, std.Undo)
        self.undo_delete_action.setEnabled(False)
        self.copy_body_action = self._action("Copy body", self.copy_body)
        self.export_selected_action = self._action("Export selected…", self.export_selected)
        self.replay_action = self._action("Replay", self.replay_selected, "R", table_only=True)
        self.replay_action.setToolTip("Send the selected requests again, as captured")
        self.edit_replay_action = self._action("Edit and resend…", self.edit_and_resend, "E",
                                               table_only=True)  # fmt: skip

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addMenu(self.samples_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        for action in (self.undo_delete_action, None, self.copy_action, self.copy_body_action,
                       self.delete_action, self.clear_action, None, self.compare_action,
                       self.find_action):  # fmt: skip
            edit.addSeparator() if action is None else edit.addAction(action)
        request_menu = bar.addMenu("&Request")
        request_menu.addAction(self.replay_action)
        request_menu.addAction(self.edit_replay_action)
        request_menu.addSeparator()
        self.check_action = request_menu.addAction(
            "Check handler…", lambda: open_check_dialog(self)
        )
        view = bar.addMenu("&View")
        view.addAction(self.follow_action)
        self.sources_action = view.addAction("Event-stream sources…", self.show_sources)
        self.messages_dock = messages_view.install(self, view)
        self._build_theme_menu(view.addMenu("Theme"))
        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = help_menu.addAction(
            "Keyboard shortcuts", lambda: show_help(self, "shortcuts")
        )
        self.filter_help_action = help_menu.addAction(
            "Filter language", lambda: show_help(self, "filter")
        )
        help_menu.addSeparator()
        help_menu.addAction("About Webhook Inspector", self.about)

    def _build_theme_menu(self, menu: object) -> None:
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for theme in THEMES:
            action = QAction(theme.capitalize(), self, checkable=True)
            action.triggered.connect(lambda _=False, t=theme: self.set_theme(t))
            group.addAction(action)
            menu.addAction(action)  # type: ignore[attr-defined]
            self.theme_actions[theme] = action

    def _connect(self) -> None:
        bridge = self.bridge
        bridge.storeOpened.connect(self._on_store_opened)
        bridge.started.connect(self._on_started)
        bridge.committed.connect(self.model.on_committed)
        bridge.stored.connect(self.model.on_stored)
        bridge.stored.connect(self._on_analysed)
        bridge.counted.connect(self._on_counted)
        bridge.receiverChanged.connect(self._on_receiver)
        bridge.storeChanged.connect(self._on_store_state)
        bridge.rederived.connect(self._on_rederived)
        bridge.pruned.connect(self._on_pruned)
        self.samples_menu.sampleChosen.connect(self.send_sample)
        self.empty.sample_button.setMenu(self.samples_menu)
        self.filter_bar.filterChanged.connect(self.set_filter)
        self.filter_bar.copyRequested.connect(self.copy_as_curl)
        self.filter_bar.staleChanged.connect(self._on_filter_stale)
        self.follow_button.toggled.connect(self._on_follow_toggled)
        self.table.followRequested.connect(lambda: self.follow_button.setChecked(True))
        self.table.menuRequested.connect(self.show_row_menu)
        self.undo_banner.actionClicked.connect(self.undo_delete)
        self.empty.copied.connect(
            lambda text: self.statusBar().showMessage(f"Copied {text} to the clipboard", 5000)
        )
        self.model.flushed.connect(self._on_rows_arrived)
        self.table.repainted.connect(self.model.note_repaint)
        self.model.searchProgress.connect(self._show_shown)
        self.model.modelReset.connect(self._on_reset)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.openRequested.connect(self.focus_detail)
        self.receiver_banner.actionClicked.connect(self.edit_receiver)
        self.info_banner.actionClicked.connect(self.info_banner.hide)
        bridge.replayed.connect(self._on_replayed)
        bridge.forwarded.connect(self._on_forwarded)
        self.detail.replayRequested.connect(lambda i: self.replay_ids([i]))
        self.detail.editRequested.connect(self.edit_and_resend)
        self.detail.replayAgain.connect(lambda i, target: self.replay_ids([i], target))

    # --- core events -----------------------------------------------------------------------

    def _on_store_opened(self) -> None:
        """Show the history as soon as it can be read, before the receiver is up."""
        store = self.bridge.store
        if store is None or self.model.store is store:
            return
        self.model.set_store(store)
        self.detail.replays.store = store
        self._recount()
        quarantined = self.bridge.service.quarantined
        if quarantined is not None:
            self.quarantine_banner.show_message(
                f"The history database was unusable ({quarantined.reason}). It was moved "
                f"aside to {quarantined.moved_to} and a fresh one was started."
            )

    def _on_started(self, error: str) -> None:
        if self.bridge.store is None:
            self.store_banner.show_message(f"Cannot open the history database: {error}")
            return
        self._on_store_opened()  # no-op unless storeOpened came before this window listened
        start_error = self.bridge.start_error
        if isinstance(start_error, ReceiverError):
            self._on_receiver("", str(start_error))
        elif start_error is not None:
            self._on_receiver("", f"the capture service did not start: {error}")
        elif self.bridge.service.url and not self.receiver_url:
            self._on_receiver(self.bridge.service.url, "")

    def _on_receiver(self, url: str, error: str) -> None:
        self.receiver_url = url
        self.status.set_receiver(url, error)
        self.empty.set_url(url)
        if error:
            self.receiver_banner.show_message(f"The receiver is not listening: {error}")
        elif url:
            self.receiver_banner.hide()

    def _on_store_state(self, ok: bool, message: str) -> None:
        self.status.set_store(ok, message)
        if ok:
            self.store_banner.hide()
        else:
            self.store_banner.show_message(
                f"Requests cannot be stored (senders get 503): {message}"
            )

    def _on_counted(self, count: int, invalid: int) -> None:
        self.status.add(count, invalid)
        self._show_shown()
        self._update_page()

    def _on_rederived(self, _count: int) -> None:
        self.model.refresh()
        self._recount()
        self._show_current()

    def _on_pruned(self, count: int, reason: str) -> None:
        """Retention deleted old requests: drop their rows and say so (never silently)."""
        self._drop_deleted_rows()
        self._recount()
        noun = "request" if count == 1 else "requests"
        message = f"Deleted {count:,} old {noun} ({reason})"
        self.info_banner.show_message(message)
        self.statusBar().showMessage(message, 10_000)

    def _drop_deleted_rows(self) -> None:
        """Remove the rows whose requests no longer exist (keeps the view where it is)."""
        store = self.bridge.store
        shown = [self.model.id_at(row) for row in range(self.model.rowCount())]
        ids = [i for i in shown if i is not None]
        if store is None or not ids:
            return
        rows = store.reader().execute("SELECT id FROM requests WHERE id BETWEEN ? AND ?",
                                      (min(ids), max(ids)))  # fmt: skip
        existing = {int(row[0]) for row in rows}
        gone = [i for i in ids if i not in existing]
        if gone:
            self.model.remove_ids(gone)
            self._show_current()

    def _recount(self) -> None:
        store = self.bridge.store
        if store is not None:
            invalid = "sig_status = 'invalid'"
            self.status.set_totals(self._count_kept(""), self._count_kept(invalid))
            self._count_filtered(store)
        self._show_shown()
        self._update_page()

    def _count_kept(self, where: str, params: tuple[object, ...] = ()) -> int:
        store = self.bridge.store
        assert store is not None
        return count_kept(store, where, params, self._deleting)

    def _count_filtered(self, store: Store) -> None:
        """Count the rows the filter shows off the GUI thread (a filter on a column without
        an index reads every row): "counting…" until the answer arrives; a newer count drops
        an older one. It counts the ids the table pages through; rows flushed in are added."""
        flt = self.model.filter
        self._filtered_count, self._arrived = None, 0
        if not flt.where:
            self._counter.cancel()
            return
        self._counter.submit(count_kept, store, flt.where, tuple(flt.params),
                             list(self._deleting), self.model.newest_considered)  # fmt: skip

    def _on_filtered_count(self, outcome: object) -> None:
        if isinstance(outcome, int):
            self._filtered_count = outcome + self._arrived
        else:
            log.warning("cannot count the filtered requests: %s", outcome)
            self._filtered_count = f"cannot count: {outcome}"
        self._show_shown()

    def _show_shown(self) -> None:
        """Say in the filter bar what a filter shows: "searching…" while the table looks for
        its rows, "counting…" until the count arrives, then "N of M shown"; "no requests
        match" once the table has read everything and found nothing."""
        if not self.model.filter.where:
            self.filter_bar.set_shown(None, self.status.total)
            return
        searching = self.model.searching()
        count = self._filtered_count
        shown: int | str = "counting…" if count is None else count
        nothing = not self.model.rowCount() and not self.model.canFetchMore(QModelIndex())
        if searching is not None:
            shown = f"searching… (scanned {searching[0]:,} of {searching[1]:,})"
        elif count == 0 or (nothing and count is None):
            shown = "no requests match"
        self.filter_bar.set_shown(shown, self.status.total)

    def _on_filter_stale(self, stale: bool) -> None:
        """While the typed filter has an error the rows are those of the last valid filter:
        they are greyed and the filter bar says so."""
        self.table.setStyleSheet("QTableView { color: palette(placeholder-text); }"
                                 if stale else "")  # fmt: skip
        self._show_shown()

    def set_filter(self, flt: object) -> None:
        """Show the rows matching `flt`; the detail pane never keeps a request the filter
        now leaves out."""
        self.model.set_filter(flt)  # type: ignore[arg-type]
        if self.bridge.store is not None:  # the totals stay: count only what the filter shows
            self._count_filtered(self.bridge.store)
        self._show_shown()
        self._update_page()

    def _update_page(self) -> None:
        empty = self.status.total == 0 and self.model.rowCount() == 0
        self.stack.setCurrentIndex(EMPTY_PAGE if empty else TABLE_PAGE)

    def _on_rows_arrived(self, count: int) -> None:
        if self.model.filter.where:
            if isinstance(self._filtered_count, int):
                self._filtered_count += count
            else:
                self._arrived += count
            self._show_shown()
        self._update_page()
        if self.follow_button.isChecked():
            self._follow_newest()
            return
        scroll = self.table.verticalScrollBar()
        if scroll.value() > 0:  # keep the rows the user is looking at in place
            row_height = self.table.verticalHeader().defaultSectionSize()
            scroll.setValue(scroll.value() + count * row_height)

    # --- selection and detail --------------------------------------------------------------

    def selected_ids(self) -> list[int]:
        """Ids of the selected rows, in table order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.model.data(self.model.index(row, 0), IdRole) for row in rows]

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        if index.isValid() and self.table.selectionModel().isRowSelected(index.row()):
            return self.model.data(index.siblingAtColumn(0), IdRole)
        ids = self.selected_ids()
        return ids[0] if ids else None

    def _follow_newest(self) -> None:
        self._auto_selecting = True
        try:
            self.table.selectRow(0)
        finally:
            self._auto_selecting = False
        self.table.scrollToTop()

    def _on_follow_toggled(self, on: bool) -> None:
        if on and self.model.rowCount():
            self._follow_newest()

    def _select_ids(self, ids: list[int]) -> None:
        """Select these requests (those shown) without it counting as the user's choice."""
        rows = sorted(r for r in (self.model.row_of(i) for i in ids) if r is not None)
        wanted = QItemSelection()
        for first, last in _runs(rows):
            wanted.select(self.model.index(first, 0), self.model.index(last, 0))
        selection = self.table.selectionModel()
        flag = selection.SelectionFlag
        self._auto_selecting = True
        try:
            selection.select(wanted, flag.ClearAndSelect | flag.Rows)
            if rows:
                selection.setCurrentIndex(self.model.index(rows[0], 0), flag.Current | flag.Rows)
        finally:
            self._auto_selecting = False
        self._detail_timer.stop()
        self._show_current()

    def _on_reset(self) -> None:
        """The rows were reloaded (a new filter): keep the selection where it is still shown,
        and never show a request the table does not."""
        previous = self._selection
        self._selection = []
        self._update_selection_state()
        if previous:
            QTimer.singleShot(0, self, lambda: self._select_ids(previous))

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        ids = self.selected_ids()
        if ids == self._selection and not self._auto_selecting:
            return  # rows were inserted above: the same requests are selected, shown already
        self._selection = ids
        self._update_selection_state()
        if self._auto_selecting:
            # following a burst: render the newest request once rows stop arriving for a
            # moment, not on every flush (formatting a body each time stalled the window)
            self._detail_timer.start()
            return
        self._detail_timer.stop()
        if ids and ids != [self.model.id_at(0)]:
            self.follow_button.setChecked(False)  # the user is reading another request
        self._show_current()

    def _update_selection_state(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        self.compare_action.setEnabled(count == 2)
        self.replay_action.setEnabled(count >= 1)
        self.edit_replay_action.setEnabled(count == 1)
        self.copy_action.setEnabled(count >= 1)
        self.delete_action.setEnabled(count >= 1)

    def _show_current(self) -> None:
        request_id = self.current_id()
        self.detail.show_request(self._get(request_id) if request_id is not None else None)

    def _get(self, request_id: int) -> StoredRequest | None:
        store = self.bridge.store
        return store.get(request_id) if store is not None else None

    def focus_detail(self) -> None:
        if self.current_id() is not None:
            self.detail.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.detail.focusNextChild()

    def focus_filter(self) -> None:
        self.filter_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.edit.selectAll()

    def compare_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 2:
            return
        older, newer = sorted(ids)
        first, second = self._get(older), self._get(newer)
        if first is not None and second is not None:
            self.detail.compare(first, second)

    # --- edit actions ------------------------------------------------------------------------

    def base_url(self) -> str:
        """Where a copied curl command sends to: the receiver, or where it would listen."""
        settings = self.bridge.service.settings
        return self.receiver_url or f"http://{settings.host}:{settings.port}"

    def copy_as_curl(self) -> None:
        request_id = self.current_id()
        stored = self._get(request_id) if request_id is not None else None
        if stored is not None:
            QGuiApplication.clipboard().setText(to_curl(stored.request, self.base_url()))
            self.statusBar().showMessage(f"Copied request #{stored.id} as a curl command", 3000)

    def copy_body(self) -> None:
        request_id = self.current_id()
        stored = self._get(request_id) if request_id is not None else None
        if stored is None:
            return
        body = stored.request.body
        try:
            QGuiApplication.clipboard().setText(body.decode("utf-8"))
        except UnicodeDecodeError:
            self.statusBar().showMessage(
                f"The body of #{stored.id} is not UTF-8 text: export it instead", 5000
            )
            return
        self.statusBar().showMessage(f"Copied the body of #{stored.id} ({len(body):,} bytes)",
                                     3000)  # fmt: skip

    def show_row_menu(self, position: QPoint) -> None:
        """The right-click menu of the table's rows."""
        menu = QMenu(self)
        self.row_menu = menu
        for action in (self.replay_action, self.edit_replay_action, None, self.copy_action,
                       self.copy_body_action, self.export_selected_action, None,
                       self.compare_action, None, self.delete_action):  # fmt: skip
            menu.addSeparator() if action is None else menu.addAction(action)
        menu.exec(position)
        self.row_menu = None
        menu.deleteLater()

    row_menu: QMenu | None = None
    """The row menu while it is open."""

    # --- delete with undo --------------------------------------------------------------------
    # Deleting is frequent while developing a webhook handler, so Del acts at once and offers
    # Undo for UNDO_MS instead of asking every time: the rows leave the table (and the
    # counts), the store keeps them untouched until the time is over, so Undo brings back
    # exactly what was there.

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids or self.bridge.store is None:
            return
        self.purge_deleted()
        next_row = min(self.model.row_of(i) or 0 for i in ids)
        self._deleting = list(ids)
        self.model.hide_ids(ids)
        self._recount()
        if self.model.rowCount():
            newest = self.model.id_at(min(next_row, self.model.rowCount() - 1))
            self._select_ids([newest] if newest is not None else [])
        else:
            self.detail.show_request(None)
        noun = "request" if len(ids) == 1 else "requests"
        self.undo_banner.show_message(f"Deleted {len(ids):,} {noun}.")
        self.undo_delete_action.setEnabled(True)
        self._undo_timer.start(UNDO_MS)

    def undo_delete(self) -> None:
        """Bring back the requests of the last delete (while the undo time lasts)."""
        ids, self._deleting = self._deleting, []
        self._end_undo()
        if not ids:
            return
        self.model.unhide_ids(ids)
        self._recount()
        self._select_ids(ids)
        noun = "request" if len(ids) == 1 else "requests"
        self.statusBar().showMessage(f"Restored {len(ids):,} {noun}", 5000)

    def purge_deleted(self, *, wait: bool = False, then: Callable[[], None] | None = None) -> None:
        """Remove the deleted requests from the store for good (the undo time is over);
        `then` is called once they are gone (at once when nothing was pending). `wait` blocks
        until then: only for closing the window."""
        ids, self._deleting = self._deleting, []
        self._end_undo()
        if not ids:
            if then is not None:
                then()
            return

        def done(_count: object) -> None:
            self._recount()
            if then is not None:
                then()

        future = self.bridge.run(self.bridge.service.delete(ids), None if wait else done,
                                 self._failed("Delete"))  # fmt: skip
        if wait:
            try:
                future.result(timeout=10)
            except Exception:  # closing anyway: the rows stay in the store, nothing is lost
                log.exception("deleting %d requests at exit failed", len(ids))

    def _end_undo(self) -> None:
        self._undo_timer.stop()
        self.undo_banner.hide()
        self.undo_delete_action.setEnabled(False)

    def clear_all(self) -> None:
        if self.bridge.store is None:
            return
        self.purge_deleted()
        answer = QMessageBox.question(
            self, "Clear all requests",
            f"Delete all {self.status.total:,} stored requests? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.bridge.run(self.bridge.service.clear(), lambda _: self._cleared(),
                            self._failed("Clear all"))  # fmt: skip

    def _cleared(self) -> None:
        self.model.reload()
        self._recount()
        self.detail.show_request(None)

    def _failed(self, what: str) -> object:
        def show(error: BaseException) -> None:
            log.error("%s failed", what, exc_info=error)
            box = QMessageBox(QMessageBox.Icon.Warning, what, f"{what} failed: {error}",
                              parent=self)  # fmt: skip
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.open()

        return show

    # --- replay ------------------------------------------------------------------------------

    def replay_selected(self) -> None:
        """Replay the selected requests, as captured, to the target in the toolbar."""
        self.replay_ids(self.selected_ids())

    def replay_ids(self, ids: list[int], target: str | None = None) -> None:
        """Replay `ids` as captured to `target` (default: the toolbar's target), off the GUI
        thread; the outcome shows in the status bar and the Replays tab."""
        if not ids or self.bridge.store is None:
            return
        target = target or self.target_combo.target() or None
        service = self.bridge.service
        shown = target or service.settings.replay_target
        self.statusBar().showMessage(f"Replaying {_ids_text(ids)} to {shown}…")
        if len(ids) == 1:
            self.bridge.run(service.replay(ids[0], target),
                            lambda attempt: self._replayed_one(attempt, shown),
                            self._replay_failed)  # fmt: skip
        else:
            self.bridge.run(service.replay_many(ids, target),
                            lambda attempts: self._replayed_many(attempts, shown),
                            self._replay_failed)  # fmt: skip

    def _replayed_one(self, attempt: ReplayAttempt, target: str) -> None:
        self.statusBar().showMessage(
            f"replayed #{attempt.request_id} {attempt_summary(attempt)}", 15_000
        )
        self.remember_target(target, default=True)

    def _replayed_many(self, attempts: list[object], target: str) -> None:
        ok = sum(bool(getattr(a, "ok", False)) for a in attempts)
        failed = len(attempts) - ok
        text = f"replayed {len(attempts)} requests to {target}: {ok} ok"
        self.statusBar().showMessage(text + (f", {failed} failed" if failed else ""), 15_000)
        self.remember_target(target, default=True)

    def _replay_failed(self, error: BaseException) -> None:
        self.statusBar().showMessage(f"Not replayed: {error}", 15_000)

    def _on_replayed(self, attempt: object) -> None:
        if getattr(attempt, "request_id", None) == self.detail.replays.request_id:
            self.detail.refresh_replays()

    def _on_analysed(self, ids: list[int]) -> None:
        """The shown request was committed raw and is analysed now: show provider, events
        and signature status."""
        current = self.current_id()
        if current is not None and current in ids and not self._detail_timer.isActive():
            self._show_current()

    def _on_forwarded(self, event: object) -> None:
        request_id = getattr(event, "request_id", None)
        if not isinstance(request_id, int):
            return
        refresh_row = getattr(self.model, "refresh_id", None)
        if refresh_row is not None:
            refresh_row(request_id)
        if request_id == self.detail.replays.request_id:
            self.detail.refresh_replays()

    def edit_and_resend(self, request_id: int | None = None) -> ReplayDialog | None:
        """Open the edit-and-resend dialog for the current request (non-modal)."""
        if type(request_id) is not int:  # QAction.triggered passes `checked` (a bool)
            request_id = self.current_id()
        stored = self._get(request_id) if request_id is not None else None
        if stored is None:
            return None
        dialog = ReplayDialog(self.bridge, stored, self, target=self.target_combo.target())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.attemptFinished.connect(
            lambda attempt: self.remember_target(dialog.target.target(), default=False)
        )
        dialog.show()
        return dialog

    def remember_target(self, target: str, *, default: bool) -> None:
        """Keep `target` first among the recent targets (and as the default target when
        `default`), in the toolbar combo, the settings file and the running core."""
        settings = self.bridge.service.settings.remember_target(target)
        if default:
            settings = replace(settings, replay_target=target)
        self.target_combo.set_targets(settings, self.target_combo.target())
        saved = settings if self.next_db_path is None else replace(
            settings, db_path=self.next_db_path)  # fmt: skip
        try:
            save_settings(saved, self.settings_path)
        except OSError as exc:
            log.warning("could not save the replay target: %s", exc)
        self.bridge.run(self.bridge.service.update_settings(settings),
                        on_error=self._failed("Saving the replay target"))  # fmt: skip

    def show_sources(self) -> SourcesPanel:
        """Open (or raise) the event-stream sources panel."""
        if self.sources_panel is None:
            self.sources_panel = SourcesPanel(self.bridge, self, on_change=self._save_sources)
        self.sources_panel.show()
        self.sources_panel.raise_()
        return self.sources_panel

    def _save_sources(self) -> None:
        settings = self.bridge.service.settings
        saved = settings if self.next_db_path is None else replace(
            settings, db_path=self.next_db_path)  # fmt: skip
        try:
            save_settings(saved, self.settings_path)
        except OSError as exc:
            self._failed("Saving the sources")(exc)

    # --- settings, export, theme, about ----------------------------------------------------

    def edit_receiver(self) -> None:
        self.edit_settings(SettingsDialog.RECEIVER)

    def edit_settings(self, tab: int | None = None) -> None:
        """Open the settings dialog (at `tab`); on OK save the settings and apply them."""
        current = self.bridge.service.settings
        dialog = SettingsDialog(current, self, next_db_path=self.next_db_path,
                                store=self.bridge.store,
                                tallies=self.responses.tallies)  # fmt: skip
        self.responses.talliesChanged.connect(dialog.set_tallies)
        if isinstance(tab, int) and not isinstance(tab, bool):  # not QAction's `checked`
            dialog.tabs.setCurrentIndex(tab)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        try:
            new = dialog.apply_to(self.bridge.service.settings)
        except Invalid as problem:  # exec() checks first; only reached if it was bypassed
            self._failed("Settings")(problem)
            return
        self.apply_settings(new, dialog.next_db_path)

    def apply_settings(self, new: Settings, next_db_path: Path | None = None) -> None:
        """Save `new` (with `next_db_path`, when set, as the database of the next start) and
        apply it to the running core, which keeps its current database."""
        self.next_db_path = next_db_path
        saved = new if next_db_path is None else replace(new, db_path=next_db_path)
        try:
            save_settings(saved, self.settings_path)
        except OSError as exc:
            self._failed("Saving settings")(exc)
        self.bridge.run(_apply_receiver(self.bridge, new, listening=bool(self.receiver_url)),
                        on_error=self._failed("Applying settings"))  # fmt: skip
        if next_db_path is not None:
            self.statusBar().showMessage(
                f"Settings saved. The app will use {next_db_path} from the next start.", 8000
            )

    # --- import, samples -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_files(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if _local_files(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _local_files(event)
        if not paths:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.import_files(paths)

    def choose_import(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Import requests", str(QSettings().value("import/folder", "")),
            "Exports, HAR, curl, JSON (*.json *.ndjson *.jsonl *.har *.sh *.txt *.curl);;"
            "All files (*)",
        )  # fmt: skip
        if names:
            QSettings().setValue("import/folder", str(Path(names[0]).parent))
            self.import_files([Path(name) for name in names])

    def import_files(self, paths: list[Path]) -> ImportRunner | None:
        """Import `paths` in the background (progress, then a summary of any problems)."""
        if self.bridge.store is None:
            self._failed("Import")(RuntimeError("the history database is not open"))
            return None
        if self._import is not None:
            self.statusBar().showMessage("An import is already running", 5000)
            return None
        runner = ImportRunner(self.bridge, paths, self)
        runner.finished.connect(self._import_finished)
        self._import = runner
        runner.start()
        return runner

    def _import_finished(self, outcomes: list[FileOutcome]) -> None:
        runner, self._import = self._import, None
        if runner is None:
            return
        if runner.error:
            message = "Import cancelled" if runner.error == "cancelled" else ""
            if message:
                self.statusBar().showMessage(message, 5000)
            else:
                self._failed("Import")(RuntimeError(runner.error))
        else:
            self.statusBar().showMessage(summary_text(outcomes), 8000)
        runner.deleteLater()

    def send_sample(self, provider: str, event: str) -> None:
        """Send a signed sample event to our own receiver (the row then appears live)."""
        if not self.receiver_url:
            self.statusBar().showMessage(
                "The receiver is not listening, so the sample cannot be sent.", 8000
            )
            return
        samples_menu.send(self.bridge, provider, event, self.receiver_url,
                          lambda message: self.statusBar().showMessage(message, 15_000),
                          self._failed(f"Sending the {provider} {event} sample"))  # fmt: skip

    # --- export ----------------------------------------------------------------------------

    def export_selected(self) -> None:
        self.export(scope="selected")

    def export(self, *, filtered: bool | None = None, ndjson: bool | None = None,
               scope: str = "") -> None:  # fmt: skip
        """Ask what to export (selected / filtered / all, format, masking), then where."""
        store = self.bridge.store
        if store is None or self._export is not None:
            return
        if self._deleting:  # what is exported is what the table shows: delete those first
            self.purge_deleted(then=lambda: self.export(filtered=filtered, ndjson=ndjson,
                                                        scope=scope))  # fmt: skip
            return
        flt = self.model.filter
        counts = {"selected": len(self.selected_ids()), "all": store.count(),
                  "filtered": store.count(flt.where, flt.params)}  # fmt: skip
        if not scope:
            scope = "" if filtered is None else "filtered" if filtered else "all"
        dialog = ExportDialog(counts, getattr(flt, "text", "") or "", self, scope=scope)
        if ndjson is not None:
            dialog.format.setCurrentIndex(dialog.format.findData("ndjson" if ndjson else "json"))
        if dialog.exec() != ExportDialog.DialogCode.Accepted:
            return
        choice = dialog.choice()
        suffix = choice.suffix
        path, _ = QFileDialog.getSaveFileName(
            self, "Export requests", f"webhooks.{suffix}",
            f"{choice.fmt.upper()} (*.{suffix});;All files (*)",
        )  # fmt: skip
        if not path:
            return
        if choice.scope == "selected":
            self.start_export(Path(path), fmt=choice.fmt, mask=choice.mask,
                              ids=self.selected_ids())  # fmt: skip
        else:
            filtered_scope = choice.scope == "filtered"
            where, params = (flt.where, tuple(flt.params)) if filtered_scope else ("", ())
            self.start_export(Path(path), fmt=choice.fmt, mask=choice.mask, where=where,
                              params=params)  # fmt: skip

    def start_export(
        self, path: Path, *, ndjson: bool = False, where: str = "",
        params: tuple[object, ...] = (), fmt: str | None = None, mask: bool = False,
        ids: list[int] | None = None,
    ) -> ExportJob:  # fmt: skip
        """Export matching requests (or the given `ids`) to `path` in the background (with a
        progress dialog), as `fmt` (default json, or ndjson when `ndjson`), masked if `mask`."""
        store = self.bridge.store
        assert store is not None
        job = ExportJob(self.bridge, store, path, ndjson=ndjson, where=where, params=params,
                        fmt=fmt, mask=mask, ids=ids, parent=self)  # fmt: skip
        total = len(set(ids)) if ids is not None else store.count(where, params)
        self._export_dialog = progress_dialog(job, total, self)
        job.finished.connect(self._export_finished)
        self._export = job
        job.start()
        return job

    def _export_finished(self, count: int, error: str) -> None:
        job, self._export = self._export, None
        if job is not None:
            job.deleteLater()
        if error and error != "cancelled":
            self._failed("Export")(RuntimeError(error))
        elif not error and job is not None:
            self.statusBar().showMessage(f"Exported {count:,} requests to {job.path}", 5000)

    def set_theme(self, theme: str) -> None:
        apply_theme(theme)
        QSettings().setValue("view/theme", theme)
        if theme in self.theme_actions:
            self.theme_actions[theme].setChecked(True)

    def about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About Webhook Inspector")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"Webhook Inspector {inspector.__version__}\n\n"
            "Catch, inspect, verify and replay webhooks.\n\n"
            f"History: {self.bridge.service.db_path}\n"
            f"Settings: {self.settings_path or 'default location'}"
        )
        box.open()

    # --- state -----------------------------------------------------------------------------

    def _restore_state(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        header = settings.value("table/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        splitter = settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.follow_button.setChecked(settings.value("view/follow", True, type=bool))
        self.set_theme(str(settings.value("view/theme", "system")))

    def save_state(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("table/header", self.table.horizontalHeader().saveState())
        settings.setValue("window/splitter", self.splitter.saveState())
        settings.setValue("view/follow", self.follow_button.isChecked())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.purge_deleted(wait=True)
        if self._export is not None:
            self._export.cancel()
        if self._import is not None:
            self._import.cancel()
        self.model.set_store(None)  # the store closes with the core; stop reading it
        self.detail.replays.store = None
        self.messages_dock.view.set_store(None)
        super().closeEvent(event)
        self.closed.emit()


async def _apply_receiver(bridge: CoreBridge, new: object, *, listening: bool) -> None:
    """Apply edited settings on the core loop; re-bind when the address changed or when the
    receiver was not listening (e.g. the port was taken). Errors reach the GUI as
    ReceiverState events."""
    service = bridge.service
    try:
        await service.update_settings(new)  # type: ignore[arg-type]
        if not listening:
            await service.restart_receiver()
    except ReceiverError:
        pass


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7, 8] -> [(1, 3), (7, 8)]: ascending rows as contiguous ranges."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _ids_text(ids: list[int]) -> str:
    return f"#{ids[0]}" if len(ids) == 1 else f"{len(ids)} requests"


def _local_files(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> list[Path]:
    """The local files a drag carries ([] when it carries none)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


def index_of(model: RequestTableModel, request_id: int) -> QModelIndex:
    """The first-column index showing `request_id` (invalid when not shown)."""
    row = model.row_of(request_id)
    return model.index(row, 0) if row is not None else QModelIndex()


def count_kept(
    store: Store,
    where: str,
    params: tuple[object, ...],
    deleting: list[int],
    up_to: int = INT64_MAX,
) -> int:
    """Requests up to id `up_to` matching `where`, less those deleted but still undoable
    (counted by chunks: a select-all delete can hold more ids than SQLite takes parameters)."""
    count = store.count(where, params, up_to=up_to)
    for start in range(0, len(deleting), DELETE_CHUNK):
        chunk = deleting[start : start + DELETE_CHUNK]
        condition = f"id IN ({','.join('?' * len(chunk))})"
        if where:
            condition = f"({where}) AND {condition}"
        count -= store.count(condition, (*params, *chunk), up_to=up_to)
    return count
