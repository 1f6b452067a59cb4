from __future__ import annotations

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    Qt,
)

from inspector.core.filters import compile_filter
from inspector.core.models import CapturedRequest, Derived, Event, SigStatus, Verification
from inspector.core.store import Record, Store
from inspector.gui.models import lazy_table
from inspector.gui.models import request_model as rm
from inspector.gui.models.request_model import IdRole, RequestTableModel, Where
from tests.gui.conftest import assert_painted_as_data_says, fill, make_record, rendered

MARKUP = "<b>bold</b><img src=x>"


def shown(model: RequestTableModel, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, column), role)


def test_empty_model_passes_modeltester(qtmodeltester, store: Store) -> None:
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    assert model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())


def test_no_store_shows_nothing(qtmodeltester) -> None:
    model = RequestTableModel()
    qtmodeltester.check(model)
    model.on_stored([1])
    assert model.flush() == 0


def test_rows_newest_first_with_all_columns(qtmodeltester, store: Store) -> None:
    ids = fill(store, 3)
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    assert [model.data(model.index(r, 0), IdRole) for r in range(3)] == ids[::-1]
    assert shown(model, 0, rm.METHOD) == "POST"
    assert shown(model, 0, rm.PATH) == "/hook/2"
    assert shown(model, 0, rm.PROVIDER) == "meta"
    assert shown(model, 0, rm.EVENT) == "message.text"
    assert shown(model, 0, rm.SIGNATURE) == "valid"
    assert shown(model, 0, rm.SIZE) == "7 bytes"  # as the detail pane says it
    assert shown(model, 0, rm.STATUS) == "200"
    assert shown(model, 0, rm.SOURCE) == "http"
    assert not shown(model, 0, rm.SIGNATURE, Qt.ItemDataRole.DecorationRole).isNull()


def test_signature_words_and_colours(store: Store) -> None:
    for sig in SigStatus:
        store.insert_many([make_record(sig=sig)])
    model = RequestTableModel(store)
    words = {shown(model, r, rm.SIGNATURE) for r in range(model.rowCount())}
    assert words == {"valid", "invalid", "missing", "no secret", "expired", "malformed",
                     "unsigned"}  # fmt: skip
    invalid_row = next(
        r for r in range(model.rowCount()) if shown(model, r, rm.SIGNATURE) == "invalid"
    )
    brush = shown(model, invalid_row, rm.SIGNATURE, Qt.ItemDataRole.ForegroundRole)
    assert brush.color() == rm.RED
    assert shown(model, invalid_row, rm.PATH, Qt.ItemDataRole.ForegroundRole) is None


def test_duplicates_refused_and_error_status_are_marked(store: Store) -> None:
    [first] = store.insert_many([make_record(event_id="wamid.1")])
    store.insert_many([make_record(event_id="wamid.1")])
    store.insert_many([make_record(refused="body over the limit", status=413)])
    model = RequestTableModel(store)
    assert shown(model, 1, rm.EVENT) == f"message.text (dup of #{first})"
    assert shown(model, 0, rm.EVENT) == "refused"
    assert shown(model, 0, rm.STATUS) == "413"
    assert shown(model, 0, rm.STATUS, Qt.ItemDataRole.ForegroundRole).color() == rm.RED
    assert "body over the limit" in shown(model, 0, rm.SUMMARY, Qt.ItemDataRole.ToolTipRole)


def test_fetch_more_pages_older_rows(qtmodeltester, store: Store) -> None:
    fill(store, 450)
    model = RequestTableModel(store)
    assert model.rowCount() == rm.PAGE_SIZE
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * rm.PAGE_SIZE
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 450
    assert not model.canFetchMore(QModelIndex())
    ids = [model.data(model.index(r, 0), IdRole) for r in range(450)]
    assert ids == sorted(ids, reverse=True)
    qtmodeltester.check(model)


