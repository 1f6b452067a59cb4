"""DetailPane: every tab shows the request it was given, markup stays literal, copy, compare."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QGuiApplication, Qt, QTextDocument  # QtGui's Qt has mightBeRichText
from PySide6.QtWidgets import QAbstractButton, QLabel, QTableWidget, QWidget

from inspector.core.models import (
    CapturedRequest,
    Derived,
    Event,
    SigStatus,
    StoredRequest,
    Verification,
)
from inspector.gui.dialogs.compare import CompareDialog
from inspector.gui.widgets.detail_pane import (
    BODY,
    EVENT,
    HEADERS,
    QUERY,
    RAW,
    RESPONSE,
    SIGNATURE,
    DetailPane,
)
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE
MARKUP = '<b>x</b><img src="http://127.0.0.1:9/canary">'


def make_stored(
    request_id: int = 1,
    *,
    path: str = "/webhook",
    query: str = "",
    body: bytes = b'{"a": 1}',
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
    events: tuple[Event, ...] = (Event("meta", "message.text", "hello", "wamid.1", "c", "s"),),
    verification: Verification | None = None,
    refused: str | None = None,
    duplicate_of: int | None = None,
    response: tuple[int | None, tuple[tuple[str, str], ...], bytes] = (
        200, (("Content-Type", "application/json"),), b'{"ok":true}',
    ),
) -> StoredRequest:  # fmt: skip
    request = CapturedRequest(
        method="POST", path=path, query=query, headers=(("Host", "127.0.0.1:8080"), *headers),
        body=body, remote="127.0.0.1", received_at_ns=1_750_000_000_000_000_000,
        refused=refused, declared_size=20_000_000 if refused else None, id=request_id,
    )  # fmt: skip
    derived = Derived(
        events[0].provider if events else "generic",
        events,
        verification
        or Verification(SigStatus.VALID, "meta", "Signature matches.", "ab…cd", "ab…cd"),
    )
    status, response_headers, response_body = response
    return StoredRequest(request, derived, status, response_headers, response_body, duplicate_of)


@pytest.fixture
def pane(qtbot) -> DetailPane:
    widget = DetailPane()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def settled(qtbot, pane: DetailPane) -> DetailPane:
    """Wait for the off-thread work (body, raw text, response body) to arrive."""
    qtbot.waitUntil(
        lambda: not (pane.body.busy or pane.raw.worker.busy or pane.response.body.busy),
        timeout=10_000,
    )
    return pane


def table_rows(table: QTableWidget) -> list[list[str]]:
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_starts_empty_and_none_empties_it(qtbot, pane: DetailPane) -> None:
    assert pane.stack.currentIndex() == 0
    assert pane.empty.text() == "Select a request to see its details."
    pane.show_request(make_stored())
    assert pane.stack.currentIndex() == 1
    pane.show_request(None)
    assert pane.stack.currentIndex() == 0
    assert pane.current() is None


def test_header_strip(qtbot, pane: DetailPane) -> None:
    pane.show_request(make_stored(7, query="a=1"))
    assert pane.header.line.text() == "POST /webhook?a=1"
    assert pane.header.summary.text() == "hello"
    assert pane.header.facts.text().startswith("#7 · ")
    assert "from 127.0.0.1" in pane.header.facts.text()
    assert pane.header.signature.text() == "Signature ✓ valid"


def test_body_tab_formats_json(qtbot, pane: DetailPane, provider_fixture) -> None:
    raw = provider_fixture("meta_message_text.json")
    pane.show_request(make_stored(body=raw))
    settled(qtbot, pane)
    assert pane.tabs.currentIndex() == BODY
    assert pane.body.text.toPlainText() == json.dumps(json.loads(raw), indent=2, ensure_ascii=False)


def test_second_request_shown_quickly_wins(qtbot, pane: DetailPane) -> None:
    big = json.dumps([{"n": n} for n in range(20_000)]).encode()
    pane.show_request(make_stored(1, body=big))
    pane.show_request(make_stored(2, body=b'{"second": 2}'))
    settled(qtbot, pane)
    qtbot.wait(300)
    assert pane.body.text.toPlainText() == '{\n  "second": 2\n}'
    assert pane.raw.text.toPlainText().endswith('{"second": 2}')


def test_raw_tab(qtbot, pane: DetailPane) -> None:
    stored = make_stored(query="x=1", headers=(("X-B", "2"), ("x-b", "caf\xc3\xa9")), body=b"hi")
    pane.show_request(stored)
    pane.tabs.setCurrentIndex(RAW)
    settled(qtbot, pane)
    assert pane.raw.text.toPlainText() == (
        "POST /webhook?x=1 HTTP/1.1\nHost: 127.0.0.1:8080\nX-B: 2\nx-b: café\n\nhi"
    )


def test_raw_tab_binary_body(qtbot, pane: DetailPane) -> None:
    pane.show_request(make_stored(body=b"\x00\x01\x02binary"))
    settled(qtbot, pane)
    body = pane.raw.text.toPlainText().split("\n\n", 1)[1]
    assert body.startswith("<9 bytes binary>\n00000000  00 01 02 62")


def test_headers_tab_and_copy(qtbot, pane: DetailPane) -> None:
    headers = (("X-Dup", "1"), ("X-Dup", "2"))
    pane.show_request(make_stored(headers=headers))
    pane.tabs.setCurrentIndex(HEADERS)
    assert pane.tabs.tabText(HEADERS) == "Headers (3)"
    model = pane.headers.model
    assert [model.data(model.index(r, 1)) for r in range(3)] == ["127.0.0.1:8080", "1", "2"]
    qtbot.mouseClick(pane.headers.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "Host: 127.0.0.1:8080\nX-Dup: 1\nX-Dup: 2"
    pane.headers.view.selectRow(2)
    pane.headers.copy()
    assert QGuiApplication.clipboard().text() == "X-Dup: 2"
    pane.headers.copy_all()
    assert QGuiApplication.clipboard().text().count("\n") == 2
    pane.headers.view.selectRow(1)
    pane.headers.view.setFocus()
    qtbot.keyClick(pane.headers.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "X-Dup: 1"


def test_query_tab(qtbot, pane: DetailPane) -> None:
    pane.show_request(make_stored(query="a=1&empty=&a=%C3%A9&flag"))
    pane.tabs.setCurrentIndex(QUERY)
    assert pane.tabs.tabText(QUERY) == "Query (4)"
    assert table_rows(pane.query.table) == [["a", "1"], ["empty", ""], ["a", "é"], ["flag", ""]]
    assert pane.query.raw.text() == "a=1&empty=&a=%C3%A9&flag"
    pane.show_request(make_stored(query=""))
    assert pane.tabs.tabText(QUERY) == "Query"
    assert pane.query.raw.text() == "(no query string)"


def test_signature_tab_valid(qtbot, pane: DetailPane) -> None:
    pane.show_request(make_stored())
    pane.tabs.setCurrentIndex(SIGNATURE)
    values = pane.signature.values
    assert values["Result"].text() == "✓ valid"
    assert "#2e9d4f" in values["Result"].styleSheet()
    assert values["Scheme"].text() == "meta"
    assert values["Expected"].text() == "ab…cd"
    assert values["Secret"].text() == "configured for this path (not shown)"
    assert not pane.signature.form.isRowVisible(values["Refused"])
    assert pane.tabs.tabText(SIGNATURE) == "Signature: valid"


@pytest.mark.parametrize(
    ("status", "word", "secret"),
    [(SigStatus.NO_SECRET, "? no secret configured", "none"),
     (SigStatus.UNSIGNED, "– unsigned", "none"),
     (SigStatus.INVALID, "✗ invalid", "configured for this path (not shown)")],
)  # fmt: skip
def test_signature_tab_other_results(
    qtbot, pane: DetailPane, status: SigStatus, word: str, secret: str
) -> None:
    reason = "A long reason that wraps. " * 10
    pane.show_request(make_stored(verification=Verification(status, "github", reason)))
    values = pane.signature.values
    assert values["Result"].text() == word
    assert values["Secret"].text() == secret
    assert values["Reason"].text() == reason
    assert values["Reason"].wordWrap()


def test_refused_request(qtbot, pane: DetailPane) -> None:
    stored = make_stored(body=b"", refused="body over the 10 MiB limit", response=(413, (), b""))
    pane.show_request(stored)
    settled(qtbot, pane)
    refused = pane.signature.values["Refused"]
    assert refused.text() == "body over the 10 MiB limit (announced 19.1 MiB)"
    assert pane.signature.form.isRowVisible(refused)
    assert pane.header.warning.text().startswith("Refused: body over the 10 MiB limit")
    assert pane.tabs.tabText(RESPONSE) == "Response (413)"
    assert pane.response.status.text() == "Status: 413 Request Entity Too Large"


def test_response_tab(qtbot, pane: DetailPane) -> None:
    pane.show_request(make_stored())
    pane.tabs.setCurrentIndex(RESPONSE)
    settled(qtbot, pane)
    assert pane.response.status.text() == "Status: 200 OK"
    assert pane.response.headers.model.lines() == "Content-Type: application/json"
    assert pane.response.body.text.toPlainText() == '{\n  "ok": true\n}'


def test_response_tab_without_response(qtbot, pane: DetailPane) -> None:
    pane.show_request(make_stored(response=(None, (), b"")))
    settled(qtbot, pane)
    assert pane.response.status.text() == "Status: none recorded"
    assert pane.tabs.tabText(RESPONSE) == "Response"


def test_event_tab_batch_and_duplicate(qtbot, pane: DetailPane) -> None:
    events = tuple(
        Event("meta", f"status.{s}", f"message {s}", f"wamid.{n}", "1555", "1666")
        for n, s in enumerate(("sent", "delivered", "read"))
    )
    pane.show_request(make_stored(events=events, duplicate_of=3))
    pane.tabs.setCurrentIndex(EVENT)
    assert pane.tabs.tabText(EVENT) == "Events (3)"
    values = pane.event_tab.values
    assert values["Provider"].text() == "meta"
    assert values["Event type"].text() == "status.sent + 2 statuses"
    assert values["Summary"].text() == "message sent (+2 more)"
    assert values["Duplicate"].text() == "duplicate of #3"
    assert pane.event_tab.form.isRowVisible(values["Duplicate"])
    assert not pane.event_tab.table.isHidden()
    third = ["3", "status.read", "message read", "1555", "1666", "wamid.2"]
    assert table_rows(pane.event_tab.table)[2] == third
    assert pane.header.warning.text() == "Duplicate of #3"


def test_event_tab_without_events(qtbot, pane: DetailPane) -> None:
    pane.show_request(make_stored(events=()))
    assert pane.event_tab.values["Event type"].text() == "(none)"
    assert not pane.event_tab.form.isRowVisible(pane.event_tab.values["Duplicate"])
    assert pane.event_tab.table.isHidden()


def rendered_tooltip(tooltip: str) -> str:
    if not Qt.mightBeRichText(tooltip):
        return tooltip
    doc = QTextDocument()
    doc.setHtml(tooltip)
    return doc.toPlainText()


def visible_texts(root: QWidget) -> list[str]:
    """Texts of labels and table cells, and rendered tooltips, under `root`."""
    texts = [label.text() for label in root.findChildren(QLabel)]
    for table in root.findChildren(QTableWidget):
        texts += [cell for row in table_rows(table) for cell in row]
    texts += [rendered_tooltip(w.toolTip()) for w in root.findChildren(QWidget) if w.toolTip()]
    return texts


def test_markup_shows_literally_everywhere(qtbot, pane: DetailPane) -> None:
    long_markup = MARKUP + " " + "y" * 400  # long enough to get tooltips
    stored = make_stored(
        path="/" + MARKUP,
        query="q=" + MARKUP,
        headers=(("Content-Type", "text/html"), ("X-Markup", MARKUP)),
        body=MARKUP.encode(),
        events=(Event("generic", MARKUP, long_markup, MARKUP, MARKUP, MARKUP),),
        verification=Verification(SigStatus.INVALID, MARKUP, MARKUP, MARKUP, MARKUP),
        refused=MARKUP,
        response=(200, (("X-Echo", MARKUP),), MARKUP.encode()),
    )
    pane.show_request(stored)
    settled(qtbot, pane)
    for label in pane.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()
    texts = visible_texts(pane)
    assert f"POST /{MARKUP}?q={MARKUP}" in texts
    assert long_markup in texts  # summary label
    assert MARKUP in texts  # event, signature values ...
    assert texts.count(MARKUP) >= 8
    assert f"Refused: {MARKUP}" in pane.header.warning.text()
    assert MARKUP in pane.headers.model.lines()
    assert pane.body.text.toPlainText() == MARKUP
    assert pane.response.body.text.toPlainText() == MARKUP
    assert MARKUP in pane.raw.text.toPlainText()
    for button in pane.findChildren(QAbstractButton):
        assert "canary" not in button.text()


def test_compare_opens_a_non_modal_dialog(qtbot, pane: DetailPane) -> None:
    first = make_stored(1, body=b'{"status": "sent", "timestamp": 1}')
    second = make_stored(2, body=b'{"status": "failed", "timestamp": 2}')
    pane.compare(first, second)
    [dialog] = pane.compare_dialogs()
    assert isinstance(dialog, CompareDialog)
    assert dialog.isVisible()
    assert not dialog.isModal()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.summary.text() == "2 lines differ"
    dialog.close()
    qtbot.waitUntil(lambda: not pane.compare_dialogs())


def test_replay_signal_exists(qtbot, pane: DetailPane) -> None:
    with qtbot.waitSignal(pane.replayRequested) as blocker:
        pane.replayRequested.emit(5)
    assert blocker.args == [5]
