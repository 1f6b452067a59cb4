"""BodyView: formatting off the GUI thread, stale results dropped, caps, save, views per kind."""

from __future__ import annotations

import base64
import gzip
import json
import random
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QFileDialog

from inspector.core import bodies
from inspector.core.bodies import DISPLAY_CAP, TREE_LINES, Kind, parse_json_exact
from inspector.gui.models.json_tree import JsonTreeModel
from inspector.gui.widgets import body_view
from inspector.gui.widgets.body_view import (
    IMAGE_PAGE,
    PAGE_CHARS,
    TABLE_PAGE,
    TEXT_PAGE,
    TREE_PAGE,
    BodyView,
    Worker,
)
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE
MARKUP = '<b>x</b><img src="http://127.0.0.1:9/canary">'


@pytest.fixture
def view(qtbot) -> BodyView:
    widget = BodyView()
    qtbot.addWidget(widget)
    widget.resize(800, 500)
    return widget


def formatted(qtbot, view: BodyView) -> BodyView:
    """Wait until the view shows a formatting result."""
    qtbot.waitUntil(lambda: not view.busy and view.display() is not None, timeout=10_000)
    return view


def png_bytes() -> bytes:
    image = QImage(3, 2, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def test_json_arrives_formatted_and_highlighted(qtbot, view: BodyView, provider_fixture) -> None:
    raw = provider_fixture("meta_message_text.json")
    view.set_body(raw, "application/json")
    assert view.busy
    assert view.note.text() == "Formatting…"
    formatted(qtbot, view)
    assert view.text.toPlainText() == json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    assert view.note.text().startswith("JSON · 985 bytes · 39 lines")
    assert view.stack.currentIndex() == TEXT_PAGE
    assert view.tree_button.isVisibleTo(view)
    block = view.text.document().findBlockByNumber(1)  # '  "object": "whatsapp_business_account",'
    coloured = [
        r
        for r in block.layout().formats()
        if r.format.foreground().style() != Qt.BrushStyle.NoBrush
    ]
    assert [(r.start, r.length) for r in coloured] == [(2, 8), (12, 27)]


def test_second_body_wins_and_stale_result_is_dropped(qtbot, view: BodyView) -> None:
    shown: list[str] = []
    view.formatted.connect(lambda: shown.append(view.text.toPlainText()))
    big = json.dumps([{"n": n} for n in range(20_000)]).encode()  # slow to format
    view.set_body(big, "application/json")
    view.set_body(b'{"second": true}', "application/json")
    formatted(qtbot, view)
    qtbot.wait(300)  # give a late first result every chance to arrive
    assert view.text.toPlainText() == '{\n  "second": true\n}'
    assert shown == ['{\n  "second": true\n}']


def test_worker_delivers_only_the_latest_call(qtbot) -> None:
    worker = Worker()
    results: list[object] = []
    worker.finished.connect(results.append)
    worker.submit(sum, [1, 2])
    worker.submit(sum, [3, 4])
    qtbot.waitUntil(lambda: not worker.busy)
    qtbot.wait(100)
    assert results == [7]


def test_a_failing_formatter_falls_back_to_hex(qtbot, view: BodyView, monkeypatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> object:
        raise ValueError("boom")

    monkeypatch.setattr(bodies, "describe", broken)
    view.set_body(b"abc", "text/plain")
    formatted(qtbot, view)
    assert "Could not format this body (ValueError)" in view.note.text()
    assert view.text.toPlainText().startswith("00000000  61 62 63")


def test_same_body_is_tokenised_once(qtbot, view: BodyView, monkeypatch) -> None:
    calls: list[int] = []
    real = bodies.json_spans

    def counting(text: str) -> tuple[bodies.Span, ...]:
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(bodies, "json_spans", counting)
    for key, body in ((1, b'{"a": 1}'), (2, b'{"b": 2}'), (1, b'{"a": 1}')):
        view.set_body(body, "application/json", key=("request", key))
        formatted(qtbot, view)
    assert len(calls) == 2
    assert view.text.toPlainText() == '{\n  "a": 1\n}'


def test_dark_palette_recolours_without_tokenising_again(qtbot, view: BodyView) -> None:
    view.set_body(b'{"key": "value"}', "application/json")
    formatted(qtbot, view)

    def key_colour() -> str:
        ranges = view.text.document().findBlockByNumber(1).layout().formats()
        first = ranges[0].format
        return first.foreground().color().name()

    light = key_colour()
    palette = view.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#1f1f1f"))
    view.setPalette(palette)
    assert key_colour() != light
    assert not view.busy  # re-coloured from the spans it had: no new formatting job


def all_pages(qtbot, view: BodyView) -> str:
    """Every page's text, by clicking "Next page" through them (pages are cut at line ends)."""
    pages = [view.text.toPlainText()]
    while view.next_button.isEnabled() and view.page_bar.isVisibleTo(view):
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
        formatted(qtbot, view)
        pages.append(view.text.toPlainText())
    return "\n".join(pages)


def test_big_text_is_truncated_and_show_all_shows_more(qtbot, view: BodyView) -> None:
    body = b"line of text\n" * (DISPLAY_CAP // 10)
    view.set_body(body, "text/plain")
    formatted(qtbot, view)
    assert "Showing the first 256 KiB" in view.note.text()
    assert all_pages(qtbot, view) == body[:DISPLAY_CAP].decode()
    assert view.show_all_button.isVisibleTo(view)
    qtbot.mouseClick(view.show_all_button, Qt.MouseButton.LeftButton)
    formatted(qtbot, view)
    assert view.page() == 0
    assert all_pages(qtbot, view) == body.decode()
    assert "Showing the first" not in view.note.text()
    assert not view.show_all_button.isVisibleTo(view)


def test_save_writes_the_exact_bytes(qtbot, view: BodyView, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "saved.bin"
    asked: list[str] = []

    def fake_dialog(_parent: object, _title: str, suggested: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    body = b"\xff\xfe\x00 raw \r\n bytes" * 1000
    view.set_body(body, "application/octet-stream", name="request-7-body")
    formatted(qtbot, view)
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.saved.text().startswith("Saved"))
    assert target.read_bytes() == body
    assert asked[0].endswith("request-7-body.bin")


def test_save_cancelled_writes_nothing(qtbot, view: BodyView, monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_: ("", ""))
    view.set_body(b"abc", "text/plain")
    formatted(qtbot, view)
    view.save()
    assert view.saved.text() == ""
    assert not view.saver.busy


def test_gzip_offers_inflate(qtbot, view: BodyView) -> None:
    view.set_body(gzip.compress(b'{"zipped": [1, 2]}'), "application/json", "gzip")
    formatted(qtbot, view)
    assert "Stored as received (gzip" in view.note.text()
    assert view.text.toPlainText() == ""
    assert view.inflate_button.isVisibleTo(view)
    qtbot.mouseClick(view.inflate_button, Qt.MouseButton.LeftButton)
    formatted(qtbot, view)
    assert view.text.toPlainText() == '{\n  "zipped": [\n    1,\n    2\n  ]\n}'
    assert "Inflated for viewing" in view.note.text()
    assert not view.inflate_button.isVisibleTo(view)


def test_invalid_utf8_is_hex_with_a_note(qtbot, view: BodyView) -> None:
    view.set_body(b"ok \xc3\x28 bad", "text/plain")
    formatted(qtbot, view)
    assert "Not valid UTF-8 (first bad byte at offset 3)" in view.note.text()
    assert view.text.toPlainText().startswith("00000000  6f 6b 20 c3 28")


def test_image_is_shown_as_a_picture(qtbot, view: BodyView) -> None:
    view.set_body(png_bytes(), "image/png")
    formatted(qtbot, view)
    assert view.stack.currentIndex() == IMAGE_PAGE
    pixmap = view.image_label.pixmap()
    assert (pixmap.width(), pixmap.height()) == (3, 2)
    assert "PNG image" in view.note.text()


def test_broken_image_falls_back_to_hex(qtbot, view: BodyView) -> None:
    view.set_body(b"\x89PNG\r\n\x1a\nnot really a png", "image/png")
    formatted(qtbot, view)
    assert view.stack.currentIndex() == TEXT_PAGE
    assert "could not be decoded" in view.note.text()


def test_form_fields_table(qtbot, view: BodyView) -> None:
    view.set_body(b"name=Ann&empty=&markup=" + MARKUP.encode(), "application/x-www-form-urlencoded")
    formatted(qtbot, view)
    assert view.stack.currentIndex() == TABLE_PAGE
    table = view.table
    rows = [[table.item(r, c).text() for c in range(2)] for r in range(table.rowCount())]
    assert rows == [["name", "Ann"], ["empty", ""], ["markup", MARKUP]]


def test_multipart_parts_table(qtbot, view: BodyView) -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n"
        b'--b\r\nContent-Disposition: form-data; name="t"\r\n\r\nhello\r\n--b--\r\n'
    )
    view.set_body(body, "multipart/form-data; boundary=b")
    formatted(qtbot, view)
    table = view.table
    rows = [[table.item(r, c).text() for c in range(5)] for r in range(table.rowCount())]
    assert rows == [
        ["f", "x.bin", "application/octet-stream", "3 bytes", "<3 bytes>"],
        ["t", "", "", "5 bytes", "hello"],
    ]


def test_markup_body_is_plain_text(qtbot, view: BodyView) -> None:
    view.set_body(MARKUP.encode(), "text/html")
    formatted(qtbot, view)
    assert view.text.toPlainText() == MARKUP


def test_large_json_opens_as_a_lazy_tree(qtbot, view: BodyView) -> None:
    data = {"items": [{"n": n, "ok": n % 2 == 0, "none": None} for n in range(TREE_LINES)]}
    view.set_body(json.dumps(data).encode(), "application/json")
    formatted(qtbot, view)
    assert view.stack.currentIndex() == TREE_PAGE
    assert view.tree_button.isChecked()
    model = view.tree.model()
    assert model.rowCount() == 1
    items = model.index(0, 0)
    assert model.data(items.siblingAtColumn(1)) == f"[{TREE_LINES} items]"
    first = model.index(0, 0, items)
    assert model.data(first) == "[0]"
    qtbot.mouseClick(view.tree_button, Qt.MouseButton.LeftButton)
    assert view.stack.currentIndex() == TEXT_PAGE
    assert view.text.toPlainText().startswith('{\n  "items": [')


def test_small_json_can_be_viewed_as_a_tree(qtbot, view: BodyView) -> None:
    view.set_body(b'{"a": {"b": [true, null, 1.50, "s"]}}', "application/json")
    formatted(qtbot, view)
    assert view.stack.currentIndex() == TEXT_PAGE
    view.set_tree(True)
    assert view.stack.currentIndex() == TREE_PAGE
    model = view.tree.model()
    b = model.index(0, 0, model.index(0, 0))
    values = [
        [model.data(model.index(row, col, b)) for col in range(3)]
        for row in range(model.rowCount(b))
    ]
    assert values == [
        ["[0]", "true", "boolean"],
        ["[1]", "null", "null"],
        ["[2]", "1.50", "number"],
        ["[3]", "s", "string"],
    ]


def test_tree_model_passes_modeltester(qtmodeltester) -> None:
    data = parse_json_exact(
        '{"a": [1, {"b": "c"}, []], "d": {}, "e": "' + MARKUP.replace('"', "'") + '"}'
    )
    qtmodeltester.check(JsonTreeModel(data), force_py=True)
    qtmodeltester.check(JsonTreeModel(parse_json_exact('"just a string"')), force_py=True)
    qtmodeltester.check(JsonTreeModel(parse_json_exact("[]")), force_py=True)


def test_clear_shows_nothing(qtbot, view: BodyView) -> None:
    view.set_body(b"abc", "text/plain")
    view.clear()
    qtbot.wait(100)
    assert view.text.toPlainText() == ""
    assert view.display() is None
    assert not view.save_button.isVisibleTo(view)


def test_empty_body(qtbot, view: BodyView) -> None:
    view.set_body(b"", "application/json")
    formatted(qtbot, view)
    assert view.display() is not None
    assert view.display().kind is Kind.EMPTY  # type: ignore[union-attr]
    assert view.note.text() == "Empty"
    assert not view.save_button.isEnabled()


def test_style_formats_differ_for_dark_and_light() -> None:
    light = body_view.style_formats(dark=False)["Token.Name.Tag"]
    dark = body_view.style_formats(dark=True)["Token.Name.Tag"]
    assert light.foreground().color() != dark.foreground().color()


def media_body(size: int) -> bytes:
    """A one-line JSON media payload of about `size` bytes: its "data" field is base64."""
    data = base64.b64encode(random.Random(3).randbytes(size * 3 // 4)).decode()
    return json.dumps({"event": "media", "data": data, "caption": "the end"}).encode()


def records_body(count: int) -> bytes:
    return json.dumps([{"id": n, "name": f"customer {n}"} for n in range(count)]).encode()


def test_a_20mb_body_shows_one_page_at_a_time(qtbot, view: BodyView) -> None:
    body = media_body(20_000_000)
    view.set_body(body, "application/json")
    formatted(qtbot, view)
    qtbot.mouseClick(view.show_all_button, Qt.MouseButton.LeftButton)
    formatted(qtbot, view)
    display = view.display()
    assert display is not None
    assert not display.truncated
    count = view.page_count()
    assert count > 600
    assert view.page_bar.isVisibleTo(view)
    document = view.text.document()
    assert document.characterCount() <= PAGE_CHARS + 1  # never the whole 20 MB in the view
    assert view.text.toPlainText().startswith('{\n  "event": "media",\n  "data": "')
    lines = view.text.toPlainText().count("\n") + 1
    assert view.page_label.text() == f"page 1 of {count:,} (lines 1–{lines})"
    assert not view.previous_button.isEnabled()

    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    formatted(qtbot, view)
    assert view.page() == 1
    assert view.page_label.text().startswith(f"page 2 of {count:,} (lines {lines + 1}–")
    assert view.text.document().characterCount() <= PAGE_CHARS + 1
    kinds = {kind for _, _, kind in view.highlighter.spans}
    assert kinds == {"Token.Literal.String.Double"}  # inside the folded "data" string
    qtbot.mouseClick(view.previous_button, Qt.MouseButton.LeftButton)
    formatted(qtbot, view)
    assert view.page() == 0

    view.page_box.clear()
    qtbot.keyClicks(view.page_box, str(count))
    qtbot.keyClick(view.page_box, Qt.Key.Key_Return)
    formatted(qtbot, view)
    assert view.page() == count - 1
    assert view.text.toPlainText().endswith('"caption": "the end"\n}')  # the body's end
    assert not view.next_button.isEnabled()


def test_json_pages_are_coloured_page_by_page(qtbot, view: BodyView) -> None:
    view.set_body(records_body(5000), "application/json")
    formatted(qtbot, view)
    view.set_tree(False)
    assert view.page_count() > 2

    def coloured_within_the_page() -> None:
        spans = view.highlighter.spans
        assert spans  # this page has its own colours...
        assert max(start + length for start, length, _ in spans) <= len(view.text.toPlainText())
        block = view.text.document().findBlockByNumber(3)  # '    "name": "customer …"'
        assert any(r.format.foreground().style() != Qt.BrushStyle.NoBrush
                   for r in block.layout().formats())  # fmt: skip

    coloured_within_the_page()
    first = view.highlighter.spans
    qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
    formatted(qtbot, view)
    assert view.highlighter.spans != first  # ...not the first page's spans
    coloured_within_the_page()


def test_find_goes_to_the_page_with_the_text(qtbot, view: BodyView) -> None:
    view.set_body(records_body(5000), "application/json")
    formatted(qtbot, view)
    assert view.stack.currentIndex() == TREE_PAGE  # over TREE_LINES lines: no pages in a tree
    assert not view.page_bar.isVisibleTo(view)
    qtbot.mouseClick(view.tree_button, Qt.MouseButton.LeftButton)
    assert view.page_bar.isVisibleTo(view)
    qtbot.keyClicks(view.find_edit, '"customer 4321"')
    qtbot.keyClick(view.find_edit, Qt.Key.Key_Return)
    formatted(qtbot, view)
    assert view.page() > 0
    assert view.text.textCursor().selectedText() == '"customer 4321"'
    qtbot.mouseClick(view.find_button, Qt.MouseButton.LeftButton)  # only one: wraps to it again
    formatted(qtbot, view)
    assert view.text.textCursor().selectedText() == '"customer 4321"'
    view.find_edit.setText("no such text")
    qtbot.mouseClick(view.find_button, Qt.MouseButton.LeftButton)
    assert view.find_note.text() == "Not found"


def test_small_body_has_no_pages(qtbot, view: BodyView) -> None:
    view.set_body(b'{"a": 1}', "application/json")
    formatted(qtbot, view)
    assert view.page_count() == 1
    assert not view.page_bar.isVisibleTo(view)
    assert view.text.toPlainText() == '{\n  "a": 1\n}'
