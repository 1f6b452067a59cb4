from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from inspector.core.config import Settings, load_settings
from inspector.core.models import SigStatus
from inspector.core.remote import RemoteService
from inspector.core.store import Record, Store
from inspector.gui import main_window as mw
from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs import import_dialog
from inspector.gui.dialogs.export import ExportDialog
from inspector.gui.dialogs.import_dialog import ImportSummaryDialog
from inspector.gui.dialogs.settings import ReceiverDialog, SettingsDialog
from inspector.gui.main_window import MainWindow
from inspector.gui.models import request_model as rm
from inspector.gui.models.request_model import IdRole
from inspector.gui.theme import is_dark
from inspector.gui.widgets.cell_painter import CellPainter
from tests.gui.conftest import OFFSCREEN_NOISE, fill, make_record

MARKUP = "<b>bold</b><img src=x>"
BAD_FILTER = "nosuchfield:x"
pytestmark = OFFSCREEN_NOISE


def insert(bridge: CoreBridge, records: list[Record]) -> list[int]:
    """Store records with the app's own connection (SQLite serialises it with the capture
    process's writer); the tests then emit the signal the core would."""
    store = bridge.store
    assert store is not None
    return store.insert_many(records)


def post(url: str, body: bytes = b'{"hello":"world"}', path: str = "/webhook") -> None:
    request = urllib.request.Request(f"{url}{path}", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def open_window(qtbot, bridge: CoreBridge, settings_path: Path | None = None) -> MainWindow:
    window = MainWindow(bridge, settings_path)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.model.store is not None)
    return window


@pytest.fixture
def window(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    win = open_window(qtbot, bridge)
    yield win
    win.close()


@pytest.fixture
def seeded(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    """A window over five stored requests (ids 1..5; #5 has an invalid signature, waha)."""
    records = [make_record(f"/hook/{n}") for n in range(4)]
    records.append(make_record("/hook/4", provider="waha", sig=SigStatus.INVALID))
    insert(bridge, records)
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def row_ids(window: MainWindow) -> list[int]:
    model = window.model
    return [model.data(model.index(r, 0), IdRole) for r in range(model.rowCount())]


def select_rows(window: MainWindow, *rows: int) -> None:
    from PySide6.QtCore import QItemSelectionModel

    selection = window.table.selectionModel()
    flag = QItemSelectionModel.SelectionFlag
    selection.clearSelection()
    for row in rows:
        selection.select(window.model.index(row, 0), flag.Select | flag.Rows)
    selection.setCurrentIndex(window.model.index(rows[0], 0), flag.Current | flag.Rows)


def focus_table(qtbot, window: MainWindow) -> None:
    window.activateWindow()
    window.table.setFocus()
    qtbot.waitUntil(lambda: window.table.hasFocus())


# --- empty state, status, end to end -------------------------------------------------------


def test_empty_state_shows_the_receiver_url(qtbot, window: MainWindow, bridge) -> None:
    url = bridge.service.url
    assert window.stack.currentIndex() == mw.EMPTY_PAGE
    assert window.empty.url_label.text() == f"{url}/webhook"
    assert url in window.empty.example.toPlainText()
    assert window.empty.example.isReadOnly()
    window.empty.copy_button.click()
    assert QGuiApplication.clipboard().text() == f"{url}/webhook"
    assert window.status.receiver.text() == f"Listening on {url}"


def test_posted_webhook_appears_live(qtbot, window: MainWindow, bridge) -> None:
    thread = threading.Thread(target=post, args=(bridge.service.url,))
    thread.start()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    thread.join()
    assert window.stack.currentIndex() == mw.TABLE_PAGE
    assert window.model.data(window.model.index(0, rm.PATH)) == "/webhook"
    assert window.selected_ids() == [1]  # follow newest is on
    # the row shows when committed; the counts follow its analysis, a moment later
    qtbot.waitUntil(lambda: window.status.total == 1, timeout=10_000)
    assert window.status.counts.text().startswith("1 request")


def test_the_capture_process_comes_back_after_a_crash(qtbot, window: MainWindow, bridge) -> None:
    crashed = bridge.service.process_id
    os.kill(crashed, signal.SIGKILL)
    qtbot.waitUntil(lambda: window.receiver_banner.isVisibleTo(window), timeout=10_000)
    assert window.receiver_banner.text().endswith("; starting it again")
    qtbot.waitUntil(lambda: not window.receiver_banner.isVisibleTo(window), timeout=20_000)
    assert bridge.service.process_id != crashed
    assert window.receiver_url == bridge.service.url
    thread = threading.Thread(target=post, args=(bridge.service.url,))
    thread.start()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    thread.join()


def test_follow_off_keeps_the_selection(qtbot, seeded: MainWindow, bridge) -> None:
    seeded.follow_button.setChecked(False)
    assert not seeded.follow_action.isChecked()
    select_rows(seeded, 2)
    chosen = seeded.selected_ids()
    insert(bridge, [make_record("/new")])
    bridge.stored.emit([6])
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 6)
    assert seeded.selected_ids() == chosen
    assert seeded.table.currentIndex().row() == 3


def test_rows_arriving_above_the_selection_do_not_render_it_again(
    qtbot, seeded: MainWindow, bridge, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded.follow_button.setChecked(False)
    select_rows(seeded, 2)
    shown: list[object] = []
    real_show = seeded.detail.show_request
    monkeypatch.setattr(seeded.detail, "show_request", lambda s: (shown.append(s), real_show(s)))
    insert(bridge, [make_record("/new")])
    bridge.stored.emit([6])
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 6)
    assert shown == []  # the same request stays selected: nothing to render
    select_rows(seeded, 0)
    assert shown[-1].id == 6  # a real change of selection still renders


def test_follow_on_selects_the_newest(qtbot, seeded: MainWindow, bridge) -> None:
    select_rows(seeded, 2)  # the user reads an older request: following stops
    assert not seeded.follow_button.isChecked()
    seeded.follow_button.click()  # and resumes
    assert seeded.selected_ids() == [5]
    insert(bridge, [make_record("/new")])
    bridge.stored.emit([6])
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 6)
    assert seeded.selected_ids() == [6]


