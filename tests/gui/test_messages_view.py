"""The Messages model and view, and the Lifecycle and Deliveries tabs of the detail pane."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt

from inspector.core.messages import compile_messages_filter
from inspector.core.models import StoredRequest
from inspector.core.store import Store
from inspector.gui.models import messages_model as mm
from inspector.gui.widgets.detail_pane import DELIVERIES, LIFECYCLE, DetailPane
from inspector.gui.widgets.lifecycle_tab import RequestIdRole
from inspector.gui.widgets.messages_view import MessagesView
from tests.core.senders import T0, Sender, meta_message, meta_status, waha, waha_text
from tests.gui.conftest import OFFSCREEN_NOISE, assert_painted_as_data_says, rendered

pytestmark = OFFSCREEN_NOISE

WAMID = "wamid.OUT1"


@pytest.fixture
def store(tmp_path: Path):
    opened = Store.open(tmp_path / "history.db")
    yield opened
    opened.close()


def seed(store: Store) -> Sender:
    """Three messages: an inbound text, an outgoing one whose read arrived before delivered,
    and a failed one."""
    sender = Sender(store)
    sender.send(meta_message("wamid.IN1", "<b>hello</b> there", T0))
    sender.send(meta_status(WAMID, "sent", T0 + 1))
    sender.send(meta_status(WAMID, "read", T0 + 9))
    sender.send(meta_status(WAMID, "delivered", T0 + 5))
    sender.send(meta_status("wamid.FAIL", "failed", T0 + 2, (131047, "Re-engagement message")))
    return sender


def column(model: mm.MessagesModel, col: int) -> list[str]:
    return [model.data(model.index(row, col)) for row in range(model.rowCount())]


def test_the_model_passes_the_model_tester(qtmodeltester, store: Store) -> None:
    seed(store)
    model = mm.MessagesModel(store)
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 3


def test_cells_paint_as_data_says(store: Store) -> None:
    seed(store)
    assert_painted_as_data_says(mm.MessagesModel(store))


def test_the_model_tester_follows_reloads_filters_and_paging(qtmodeltester, store: Store) -> None:
    sender = Sender(store)
    for n in range(mm.PAGE_SIZE + 50):
        sender.send(meta_message(f"wamid.{n}", f"text {n}", T0 + n))
    model = mm.MessagesModel(store)
    qtmodeltester.check(model, force_py=True)
    model.reload()
    model.set_filter(compile_messages_filter("msg:wamid.1*"))
    model.set_filter(compile_messages_filter(""))
    model.fetchMore(QModelIndex())
    assert model.rowCount() == mm.PAGE_SIZE + 50
    assert not model.canFetchMore(QModelIndex())


def test_one_row_per_message_newest_first(store: Store) -> None:
    seed(store)
    model = mm.MessagesModel(store)
    assert column(model, mm.STATE) == ["failed", "read", "received"]
    assert column(model, mm.FLAGS) == ["failed", "out-of-order", ""]
    assert column(model, mm.DIRECTION) == ["→ out", "→ out", "← in"]
    assert column(model, mm.TEXT)[2] == "<b>hello</b> there"  # plain text, never markup
    tooltip = model.data(model.index(2, mm.TEXT), Qt.ItemDataRole.ToolTipRole)
    assert rendered(tooltip).startswith("<b>hello</b> there")
    assert model.data(model.index(1, 0), mm.RequestRole) == 4


def test_the_model_pages_lazily(store: Store) -> None:
    sender = Sender(store)
    for n in range(mm.PAGE_SIZE + 50):
        sender.send(meta_message(f"wamid.{n}", f"text {n}", T0 + n))
    model = mm.MessagesModel(store)
    assert model.rowCount() == mm.PAGE_SIZE
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == mm.PAGE_SIZE + 50
    assert not model.canFetchMore(QModelIndex())
    assert column(model, mm.TEXT)[-1] == "text 0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("state:read", ["read"]),
        ("is:out-of-order", ["read"]),
        ("is:failed", ["failed"]),
        ("dir:in", ["received"]),
        ("hello", ["received"]),
        ("-state:read", ["failed", "received"]),
        ("msg:wamid.F*", ["failed"]),
    ],
)
def test_the_view_filters(qtbot, store: Store, text: str, expected: list[str]) -> None:
    seed(store)
    view = MessagesView()
    qtbot.addWidget(view)
    view.show()
    view.set_store(store)
    qtbot.keyClicks(view.edit, text)
    qtbot.waitUntil(lambda: column(view.model, mm.STATE) == expected)


def test_a_bad_filter_shows_an_error_and_keeps_the_rows(qtbot, store: Store) -> None:
    seed(store)
    view = MessagesView()
    qtbot.addWidget(view)
    view.show()
    view.set_store(store)
    view.edit.setText("is:nonsense")
    view.apply_filter()
    assert view.error.isVisible()
    assert "unknown flag" in view.error.text()
    assert view.model.rowCount() == 3


def test_a_hidden_view_reads_nothing_until_shown(qtbot, store: Store) -> None:
    seed(store)
    view = MessagesView()
    qtbot.addWidget(view)
    view.set_store(store)
    assert view.model.rowCount() == 0
    view.show()
    view.refresh()
    assert view.model.rowCount() == 3


def test_clicking_a_message_chooses_its_newest_request(qtbot, store: Store) -> None:
    seed(store)
    view = MessagesView()
    qtbot.addWidget(view)
    view.show()
    view.set_store(store)
    rect = view.table.visualRect(view.model.index(1, mm.TEXT))
    with qtbot.waitSignal(view.requestChosen) as chosen:
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == [4]


# --- detail pane tabs -----------------------------------------------------------------------


def pane_for(qtbot, store: Store) -> DetailPane:
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.replays.store = store
    pane.show()
    return pane


def show(pane: DetailPane, store: Store, request_id: int) -> StoredRequest:
    stored = store.get(request_id)
    assert stored is not None
    pane.show_request(stored)
    return stored


def test_lifecycle_tab_lists_steps_in_both_orders_with_flags(qtbot, store: Store) -> None:
    seed(store)
    pane = pane_for(qtbot, store)
    show(pane, store, 4)
    assert pane.tabs.isTabVisible(LIFECYCLE)
    assert pane.tabs.tabText(LIFECYCLE) == "Lifecycle (3) ⚠"
    tab = pane.lifecycle_tab
    table = tab.table
    ids = [table.item(r, 0).data(RequestIdRole) for r in range(table.rowCount())]
    assert ids == [2, 4, 3]  # provider time: sent, delivered, read
    tab.order.setCurrentIndex(1)
    ids = [table.item(r, 0).data(RequestIdRole) for r in range(table.rowCount())]
    assert ids == [2, 3, 4]  # arrival
    assert table.item(2, 5).text() == "out-of-order"
    assert any("Arrived out of order" in s for s in tab.flag_sentences())


def test_failed_sentence_is_shown(qtbot, store: Store) -> None:
    seed(store)
    pane = pane_for(qtbot, store)
    show(pane, store, 5)
    [sentence] = pane.lifecycle_tab.flag_sentences()
    assert "131047" in sentence
    assert "24-hour window" in sentence


def test_requests_without_messages_hide_the_tabs(qtbot, store: Store) -> None:
    sender = Sender(store)
    request_id = sender.send({"hello": "world"})
    pane = pane_for(qtbot, store)
    show(pane, store, request_id)
    assert not pane.tabs.isTabVisible(LIFECYCLE)
    assert not pane.tabs.isTabVisible(DELIVERIES)


def test_clicking_a_linked_request_emits_its_id(qtbot, store: Store) -> None:
    seed(store)
    pane = pane_for(qtbot, store)
    show(pane, store, 4)
    pane.tabs.setCurrentIndex(LIFECYCLE)
    table = pane.lifecycle_tab.table
    rect = table.visualItemRect(table.item(0, 0))
    with qtbot.waitSignal(pane.requestLinked) as linked:
        qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert linked.args == [2]


def test_deliveries_tab_shows_a_retry_sequence(qtbot, store: Store) -> None:
    sender = Sender(store)
    headers = (("X-WAHooks-Signature", "sha256=00"),)
    body = waha("message", waha_text("false_1@c.us_AA", "hi", T0), T0, event_id="evt_9")
    ids = sender.deliver(body, [500, None, 200], (5.0, 10.0), headers)
    pane = pane_for(qtbot, store)
    show(pane, store, ids[-1])
    assert pane.tabs.isTabVisible(DELIVERIES)
    assert pane.tabs.tabText(DELIVERIES) == "Deliveries (3)"
    tab = pane.deliveries_tab
    assert tab.heading.text() == ("Delivered 3 times (2 retry). This request is attempt 3: retry.")
    kinds = [tab.table.item(r, 5).text() for r in range(3)]
    assert kinds == ["first", "retry", "retry"]
    answers = [tab.table.item(r, 4).text() for r in range(3)]
    assert answers == ["500", "no answer", "200"]
    assert "we gave no answer" in tab.reason.text()


def test_lifecycle_heading_counts_every_step_beyond_the_listed_ones(
    qtbot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.core import lifecycle

    monkeypatch.setattr(lifecycle, "MAX_ENTRIES", 2)
    sender = Sender(store)
    for n, state in enumerate(["sent", "delivered", "read", "read"]):
        last = sender.send(meta_status(WAMID, state, T0 + n))
    pane = pane_for(qtbot, store)
    show(pane, store, last)
    heading = pane.lifecycle_tab.heading.text()
    assert "4 stored steps (the first 2 listed)" in heading


def test_deliveries_past_the_counted_ones_read_as_a_lower_bound(
    qtbot, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inspector.core import deliveries

    monkeypatch.setattr(deliveries, "COUNT_LIMIT", 2)
    sender = Sender(store)
    body = waha("message", waha_text("false_1@c.us_AA", "hi", T0), T0, event_id="evt_9")
    signed = (("X-WAHooks-Signature", "x"),)
    ids = sender.deliver(body, [500, 500, 500, 500], (5.0, 5.0, 5.0), signed)
    pane = pane_for(qtbot, store)
    show(pane, store, ids[-1])
    tab = pane.deliveries_tab
    assert "This request is attempt 3+: retry." in tab.heading.text()
    assert tab.table.item(tab.table.rowCount() - 1, 0).text() == "3+"