def test_summaries_are_fetched_lazily_and_cache_is_bounded(store: Store, monkeypatch) -> None:
    fill(store, 300)
    model = RequestTableModel(store)
    model.fetchMore(QModelIndex())
    model._cache.clear()
    assert shown(model, 250, rm.PATH) == "/hook/49"
    assert len(model._cache) <= rm.FETCH_WINDOW
    monkeypatch.setattr(lazy_table, "CACHE_MAX", 100)
    model._cache.clear()
    for row in range(0, 300, 7):
        assert shown(model, row, rm.PATH) == f"/hook/{299 - row}"
        assert len(model._cache) <= 100 + rm.FETCH_WINDOW


def test_live_batch_is_one_insert_at_the_top(qtbot, qtmodeltester, store: Store) -> None:
    fill(store, 2)
    model = RequestTableModel(store)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    for _ in range(5):
        model.on_stored(fill(store, 3))
    with qtbot.waitSignal(model.flushed, timeout=2000) as blocker:
        pass
    assert blocker.args == [15]
    assert inserts == [(0, 14)]
    assert model.rowCount() == 17
    assert shown(model, 0, rm.PATH) == "/hook/2"
    qtmodeltester.check(model)


def test_live_rows_respect_the_filter(qtmodeltester, store: Store) -> None:
    fill(store, 2)
    model = RequestTableModel(store)
    model.set_filter(Where("provider = ?", ("waha",)))
    assert model.rowCount() == 0
    model.on_stored(fill(store, 2) + fill(store, 1, provider="waha"))
    assert model.flush() == 1
    assert shown(model, 0, rm.PROVIDER) == "waha"
    model.on_stored(fill(store, 3))
    assert model.flush() == 0
    qtmodeltester.check(model)


def test_filter_resets_and_pages_within_the_filter(qtmodeltester, store: Store) -> None:
    fill(store, 250, provider="meta")
    fill(store, 5, provider="waha")
    model = RequestTableModel(store)
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    model.set_filter(Where("provider = ?", ("waha",)))
    assert resets == [True]
    assert model.rowCount() == 5
    assert not model.canFetchMore(QModelIndex())
    model.set_filter(None)
    assert model.rowCount() == rm.PAGE_SIZE
    qtmodeltester.check(model)


def test_path_filter_shows_its_rows_or_none(qtmodeltester, store: Store) -> None:
    ids = fill(store, 250)
    model = RequestTableModel(store)
    model.set_filter(compile_filter("path:/zqnomatch"))
    assert model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)
    model.set_filter(compile_filter("path:/hook/12"))
    expected = [i for n, i in enumerate(ids) if str(n).startswith("12")][::-1]
    assert [model.id_at(row) for row in range(model.rowCount())] == expected
    assert shown(model, 0, rm.PATH) == "/hook/129"
    qtmodeltester.check(model)


def test_selection_is_kept_by_id_when_rows_arrive_above(qtbot, store: Store) -> None:
    from PySide6.QtWidgets import QTableView

    fill(store, 5)
    model = RequestTableModel(store)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    selection = view.selectionModel()
    flag = QItemSelectionModel.SelectionFlag
    flags = flag.ClearAndSelect | flag.Rows
    selection.setCurrentIndex(model.index(2, 0), flags)
    chosen = model.data(model.index(2, 0), IdRole)
    model.on_stored(fill(store, 4))
    model.flush()
    [index] = selection.selectedRows()
    assert index.row() == 6
    assert model.data(index, IdRole) == chosen
    assert view.currentIndex().row() == 6


def test_remove_ids_removes_ranges(qtmodeltester, store: Store) -> None:
    ids = fill(store, 10)
    model = RequestTableModel(store)
    removed: list[tuple[int, int]] = []
    model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    model.remove_ids([ids[9], ids[8], ids[3], 12345])
    assert removed == [(6, 6), (0, 1)]
    assert model.rowCount() == 7
    assert model.row_of(ids[3]) is None
    qtmodeltester.check(model)


def test_refresh_rereads_summaries(store: Store) -> None:
    [request_id] = fill(store, 1)
    model = RequestTableModel(store)
    assert shown(model, 0, rm.SIGNATURE) == "valid"
    record = make_record(sig=SigStatus.INVALID)
    store.update_derived(request_id, record.derived)
    changed: list[int] = []
    model.dataChanged.connect(lambda *_: changed.append(1))
    model.refresh()
    assert changed
    assert shown(model, 0, rm.SIGNATURE) == "invalid"