def test_follow_on_shows_the_newest_in_the_detail_pane_once_rows_settle(
    qtbot, seeded: MainWindow, bridge
) -> None:
    insert(bridge, [make_record("/newest")])
    bridge.stored.emit([6])
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 6)
    assert seeded._detail_timer.isActive()  # not rendered on every flush during a burst
    qtbot.waitUntil(lambda: seeded.detail._stored is not None and seeded.detail._stored.id == 6)


def test_the_table_shows_ten_rows_at_1280_by_720(qtbot, seeded: MainWindow) -> None:
    seeded.resize(1280, 720)
    select_rows(seeded, 0)
    qtbot.waitUntil(lambda: seeded.stack.currentWidget() is seeded.splitter)
    table, _detail = seeded.splitter.sizes()  # not squeezed by the detail pane's size hint
    assert table >= 10 * seeded.table.verticalHeader().defaultSectionSize()


def test_status_counts_invalid_signatures(qtbot, seeded: MainWindow, bridge) -> None:
    assert seeded.status.total == 5
    assert seeded.status.invalid == 1
    assert seeded.status.invalid_label.text() == "1 invalid signature"
    bridge.counted.emit(3, 2)
    qtbot.waitUntil(lambda: seeded.status.invalid == 3)
    assert seeded.status.total == 8
    assert seeded.status.rate() > 0


# --- filtering -------------------------------------------------------------------------------


def test_typing_a_filter_filters_the_table(qtbot, seeded: MainWindow) -> None:
    qtbot.keyClicks(seeded.filter_bar.edit, "provider:waha")
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 1)
    assert row_ids(seeded) == [5]
    assert not seeded.filter_bar.error.isVisible()
    seeded.filter_bar.edit.clear()
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 5)


def test_a_bad_filter_shows_the_error_and_keeps_the_rows(qtbot, seeded: MainWindow) -> None:
    qtbot.keyClicks(seeded.filter_bar.edit, BAD_FILTER)
    qtbot.waitUntil(lambda: seeded.filter_bar.error.isVisible())
    assert seeded.filter_bar.error.text().startswith("Filter error")
    assert seeded.filter_bar.error.textFormat() == Qt.TextFormat.PlainText
    assert seeded.model.rowCount() == 5


