"""HeadersModel: rows in order with duplicates, UTF-8 display, plain tooltips, copy text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from inspector.gui.models.headers_model import NAME, VALUE, HeadersModel

MARKUP = '<b>x</b><img src="http://127.0.0.1:9/canary">'
HEADERS = (
    ("Host", "127.0.0.1"),
    ("X-Dup", "1"),
    ("x-dup", "2"),
    ("X-Name", "caf\xc3\xa9"),  # UTF-8 bytes as received (Latin-1-decoded)
    ("X-Latin", "caf\xe9"),  # not UTF-8: shown as Latin-1
    ("X-Markup", MARKUP),
)


def cell(model: HeadersModel, row: int, column: int, role=Qt.ItemDataRole.DisplayRole) -> object:
    return model.data(model.index(row, column), role)


def test_passes_modeltester(qtmodeltester) -> None:
    model = HeadersModel(HEADERS)
    qtmodeltester.check(model, force_py=True)  # checks again on every change
    model.set_headers(HEADERS[:2])
    model.set_headers(())
    model.set_headers(HEADERS * 3)


def test_rows_keep_order_and_duplicates() -> None:
    model = HeadersModel(HEADERS)
    assert model.rowCount() == len(HEADERS)
    assert model.columnCount() == 2
    names = [cell(model, row, NAME) for row in range(model.rowCount())]
    assert names == [name for name, _ in HEADERS]
    assert [cell(model, row, VALUE) for row in (1, 2)] == ["1", "2"]


def test_values_are_shown_as_utf8_when_they_are() -> None:
    model = HeadersModel(HEADERS)
    assert cell(model, 3, VALUE) == "café"
    assert cell(model, 4, VALUE) == "caf\xe9"


def test_markup_is_plain_in_cells_and_tooltips() -> None:
    model = HeadersModel(HEADERS)
    assert cell(model, 5, VALUE) == MARKUP
    tooltip = cell(model, 5, VALUE, Qt.ItemDataRole.ToolTipRole)
    assert isinstance(tooltip, str)
    doc = QTextDocument()
    doc.setHtml(tooltip)
    assert doc.toPlainText() == MARKUP


def test_header_titles() -> None:
    model = HeadersModel()
    horizontal = Qt.Orientation.Horizontal
    assert [model.headerData(c, horizontal) for c in (NAME, VALUE)] == ["Name", "Value"]


def test_long_values_are_cut_in_cells_not_in_copy() -> None:
    value = "v" * 5000
    model = HeadersModel((("X-Long", value),))
    assert len(str(cell(model, 0, VALUE))) < 5000
    assert model.lines() == f"X-Long: {value}"


def test_lines_for_all_or_some_rows() -> None:
    model = HeadersModel(HEADERS)
    assert model.lines([2, 0]) == "Host: 127.0.0.1\nx-dup: 2"
    assert model.lines().splitlines()[3] == "X-Name: café"
    assert len(model.lines().splitlines()) == len(HEADERS)