def test_deleted_meanwhile_shows_empty_cells(store: Store) -> None:
    ids = fill(store, 2)
    model = RequestTableModel(store)
    store.delete([ids[0]])
    model._cache.clear()
    assert shown(model, 1, rm.PATH) is None
    assert shown(model, 0, rm.PATH) == "/hook/1"


def test_markup_is_plain_text_in_cells_and_tooltips(store: Store) -> None:
    store.insert_many([make_record(f"/{MARKUP}", summary=MARKUP, event_type=MARKUP)])
    model = RequestTableModel(store)
    assert shown(model, 0, rm.PATH) == f"/{MARKUP}"
    assert shown(model, 0, rm.SUMMARY) == MARKUP
    for column in (rm.PATH, rm.SUMMARY, rm.EVENT):
        tooltip = shown(model, 0, column, Qt.ItemDataRole.ToolTipRole)
        assert "<b>" not in tooltip
        assert "<img" not in tooltip
        assert MARKUP in rendered(tooltip)


def test_multiline_summary_is_one_line(store: Store) -> None:
    store.insert_many([make_record(summary="line one\nline two\tend")])
    model = RequestTableModel(store)
    assert shown(model, 0, rm.SUMMARY) == "line one line two end"


def test_header_data() -> None:
    model = RequestTableModel()
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(rm.HEADERS))] == list(
        rm.HEADERS
    )
    assert model.headerData(0, Qt.Orientation.Vertical) is None


def test_ranges_descending() -> None:
    assert rm._ranges_descending([9, 8, 7, 3, 2, 0]) == [(7, 9), (2, 3), (0, 0)]
    assert rm._ranges_descending([]) == []


def test_rows_appear_only_once_analysed_and_in_order(qtmodeltester, store: Store) -> None:
    fill(store, 1)
    model = RequestTableModel(store)
    raw = make_record("/raw", provider="waha")
    [raw_id] = store.insert_many([Record(raw.request, None, 200)])  # analysed later
    [done_id] = fill(store, 1, provider="waha")
    model.set_filter(Where("provider = ?", ("waha",)))
    assert model.rowCount() == 0  # nothing past the first unanalysed row
    model.on_stored([done_id])
    assert model.flush() == 0
    store.apply_analysis([(raw_id, raw.derived)])
    model.on_stored([raw_id])
    assert model.flush() == 2
    assert [model.data(model.index(r, 0), IdRole) for r in range(2)] == [done_id, raw_id]
    assert shown(model, 1, rm.PROVIDER) == "waha"
    qtmodeltester.check(model)


def test_unfiltered_rows_show_at_commit_and_fill_in_when_analysed(
    qtmodeltester, store: Store
) -> None:
    fill(store, 2)
    model = RequestTableModel(store)
    raw = make_record("/raw", provider="waha", sig=SigStatus.INVALID)
    [raw_id] = store.insert_many([Record(raw.request, None, 200)])  # committed, not analysed
    model.on_committed([raw_id])
    assert model.flush() == 1
    assert shown(model, 0, rm.PATH) == "/raw"
    assert shown(model, 0, rm.EVENT) == rm.ANALYSING
    assert shown(model, 0, rm.PROVIDER) == shown(model, 0, rm.SIGNATURE) == ""
    assert shown(model, 0, rm.SIGNATURE, Qt.ItemDataRole.DecorationRole) is None
    assert "follow in a moment" in rendered(shown(model, 0, rm.EVENT, Qt.ItemDataRole.ToolTipRole))
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda first, last, _roles: changed.append((first.row(), last.row())))
    store.apply_analysis([(raw_id, raw.derived)])
    model.on_stored([raw_id])
    assert shown(model, 0, rm.PROVIDER) == "waha"  # read again at once
    assert shown(model, 0, rm.SIGNATURE) == "invalid"
    assert changed == []  # repainted by the next flush, with the rows it inserts
    assert model.flush() == 0  # already shown: not inserted twice
    assert changed == [(0, 0)]
    assert model.rowCount() == 3
    qtmodeltester.check(model)


