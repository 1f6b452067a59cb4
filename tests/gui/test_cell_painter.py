"""The request table's cell painter draws what Qt's item delegate draws, pixel for pixel, from
the model's painted cells, without asking the model for roles."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelRoleDataSpan, Qt
from PySide6.QtGui import QFont, QImage
from PySide6.QtWidgets import QStyledItemDelegate, QTableView

from inspector.core.models import SigStatus
from inspector.core.store import Record, Store
from inspector.gui.models.lazy_table import Index
from inspector.gui.models.request_model import RequestTableModel
from inspector.gui.widgets.cell_painter import CellPainter
from tests.gui.conftest import make_record

MARKUP = "<b>bold</b><img src=x>"


class CountingModel(RequestTableModel):
    """Counts the calls a view makes for roles."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.asked = 0

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        self.asked += 1
        return super().data(index, role)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan) -> None:  # type: ignore[override]
        self.asked += 1
        super().multiData(index, roleDataSpan)


@pytest.fixture
def view(qtbot, store: Store) -> QTableView:
    """A table like the main window's over rows of every look: each signature status (with
    its dot and colour), markup in the path, a refused request (red), one not analysed yet."""
    records = [make_record(f"/hook/{MARKUP}/{n}", sig=sig) for n, sig in enumerate(SigStatus)]
    records.append(make_record(refused="body over the limit", status=413))
    store.insert_many(records)
    store.insert_many([Record(make_record("/raw").request, None, 200)])
    table = QTableView()
    table.setModel(CountingModel(store))
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setShowGrid(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.resize(1100, 400)
    qtbot.addWidget(table)
    table.show()
    qtbot.waitExposed(table)
    return table


def picture(table: QTableView, delegate: QStyledItemDelegate) -> QImage:
    table.setItemDelegate(delegate)
    return table.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def model_of(table: QTableView) -> CountingModel:
    model = table.model()
    assert isinstance(model, CountingModel)
    return model


def test_cells_look_as_qts_delegate_paints_them(view: QTableView) -> None:
    model = model_of(view)
    view.selectRow(1)  # a selected row is left to Qt's delegate
    expected = picture(view, QStyledItemDelegate(view))
    assert picture(view, CellPainter(model, view)) == expected
    view.setColumnWidth(2, 60)  # narrower: the path is elided as Qt elides it
    expected = picture(view, QStyledItemDelegate(view))
    assert picture(view, CellPainter(model, view)) == expected


def test_unselected_cells_are_painted_without_asking_the_model(view: QTableView) -> None:
    model = model_of(view)
    view.selectRow(0)
    painter = CellPainter(model, view)
    picture(view, painter)
    model.asked = 0
    picture(view, painter)
    assert model.asked == model.columnCount()  # the selected row's cells only


def test_a_new_font_lays_the_texts_out_again(view: QTableView) -> None:
    model = model_of(view)
    painter = CellPainter(model, view)
    picture(view, painter)
    font = QFont(view.font())
    font.setPointSize(font.pointSize() + 4)
    view.setFont(font)
    expected = picture(view, QStyledItemDelegate(view))
    assert picture(view, painter) == expected


def test_texts_are_laid_out_as_plain_text(view: QTableView) -> None:
    model = model_of(view)
    painter = CellPainter(model, view)
    picture(view, painter)
    markup = [text for text in painter._texts.values() if "<b>" in text.text()]
    assert markup
    assert all(text.textFormat() == Qt.TextFormat.PlainText for text in markup)
