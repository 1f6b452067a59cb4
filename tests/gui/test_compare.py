"""CompareDialog: JSON-aware body diff, header diff, ignore volatile keys, plain text only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from inspector.core.models import CapturedRequest, Derived, StoredRequest
from inspector.gui.dialogs.compare import BACKGROUNDS, CompareDialog, request_title
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE
MARKUP = '<b>x</b><img src="http://127.0.0.1:9/canary">'


def stored(
    request_id: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()
) -> StoredRequest:
    request = CapturedRequest(
        "POST", "/webhook", headers=(("Content-Type", "application/json"), *headers), body=body,
        received_at_ns=1_750_000_000_000_000_000 + request_id, id=request_id,
    )  # fmt: skip
    return StoredRequest(request, Derived("meta"))


@pytest.fixture
def meta_pair(provider_fixture) -> tuple[StoredRequest, StoredRequest]:
    return (
        stored(41, provider_fixture("meta_status_sent.json"), (("X-Webhook-Request-Id", "a"),)),
        stored(57, provider_fixture("meta_status_failed.json"), (("X-Webhook-Request-Id", "b"),)),
    )


def open_dialog(qtbot, first: StoredRequest, second: StoredRequest) -> CompareDialog:
    dialog = CompareDialog(first, second)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.busy and dialog.comparison is not None)
    return dialog


def changed(dialog: CompareDialog) -> int:
    assert dialog.comparison is not None
    return dialog.comparison.body.changed


def test_shows_differences_with_coloured_lines(qtbot, meta_pair) -> None:
    dialog = open_dialog(qtbot, *meta_pair)
    assert dialog.windowTitle() == "Compare #41 and #57"
    assert not dialog.isModal()
    assert dialog.summary.text() == f"{changed(dialog)} lines differ"
    text = dialog.body_view.toPlainText().splitlines()
    assert '-     "status": "sent",'.replace(" ", "") in [line.replace(" ", "") for line in text]
    assert '+     "status": "failed",'.replace(" ", "") in [line.replace(" ", "") for line in text]
    doc = dialog.body_view.document()
    brushes = {
        line[0]: doc.findBlockByNumber(n).blockFormat().background()
        for n, line in enumerate(text)
        if line
    }
    assert brushes["-"].color() == QColor(BACKGROUNDS["-"][0])
    assert brushes["+"].color() == QColor(BACKGROUNDS["+"][0])
    assert brushes[" "].style() == Qt.BrushStyle.NoBrush


def test_keys_are_sorted(qtbot, meta_pair) -> None:
    dialog = open_dialog(qtbot, *meta_pair)
    lines = dialog.body_view.toPlainText().splitlines()
    assert lines[1].strip() == '"entry": ['
    assert "JSON, keys sorted" in dialog.body_title.text()


def test_ignore_volatile_keys_reduces_differences(qtbot, meta_pair) -> None:
    dialog = open_dialog(qtbot, *meta_pair)
    before = changed(dialog)
    box = dialog.ignore_volatile
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert 0 < changed(dialog) < before
    assert dialog.summary.text() == f"{changed(dialog)} lines differ"
    assert '"timestamp": "<ignored>"' in dialog.body_view.toPlainText()
    assert dialog.headers_title.text() == "Headers: no differences"


def test_header_section(qtbot, meta_pair) -> None:
    dialog = open_dialog(qtbot, *meta_pair)
    lines = dialog.headers_view.toPlainText().splitlines()
    assert "- X-Webhook-Request-Id: a" in lines
    assert "+ X-Webhook-Request-Id: b" in lines
    assert "  Content-Type: application/json" in lines
    assert dialog.headers_title.text() == "Headers: 1 line differs"


def test_identical_bodies(qtbot) -> None:
    dialog = open_dialog(qtbot, stored(1, b'{"a": 1, "b": 2}'), stored(2, b'{"b": 2, "a": 1}'))
    assert dialog.summary.text() == "No differences"


def test_text_bodies_and_markup_stay_plain(qtbot) -> None:
    first = stored(1, f"same\n{MARKUP}\n".encode())
    second = stored(2, b"same\nother\n")
    dialog = open_dialog(qtbot, first, second)
    assert "(text)" in dialog.body_title.text()
    assert f"- {MARKUP}" in dialog.body_view.toPlainText().splitlines()
    assert dialog.summary.text() == "1 line differs"


def test_request_title() -> None:
    title = request_title(stored(3, b""))
    assert title.startswith("#3  POST /webhook · ")
    assert title.endswith(" · meta")