def test_first_page_includes_rows_not_analysed_yet(store: Store) -> None:
    fill(store, 2)
    [raw_id] = store.insert_many([Record(make_record("/raw").request, None, 200)])
    model = RequestTableModel(store)
    assert model.id_at(0) == raw_id
    assert shown(model, 0, rm.EVENT) == rm.ANALYSING


def test_a_filtered_table_waits_for_the_analysis(store: Store) -> None:
    model = RequestTableModel(store)
    model.set_filter(Where("provider = ?", ("waha",)))
    raw = make_record("/raw", provider="waha")
    [raw_id] = store.insert_many([Record(raw.request, None, 200)])
    model.on_committed([raw_id])
    assert model.flush() == 0
    store.apply_analysis([(raw_id, raw.derived)])
    model.on_stored([raw_id])
    assert model.flush() == 1
    assert shown(model, 0, rm.PROVIDER) == "waha"


def test_row_of_finds_rows_after_inserts_pages_and_removals(store: Store) -> None:
    ids = fill(store, rm.PAGE_SIZE + 10)
    model = RequestTableModel(store)
    model.fetchMore(QModelIndex())
    model.on_committed(fill(store, 3))
    model.flush()
    assert all(model.row_of(model.id_at(r)) == r for r in range(model.rowCount()))
    model.remove_ids(ids[5:8])
    assert model.row_of(ids[6]) is None
    assert all(model.row_of(model.id_at(r)) == r for r in range(model.rowCount()))
    assert model.row_of(10**9) is None
    assert model.row_of(0) is None