def test_chips_filter_the_table(qtbot, seeded: MainWindow) -> None:
    seeded.filter_bar.provider_chips["waha"].click()
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 1)
    seeded.filter_bar.sig_chips["valid"].click()
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 0)
    seeded.filter_bar.provider_chips["waha"].click()
    seeded.filter_bar.sig_chips["valid"].click()
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 5)


def apply_filter(window: MainWindow, text: str) -> None:
    window.filter_bar.edit.setText(text)
    window.filter_bar.apply()


def test_the_filtered_count_arrives_later_and_a_stale_one_is_dropped(
    qtbot, seeded: MainWindow, monkeypatch
) -> None:
    release = threading.Event()
    real_count = mw.count_kept

    def count_kept(store: Store, where: str, params: tuple[object, ...], *rest: object) -> int:
        if "waha" in params:  # the first filter's count is slow, then wrong
            release.wait(10)
            return 999
        return real_count(store, where, params, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(mw, "count_kept", count_kept)
    shown = seeded.filter_bar.shown
    try:
        apply_filter(seeded, "provider:waha")
        assert shown.text() == "counting…"  # set_filter did not wait for the count
        assert row_ids(seeded) == [5]
        apply_filter(seeded, "sig:invalid")
        qtbot.waitUntil(lambda: shown.text() == "1 of 5 shown")
    finally:
        release.set()
    qtbot.wait(100)  # the stale count arrives and is dropped
    assert shown.text() == "1 of 5 shown"


def test_a_filter_change_counts_nothing_on_the_gui_thread(
    qtbot, seeded: MainWindow, monkeypatch
) -> None:
    on_gui_thread: list[str] = []
    real_count = mw.count_kept

    def count_kept(store: Store, where: str, *rest: object) -> int:
        if threading.current_thread() is threading.main_thread():
            on_gui_thread.append(where)
        return real_count(store, where, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(mw, "count_kept", count_kept)
    apply_filter(seeded, "provider:waha")
    qtbot.waitUntil(lambda: seeded.filter_bar.shown.text() == "1 of 5 shown")
    assert on_gui_thread == []  # nor the totals: a filter does not change them
    assert seeded.status.total == 5


def test_rows_arriving_while_counting_are_counted_once(
    qtbot, seeded: MainWindow, bridge: CoreBridge, monkeypatch
) -> None:
    release = threading.Event()
    real_count = mw.count_kept

    def count_kept(store: Store, where: str, params: tuple[object, ...], *rest: object) -> int:
        if "waha" in params:
            release.wait(10)
        return real_count(store, where, params, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(mw, "count_kept", count_kept)
    shown = seeded.filter_bar.shown
    try:
        apply_filter(seeded, "provider:waha")
        new = insert(bridge, [make_record("/hook/5", provider="waha")])
        seeded.model.on_stored(new)  # flushed in while the count runs
        qtbot.waitUntil(lambda: row_ids(seeded) == [new[0], 5])
        assert shown.text() == "counting…"
    finally:
        release.set()
    qtbot.waitUntil(lambda: shown.text().startswith("2 of "))


def test_a_search_says_how_far_it_is_then_that_nothing_matches(
    qtbot, seeded: MainWindow, monkeypatch
) -> None:
    monkeypatch.setattr(rm, "SCAN_IDS", 1)
    monkeypatch.setattr(rm, "TURN_BUDGET_S", 0)
    release = threading.Event()
    real_count = mw.count_kept

    def count_kept(store: Store, where: str, *rest: object) -> int:
        if "LIKE" in where:  # the filter's count (not the totals) is slow
            release.wait(10)
        return real_count(store, where, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(mw, "count_kept", count_kept)
    shown = seeded.filter_bar.shown
    try:
        apply_filter(seeded, "chat:zqnomatch")  # a LIKE on every row: no index
        assert shown.text() == "searching… (scanned 1 of 5)"
        assert shown.textFormat() == Qt.TextFormat.PlainText
        # the table's answer is shown without waiting for the count
        qtbot.waitUntil(lambda: shown.text() == "no requests match")
    finally:
        release.set()
    assert seeded.model.rowCount() == 0
    qtbot.wait(50)
    assert shown.text() == "no requests match"


# --- keyboard --------------------------------------------------------------------------------


def test_j_and_k_move_and_enter_focuses_the_detail(qtbot, seeded: MainWindow) -> None:
    focus_table(qtbot, seeded)
    select_rows(seeded, 0)
    qtbot.keyClick(seeded.table, Qt.Key.Key_J)
    qtbot.keyClick(seeded.table, Qt.Key.Key_J)
    assert seeded.table.currentIndex().row() == 2
    qtbot.keyClick(seeded.table, Qt.Key.Key_K)
    assert seeded.selected_ids() == [4]
    qtbot.keyClick(seeded.table, Qt.Key.Key_Down)
    assert seeded.selected_ids() == [3]
    qtbot.keyClick(seeded.table, Qt.Key.Key_Return)
    assert not seeded.table.hasFocus()


def test_ctrl_f_focuses_the_filter(qtbot, seeded: MainWindow) -> None:
    focus_table(qtbot, seeded)
    qtbot.keyClick(seeded.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert seeded.filter_bar.edit.hasFocus()


def test_delete_key_deletes_selected(qtbot, seeded: MainWindow, bridge) -> None:
    focus_table(qtbot, seeded)
    select_rows(seeded, 1, 2)
    qtbot.keyClick(seeded.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 3)
    assert row_ids(seeded) == [5, 2, 1]
    assert seeded.status.total == 3
    assert seeded.undo_banner.text() == "Deleted 2 requests."
    seeded.purge_deleted()  # the undo time is over
    qtbot.waitUntil(lambda: bridge.store.count() == 3)


def test_ctrl_shift_del_clears_after_confirmation(
    qtbot, seeded: MainWindow, bridge, monkeypatch
) -> None:
    asked: list[str] = []

    def question(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    focus_table(qtbot, seeded)
    modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(seeded.table, Qt.Key.Key_Delete, modifiers)
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 0)
    assert "5" in asked[0]
    assert bridge.store.count() == 0
    assert seeded.stack.currentIndex() == mw.EMPTY_PAGE


def test_clear_all_cancelled_keeps_everything(qtbot, seeded: MainWindow, monkeypatch) -> None:
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a: QMessageBox.StandardButton.Cancel)  # fmt: skip
    seeded.clear_action.trigger()
    qtbot.wait(50)
    assert seeded.model.rowCount() == 5


def test_ctrl_c_copies_a_curl_command(qtbot, seeded: MainWindow, bridge) -> None:
    focus_table(qtbot, seeded)
    select_rows(seeded, 0)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(seeded.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    text = QGuiApplication.clipboard().text()
    assert text.startswith(f"curl -X POST {bridge.service.url}/hook/4 ")
    assert "-H 'Content-Type: application/json'" in text
    assert "Host:" not in text


def test_compare_needs_two_rows(qtbot, seeded: MainWindow, monkeypatch) -> None:
    compared: list[tuple[int, int]] = []
    monkeypatch.setattr(seeded.detail, "compare", lambda a, b: compared.append((a.id, b.id)))
    select_rows(seeded, 0)
    assert not seeded.compare_button.isEnabled()
    select_rows(seeded, 0, 3)
    assert seeded.compare_button.isEnabled()
    seeded.compare_button.click()
    assert compared == [(2, 5)]


def test_selecting_a_row_shows_it_in_the_detail_pane(qtbot, seeded, monkeypatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr(seeded.detail, "show_request", shown.append)
    select_rows(seeded, 1)
    assert shown[-1].id == 4
    seeded.table.selectionModel().clearSelection()
    assert shown[-1] is None


# --- start-up ---------------------------------------------------------------------------------


def stored_history(settings: Settings, count: int) -> None:
    store = Store.open(settings.db_path)
    fill(store, count)
    store.close()


def test_history_shows_while_the_capture_process_starts(
    qtbot, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_history(settings, 3)
    may_start = threading.Event()
    real_spawn = RemoteService._spawn

    async def slow_spawn(self: RemoteService) -> None:
        await asyncio.get_running_loop().run_in_executor(None, may_start.wait, 10)
        await real_spawn(self)

    monkeypatch.setattr(RemoteService, "_spawn", slow_spawn)
    core = CoreBridge(replace(settings))
    window = MainWindow(core)
    qtbot.addWidget(window)
    try:
        core.start()
        qtbot.waitUntil(lambda: window.model.rowCount() == 3)
        assert not core.thread.started.done()
        with qtbot.waitSignal(core.started, timeout=10_000):
            may_start.set()
        assert window.model.rowCount() == 3
    finally:
        may_start.set()
        core.stop()


def test_a_capture_process_that_cannot_start_is_shown_with_the_history(
    qtbot, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_history(settings, 2)

    async def no_process(self: RemoteService) -> None:
        raise OSError("cannot fork: no processes left")

    monkeypatch.setattr(RemoteService, "_spawn", no_process)
    core = CoreBridge(replace(settings))
    window = MainWindow(core)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(core.started, timeout=10_000):
            core.start()
        qtbot.waitUntil(lambda: window.receiver_banner.isVisibleTo(window))
        assert window.model.rowCount() == 2
        assert window.receiver_banner.text() == (
            "The receiver is not listening: the capture service did not start: "
            "cannot fork: no processes left"
        )
    finally:
        core.stop()


# --- untrusted text --------------------------------------------------------------------------


def test_markup_is_shown_literally(qtbot, bridge: CoreBridge) -> None:
    insert(bridge, [make_record(f"/{MARKUP}", summary=MARKUP,
                                headers=(("X-Evil", MARKUP),))])  # fmt: skip
    window = open_window(qtbot, bridge)
    model = window.model
    assert model.data(model.index(0, rm.PATH)) == f"/{MARKUP}"
    assert model.data(model.index(0, rm.SUMMARY)) == MARKUP
    tooltip = model.data(model.index(0, rm.SUMMARY), Qt.ItemDataRole.ToolTipRole)
    assert "<b>" not in tooltip
    select_rows(window, 0)
    window.copy_as_curl()
    assert f"-H 'X-Evil: {MARKUP}'" in QGuiApplication.clipboard().text()
    # every label of ours is plain text (the detail pane is tested by its own tests)
    ours = [label for label in window.findChildren(QLabel)
            if not window.detail.isAncestorOf(label)]  # fmt: skip
    assert ours
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in ours)
    window.close()


# --- banners, settings -----------------------------------------------------------------------


def test_store_failure_banner_comes_and_goes(qtbot, window: MainWindow, bridge) -> None:
    bridge.storeChanged.emit(False, "disk full <b>x</b>")
    qtbot.waitUntil(lambda: window.store_banner.isVisible())
    assert "disk full <b>x</b>" in window.store_banner.text()
    assert window.status.store.isVisible()
    bridge.storeChanged.emit(True, "")
    qtbot.waitUntil(lambda: not window.store_banner.isVisible())
    assert not window.status.store.isVisible()


def test_port_taken_shows_banner_and_port_can_be_changed(
    qtbot, settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        core = CoreBridge(replace(settings, port=taken.getsockname()[1]))
        with qtbot.waitSignal(core.started, timeout=10_000):
            core.start()
        try:
            window = open_window(qtbot, core, tmp_path / "settings.json")
            qtbot.waitUntil(lambda: window.receiver_banner.isVisibleTo(window))
            assert "already in use" in window.receiver_banner.text()
            assert window.receiver_banner.action.isVisible()
            assert window.status.receiver.text().startswith("Not listening")
            monkeypatch.setattr(ReceiverDialog, "exec", lambda self: self.port.setValue(0) or 1)
            window.receiver_banner.action.click()
            qtbot.waitUntil(lambda: bool(window.receiver_url), timeout=10_000)
            assert not window.receiver_banner.isVisible()
            assert load_settings(tmp_path / "settings.json").port == 0
            window.close()
        finally:
            core.stop()


def test_quarantined_store_shows_where_it_went(qtbot, settings: Settings) -> None:
    settings.db_path.parent.mkdir(parents=True, exist_ok=True)
    settings.db_path.write_bytes(b"this is not a database at all" * 10)
    core = CoreBridge(settings)
    with qtbot.waitSignal(core.started, timeout=10_000):
        core.start()
    try:
        window = open_window(qtbot, core)
        qtbot.waitUntil(lambda: window.quarantine_banner.isVisible())
        moved = core.service.quarantined.moved_to
        assert str(moved) in window.quarantine_banner.text()
        assert moved.exists()
        window.close()
    finally:
        core.stop()


# --- export, theme, state --------------------------------------------------------------------


@pytest.mark.parametrize("ndjson", [False, True], ids=["json", "ndjson"])
def test_export_runs_in_the_background(qtbot, seeded: MainWindow, tmp_path, ndjson) -> None:
    target = tmp_path / "out.json"
    job = seeded.start_export(target, ndjson=ndjson, where="provider = ?", params=("meta",))
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        pass
    assert blocker.args == [4, ""]
    text = target.read_text("utf-8")
    items = ([json.loads(line) for line in text.splitlines()] if ndjson
             else json.loads(text)["requests"])  # fmt: skip
    assert [item["path"] for item in items] == [f"/hook/{n}" for n in range(4)]


def test_theme_menu_switches_and_is_remembered(qtbot, window: MainWindow) -> None:
    window.theme_actions["dark"].trigger()
    assert is_dark()
    assert QSettings().value("view/theme") == "dark"
    window.theme_actions["light"].trigger()
    assert not is_dark()
    window.theme_actions["system"].trigger()
    assert window.theme_actions["system"].isChecked()


def test_column_state_is_saved_and_restored(qtbot, bridge: CoreBridge) -> None:
    first = open_window(qtbot, bridge)
    first.table.setColumnWidth(rm.PATH, 333)
    first.follow_button.setChecked(False)
    first.close()
    second = open_window(qtbot, bridge)
    assert second.table.columnWidth(rm.PATH) == 333
    assert not second.follow_button.isChecked()
    second.close()


def test_about_names_version_and_data_location(qtbot, window: MainWindow, bridge) -> None:
    window.about()
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())  # fmt: skip
    assert str(bridge.service.db_path) in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText
    box.close()


# --- settings dialog, retention ----------------------------------------------------------------


def test_settings_ok_applies_saves_and_reports_pruning(
    qtbot, bridge: CoreBridge, tmp_path: Path, monkeypatch
) -> None:
    insert(bridge, [make_record(f"/hook/{n}") for n in range(10)])
    window = open_window(qtbot, bridge, tmp_path / "settings.json")
    qtbot.waitUntil(lambda: window.model.rowCount() == 10)

    def edit(dialog: SettingsDialog) -> int:
        dialog.keep_last_check.setChecked(True)
        dialog.keep_last.setValue(3)
        dialog.verify_token.setText("tok")
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", edit)
    window.settings_action.trigger()
    qtbot.waitUntil(lambda: window.info_banner.isVisible(), timeout=10_000)
    message = "Deleted 7 old requests (retention: keep the last 3 requests)"
    assert window.info_banner.text() == message
    qtbot.waitUntil(lambda: window.model.rowCount() == 3)
    assert window.status.total == 3
    assert bridge.service.settings.keep_last == 3
    saved = load_settings(tmp_path / "settings.json")
    assert (saved.keep_last, saved.verify_token) == (3, "tok")
    window.close()


def test_pruned_rows_leave_the_table_without_a_reset(qtbot, seeded: MainWindow, bridge) -> None:
    resets: list[bool] = []
    seeded.model.modelReset.connect(lambda: resets.append(True))
    store = bridge.store
    store.delete([1, 2])
    bridge.pruned.emit(2, "retention: keep 1 days")
    qtbot.waitUntil(lambda: seeded.info_banner.isVisible())
    assert seeded.info_banner.text() == "Deleted 2 old requests (retention: keep 1 days)"
    assert sorted(row_ids(seeded)) == [3, 4, 5]
    assert resets == []


def test_new_database_file_is_saved_for_the_next_start(
    qtbot, bridge: CoreBridge, tmp_path: Path, monkeypatch
) -> None:
    window = open_window(qtbot, bridge, tmp_path / "settings.json")
    other = tmp_path / "elsewhere.db"
    monkeypatch.setattr(SettingsDialog, "exec", lambda self: self.set_next_db(other) and 1)
    running = bridge.service.settings.db_path
    window.edit_settings()
    assert load_settings(tmp_path / "settings.json").db_path == other
    assert bridge.service.settings.db_path == running
    assert window.next_db_path == other
    seen: list[Path | None] = []

    def check(self) -> int:
        seen.append(self.next_db_path)
        return 0

    monkeypatch.setattr(SettingsDialog, "exec", check)
    window.edit_settings()
    assert seen == [other]  # shown as pending when the dialog opens again
    window.close()


# --- files in: drag and drop, File > Import -------------------------------------------------


def drag_and_drop(window: MainWindow, paths: list[Path]) -> bool:
    """Send a real drag-enter and drop carrying `paths` to the window; whether it took them."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    centre = window.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, drop)
    return drop.isAccepted()


def export_file(path: Path, paths: list[str], fmt: str = "ndjson") -> Path:
    from inspector.core.formats import write_export
    from inspector.core.models import CapturedRequest, Derived, StoredRequest

    items = [StoredRequest(CapturedRequest("POST", p, body=b'{"n":1}', id=n + 1), Derived())
             for n, p in enumerate(paths)]  # fmt: skip
    with path.open("w", encoding="utf-8") as handle:
        write_export(handle, items, fmt)
    return path


def test_dropping_files_imports_them_and_reports_the_bad_one(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    good = export_file(tmp_path / "export.ndjson", ["/a", "/b"])
    har = export_file(tmp_path / "export.har", ["/c"], "har")
    bad = tmp_path / "photo.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    assert drag_and_drop(window, [good, bad, har])
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    assert sorted(window.model.summary_at(r).path for r in range(3)) == ["/a", "/b", "/c"]
    assert all(window.model.summary_at(r).source == "import" for r in range(3))
    qtbot.waitUntil(lambda: window._import is None)
    summary = next(w for w in QApplication.topLevelWidgets()
                   if isinstance(w, ImportSummaryDialog) and w.isVisible())  # fmt: skip
    texts = [summary.table.item(r, 1).text() for r in range(3)]
    assert texts[0] == "imported 2 (our export)"
    assert texts[1] == "not JSON, HAR or curl (binary data)"
    assert texts[2] == "imported 1 (HAR)"
    assert window.statusBar().currentMessage() == (
        "Imported 3 requests from 2 of 3 files; 1 could not be imported."
    )
    summary.close()


def test_drag_without_files_is_ignored(qtbot, window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(window.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_dropped_json_payload_goes_to_the_chosen_path(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    payload = tmp_path / "payload.json"
    payload.write_bytes(b'{"object":"whatsapp_business_account"}')
    monkeypatch.setattr(import_dialog, "ask_payload_path", lambda files, parent: "/from/file")
    assert drag_and_drop(window, [payload])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    assert window.model.summary_at(0).path == "/from/file"


def test_file_import_menu_takes_several_files(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    first = export_file(tmp_path / "one.json", ["/one"], "json")
    second = export_file(tmp_path / "two.ndjson", ["/two", "/three"])
    monkeypatch.setattr(mw.QFileDialog, "getOpenFileNames",
                        lambda *a, **k: ([str(first), str(second)], ""))  # fmt: skip
    window.import_action.trigger()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    qtbot.waitUntil(lambda: window._import is None)
    assert QSettings().value("import/folder") == str(tmp_path)


# --- sample events -----------------------------------------------------------------------------


def test_sample_event_appears_live_with_its_provider(qtbot, window: MainWindow) -> None:
    assert window.stack.currentIndex() == mw.EMPTY_PAGE
    assert window.empty.sample_button.menu() is window.samples_menu
    window.samples_menu.sample_actions[("waha", "message")].trigger()
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    # a row shows when committed; provider and signature are filled in when analysed
    qtbot.waitUntil(lambda: window.model.summary_at(0).provider == "waha", timeout=10_000)
    row = window.model.summary_at(0)
    assert (row.provider, row.path, row.sig_status) == ("waha", "/webhook/waha", "no_secret")
    qtbot.waitUntil(lambda: "demo secret" in window.statusBar().currentMessage())
    assert window.stack.currentIndex() == mw.TABLE_PAGE


def test_sample_is_signed_with_the_configured_secret(
    qtbot, settings: Settings
) -> None:
    from inspector.core.config import SecretRule

    configured = replace(settings, secrets=(SecretRule("/webhook/meta", "meta", "s3cret"),))
    core = CoreBridge(configured)
    with qtbot.waitSignal(core.started, timeout=10_000):
        core.start()
    try:
        window = open_window(qtbot, core)
        qtbot.waitUntil(lambda: bool(window.receiver_url))
        window.send_sample("meta", "text")
        qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
        # a row shows when committed; its signature is filled in when analysed, just after
        qtbot.waitUntil(lambda: window.model.summary_at(0).sig_status == "valid", timeout=10_000)
        qtbot.waitUntil(lambda: "configured for /webhook/meta" in
                        window.statusBar().currentMessage())  # fmt: skip
        window.close()
    finally:
        core.stop()


# --- export dialog -----------------------------------------------------------------------------


def test_export_writes_what_the_filtered_table_shows(
    qtbot, seeded: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    seeded.filter_bar.edit.setText("path:/hook/1 or sig:invalid")
    seeded.filter_bar.apply()
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 2)
    shown = row_ids(seeded)

    def choose(dialog: ExportDialog) -> int:
        assert dialog.scope_buttons["filtered"].isChecked()
        dialog.format.setCurrentIndex(dialog.format.findData("ndjson"))
        return 1

    target = tmp_path / "shown.ndjson"
    monkeypatch.setattr(ExportDialog, "exec", choose)
    monkeypatch.setattr(mw.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    seeded.export_action.trigger()
    assert seeded._export is not None
    with qtbot.waitSignal(seeded._export.finished, timeout=10_000) as blocker:
        pass
    assert blocker.args == [2, ""]
    exported = [json.loads(line)["id"] for line in target.read_text().splitlines()]
    assert exported == sorted(shown)


def test_export_after_a_delete_never_blocks_the_gui_thread(
    qtbot, seeded: MainWindow, bridge, monkeypatch
) -> None:
    """The deleted rows leave the store first (what is exported is what the table shows), but
    the window waits for that through a callback, never by blocking on the core's future."""
    focus_table(qtbot, seeded)
    select_rows(seeded, 1)
    qtbot.keyClick(seeded.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: seeded.model.rowCount() == 4)
    blocked: list[object] = []
    real_run = bridge.run

    def run(coro, *args, **kwargs):  # type: ignore[no-untyped-def]
        future = real_run(coro, *args, **kwargs)
        future.result = lambda *a, **k: blocked.append(future)  # the GUI thread would wait
        return future

    monkeypatch.setattr(bridge, "run", run)
    offered: list[str] = []

    def choose(dialog: ExportDialog) -> int:
        offered.append(dialog.scope_buttons["all"].text())
        return 0

    monkeypatch.setattr(ExportDialog, "exec", choose)
    seeded.export()
    assert blocked == []
    qtbot.waitUntil(lambda: bool(offered))
    assert offered == ["All stored requests (4)"]
    assert bridge.store.count() == 4


def test_export_selected_rows_masked(qtbot, seeded: MainWindow, tmp_path: Path,
                                     monkeypatch) -> None:  # fmt: skip
    seeded.table.selectRow(0)

    def choose(dialog: ExportDialog) -> int:
        dialog.scope_buttons["selected"].setChecked(True)
        dialog.format.setCurrentIndex(dialog.format.findData("json"))
        dialog.mask.setChecked(True)
        return 1

    target = tmp_path / "one.json"
    monkeypatch.setattr(ExportDialog, "exec", choose)
    monkeypatch.setattr(mw.QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    seeded.export()
    job = seeded._export
    assert job is not None
    assert job.mask
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    items = json.loads(target.read_text())["requests"]
    assert [item["id"] for item in items] == [5]


def test_the_table_paints_its_cells_and_paces_live_rows_by_its_repaints(seeded: MainWindow) -> None:
    assert isinstance(seeded.table.itemDelegate(), CellPainter)
    costs: list[float] = []
    seeded.table.repainted.connect(costs.append)
    seeded.table.viewport().repaint()
    assert costs
    assert costs[-1] > 0  # CPU time of the repaint
    assert seeded.model._repaint_cost == costs[-1]