def test_hidden_rows_stay_out_of_pages_and_come_back_in_place(qtmodeltester, store: Store) -> None:
    ids = fill(store, 450)
    model = RequestTableModel(store)
    hidden = ids[-rm.PAGE_SIZE - 10 :]  # the whole first page and more: paging goes on
    model.hide_ids(hidden)
    model.set_filter(None)  # a reload keeps them out
    qtmodeltester.check(model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 450 - len(hidden)
    model.unhide_ids(hidden[:3] + hidden[-2:])
    shown_ids = [model.id_at(r) for r in range(model.rowCount())]
    assert shown_ids == sorted(shown_ids, reverse=True)
    assert set(hidden[:3] + hidden[-2:]) <= set(shown_ids)


def test_a_mixed_batch_label_has_no_count_suffix(store: Store) -> None:
    events = (Event("meta", "statuses.sent", "sent"), Event("meta", "message.text", "Ann: hi"))
    derived = Derived("meta", events, Verification(SigStatus.VALID))
    store.insert_many([Record(CapturedRequest("POST", "/m", body=b"{}"), derived, 200)])
    model = RequestTableModel(store)
    assert shown(model, 0, rm.EVENT) == "message.text + 1 status"
    assert shown(model, 0, rm.SUMMARY) == "Ann: hi (+1 more)"


# --- the model tester attached throughout --------------------------------------------------------
# It checks the whole model on every change signal, and calls fetchMore from inside them (as
# a view may): no page may be fetched in the middle of another change.


def ids_shown(model: RequestTableModel) -> list[int]:
    return [model.id_at(r) for r in range(model.rowCount())]


def test_reload_after_more_pages_passes_the_tester(qtmodeltester, store: Store) -> None:
    ids = fill(store, 3 * rm.PAGE_SIZE + 50, provider="meta")
    fill(store, 5, provider="waha")
    model = RequestTableModel(store)
    model.fetchMore(QModelIndex())
    qtmodeltester.check(model, force_py=True)
    model.reload()
    model.set_filter(Where("provider = ?", ("waha",)))
    assert model.rowCount() == 5
    model.set_filter(None)
    assert model.rowCount() == rm.PAGE_SIZE
    assert model.canFetchMore(QModelIndex())
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids_shown(model)[5:] == ids[::-1]


def test_pages_fetched_with_the_tester_attached_stay_in_order(qtmodeltester, store: Store) -> None:
    ids = fill(store, 6 * rm.PAGE_SIZE)
    model = RequestTableModel(store)
    qtmodeltester.check(model, force_py=True)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids_shown(model) == ids[::-1]


def test_live_rows_delete_and_undo_pass_the_tester(
    qtmodeltester, store: Store, monkeypatch
) -> None:
    monkeypatch.setattr(rm, "PAGE_SIZE", 10)  # many pages: some are left after attaching
    ids = fill(store, 30 * rm.PAGE_SIZE)
    model = RequestTableModel(store)
    qtmodeltester.check(model, force_py=True)
    new = fill(store, 3)
    model.on_stored(new)
    assert model.flush() == 3
    gone = [new[0], ids[-1], ids[-2], ids[-rm.PAGE_SIZE - 1]]
    model.hide_ids(gone)  # delete, then undo
    assert not set(gone) & set(ids_shown(model))
    model.unhide_ids(gone)
    model.remove_ids(ids[-3:-1])
    shown_ids = ids_shown(model)
    assert shown_ids == sorted(set(shown_ids), reverse=True)
    assert set(gone) - set(ids[-3:-1]) <= set(shown_ids)


def test_no_fetch_while_a_change_is_announced(store: Store) -> None:
    fill(store, 3 * rm.PAGE_SIZE)
    model = RequestTableModel(store)
    asked: list[bool] = []

    def eager_view(*_args: object) -> None:
        asked.append(model.canFetchMore(QModelIndex()))
        model.fetchMore(QModelIndex())

    for signal in (model.modelReset, model.rowsAboutToBeInserted, model.rowsInserted,
                   model.rowsAboutToBeRemoved, model.rowsRemoved):  # fmt: skip
        signal.connect(eager_view)
    model.reload()
    model.fetchMore(QModelIndex())
    model.remove_ids([model.id_at(0)])
    assert asked == [False] * 5
    assert model.rowCount() == 2 * rm.PAGE_SIZE - 1


def test_pages_of_hidden_rows_are_skipped(qtmodeltester, store: Store) -> None:
    ids = fill(store, 3 * rm.PAGE_SIZE + 10)
    model = RequestTableModel(store)
    hidden = ids[-2 * rm.PAGE_SIZE - 5 :]  # the two newest pages and five more
    model.hide_ids(hidden)
    model.reload()  # a filter change: the table does not come back empty
    assert model.id_at(0) == ids[-2 * rm.PAGE_SIZE - 6]
    qtmodeltester.check(model, force_py=True)
    model.unhide_ids(hidden)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids_shown(model) == ids[::-1]


def test_live_rows_go_in_at_once_when_quiet_and_coalesce_when_busy(store: Store) -> None:
    model = RequestTableModel(store)
    model.on_committed(fill(store, 1))
    assert model._timer.isActive()
    assert model._timer.interval() == 0  # a lone webhook: on the event loop's next turn
    assert model.flush() == 1
    model.on_committed(fill(store, 2))  # right after an insert: gathered for a trailing one
    assert 0 < model._timer.interval() <= rm.FLUSH_MS
    model.on_committed(fill(store, 3))
    assert model.flush() == 5
    assert model.rowCount() == 6


def sparse_store(store: Store) -> list[int]:
    """Waha rows among thousands of meta ones: the oldest five and one in the middle."""
    waha = fill(store, 5, provider="waha")
    fill(store, 1500)
    waha += fill(store, 1, provider="waha")
    fill(store, 1500)
    return waha


def small_steps(monkeypatch) -> None:
    """One read of 100 ids per turn of the event loop."""
    monkeypatch.setattr(rm, "SCAN_IDS", 100)
    monkeypatch.setattr(rm, "TURN_BUDGET_S", 0)


def test_a_sparse_filter_is_searched_over_several_turns(
    qtbot, qtmodeltester, store: Store, monkeypatch
) -> None:
    waha = sparse_store(store)
    small_steps(monkeypatch)
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    inserts: list[int] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserts.append(last - first + 1))
    flt = Where("provider = ?", ("waha",))
    model.set_filter(flt)
    assert model.rowCount() == 0  # set_filter returned after one bounded read
    assert model.searching() == (100, 3006)
    assert not model.canFetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.searching() is None)
    assert ids_shown(model) == store.ids_after(0, flt.where, flt.params)[::-1] == waha[::-1]
    assert inserts == [1, 5]  # the middle row first, the oldest ones turns later
    assert not model.canFetchMore(QModelIndex())


def test_a_filter_matching_nothing_ends_with_no_rows(qtbot, store: Store, monkeypatch) -> None:
    sparse_store(store)
    small_steps(monkeypatch)
    model = RequestTableModel(store)
    steps: list[bool] = []
    model.searchProgress.connect(lambda: steps.append(True))
    model.set_filter(Where("summary LIKE ?", ("%zqnomatch%",)))
    qtbot.waitUntil(lambda: model.searching() is None)
    assert model.rowCount() == 0
    assert len(steps) == 30  # 3006 ids, 100 a turn: the first read in set_filter
    assert not model.canFetchMore(QModelIndex())


def test_a_newer_filter_cancels_the_search(qtbot, qtmodeltester, store: Store, monkeypatch) -> None:
    sparse_store(store)
    small_steps(monkeypatch)
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    model.set_filter(Where("provider = ?", ("waha",)))
    assert model.searching() is not None  # under way, not yet at the waha row in the middle
    flt = Where("provider = ? AND id % 2 = 0", ("meta",))
    model.set_filter(flt)
    qtbot.waitUntil(lambda: model.searching() is None)
    qtbot.wait(50)  # the old search's turns would have come by now
    expected = store.ids_after(0, flt.where, flt.params)[::-1]
    assert ids_shown(model) == expected[: len(ids_shown(model))]
    assert rm.PAGE_SIZE <= model.rowCount() < 2 * rm.PAGE_SIZE


def test_whole_pages_of_hidden_rows_do_not_end_a_turn(
    qtmodeltester, store: Store, monkeypatch
) -> None:
    ids = fill(store, 3 * rm.PAGE_SIZE + 10)
    monkeypatch.setattr(rm, "TURN_BUDGET_S", 0)
    model = RequestTableModel(store)
    model.hide_ids(ids[-2 * rm.PAGE_SIZE - 5 :])
    model.reload()
    assert model.id_at(0) == ids[-2 * rm.PAGE_SIZE - 6]  # found in the same turn
    assert model.searching() is None
    qtmodeltester.check(model)


def test_free_text_is_read_from_its_index_in_one_go(
    qtmodeltester, store: Store, monkeypatch
) -> None:
    [oldest] = store.insert_many([make_record(body=b'{"text":"zqneedle"}')])
    fill(store, 3000)
    small_steps(monkeypatch)
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    model.set_filter(compile_filter("zqneedle"))
    assert model.searching() is None  # the index, not the rows: no steps needed
    assert ids_shown(model) == [oldest]


def test_a_summary_is_read_from_its_index_in_one_go_from_three_characters(
    qtbot, qtmodeltester, store: Store, monkeypatch
) -> None:
    [oldest] = store.insert_many([make_record(summary="the zqNeedle row")])
    fill(store, 3000)
    small_steps(monkeypatch)
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    model.set_filter(compile_filter("summary:ZQNEEDLE"))
    assert model.searching() is None  # the trigram index, not the rows: no steps needed
    assert ids_shown(model) == [oldest]
    model.set_filter(compile_filter("summary:zqnomatch"))
    assert model.searching() is None
    assert model.rowCount() == 0
    model.set_filter(compile_filter("summary:zq"))  # too short for trigrams: the rows
    assert model.searching() == (100, 3001)
    qtbot.waitUntil(lambda: model.searching() is None)
    assert ids_shown(model) == [oldest]


# --- painting: one call per cell, cells worked out once per row, inserts paced ----------------

def test_multi_data_answers_every_painted_role_as_data_does(qtmodeltester, store: Store) -> None:
    for sig in SigStatus:
        store.insert_many([make_record(f"/{MARKUP}", sig=sig)])
    store.insert_many([make_record(refused="body over the limit", status=413)])
    store.insert_many([Record(make_record("/raw").request, None, 200)])  # not analysed yet
    model = RequestTableModel(store)
    qtmodeltester.check(model)
    assert_painted_as_data_says(model)


def test_a_row_is_worked_out_once_for_painting(store: Store, monkeypatch) -> None:
    ids = fill(store, 3)
    model = RequestTableModel(store)
    worked_out: list[int] = []
    work = model._paint_cells
    monkeypatch.setattr(model, "_paint_cells", lambda row: worked_out.append(row.id) or work(row))
    for _ in range(3):  # three repaints of the row
        painted = model.painted(0)
        model.multiData(model.index(0, rm.PATH), QModelRoleDataSpan(QModelRoleData(0)))
    assert painted is not None
    assert painted[rm.PATH][lazy_table.DISPLAY] == "/hook/2"
    assert worked_out == [ids[-1]]
    model.on_stored([ids[-1]])  # analysed again: read again, worked out again
    assert model.painted(0) is not painted
    assert worked_out == [ids[-1], ids[-1]]


def test_an_analysed_batch_repaints_one_range_of_rows(store: Store) -> None:
    ids = fill(store, 50)
    model = RequestTableModel(store)
    changed: list[tuple[int, int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles: changed.append((a.row(), b.row(), b.column())))
    model.on_stored([*ids[10:20], 10**9])  # one id the table does not show
    model.flush()
    assert changed == [(model.row_of(ids[19]), model.row_of(ids[10]), len(rm.HEADERS) - 1)]
    assert not any(i in model._cache for i in ids[10:20])
    assert {ids[9], ids[20]} <= model._cache.keys()  # the others are not read again
    changed.clear()
    model.on_stored([10**9, 10**9 + 1])
    model.flush()
    assert changed == []


class FakeTime:
    """time.monotonic and time.thread_time for the request model, moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def thread_time(self) -> float:
        return self.now


def test_live_inserts_are_paced_by_what_they_cost(store: Store, monkeypatch) -> None:
    clock = FakeTime()
    monkeypatch.setattr(rm, "time", clock)
    model = RequestTableModel(store)
    assert model.flush_interval_ms() == rm.FLUSH_MS  # cheap repaints: as often as FLUSH_MS
    model.note_repaint(0.018)  # 18 ms a repaint: at most LIVE_SHARE of the time
    assert model.flush_interval_ms() == 0.018 / rm.LIVE_SHARE * 1000
    model.on_committed(fill(store, 1))
    assert model._timer.interval() == 0  # the first rows after a quiet spell: at once
    assert model.flush() == 1
    model.on_committed(fill(store, 2))
    assert model._timer.interval() == round(0.018 / rm.LIVE_SHARE * 1000)
    clock.now += 0.050
    model._timer.stop()
    model.on_committed(fill(store, 1))  # 50 of the 60 ms have gone by
    assert model._timer.interval() == 10
    model.note_repaint(1.0)  # however slow the repaint, rows wait at most FLUSH_MAX_MS
    assert model.flush_interval_ms() == rm.FLUSH_MAX_MS
    assert model.flush() == 3


def test_analysed_rows_are_repainted_with_the_next_live_insert(store: Store, monkeypatch) -> None:
    """Each repaint of a live table costs the GUI thread tens of milliseconds: rows analysed
    while inserts are paced wait for the next insert, and both go in one repaint."""
    clock = FakeTime()
    monkeypatch.setattr(rm, "time", clock)
    model = RequestTableModel(store)
    events: list[str] = []
    model.dataChanged.connect(lambda *_: events.append("changed"))
    model.rowsInserted.connect(lambda *_: events.append("inserted"))
    first = fill(store, 2)
    model.on_committed(first)
    assert model.flush() == 2
    events.clear()
    model.on_stored(first)  # analysed just after the insert: it waits for the pace
    second = fill(store, 1)
    model.on_committed(second)
    assert events == []
    assert model._timer.isActive()
    assert model._timer.interval() == rm.FLUSH_MS
    model._timer.timeout.emit()
    assert events == ["changed", "inserted"]
    assert model.row_of(first[0]) is not None
