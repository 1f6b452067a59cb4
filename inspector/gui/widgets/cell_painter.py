"""Paints the cells of a lazy table (inspector/gui/models/lazy_table.py) without Qt's text layout.

Qt's item delegate lays a cell's text out several times on every paint (the style measures it
to place the icon and the text, then elides and draws it), and asks the model for seven roles.
A repaint of the request table took about 17 ms of the GUI thread on a small machine, and a
burst of webhooks repaints it up to 25 times a second (ARCHITECTURE.md, "The GUI thread never
waits on I/O"). `CellPainter` has the style draw each cell's background and icon as before,
then draws the text itself: the model's `painted` cells (text, icon, colour, worked out once per
row), each text elided and laid out once per width in a QStaticText, as plain text (request data
is never rich text).

Cells a style may draw its own way are left to Qt's delegate: selected or focused ones (some
styles colour selected text their own way) and right-to-left layouts. The view must not wrap
text and the model must not align it (the request and Messages models do neither).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QStaticText, QTransform
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from inspector.gui.models.lazy_table import DECORATION, DISPLAY, FOREGROUND, LazyTableModel

State = QStyle.StateFlag
OWN_WAY = (State.State_Selected | State.State_HasFocus | State.State_Editing).value
"""Cells in any of these states are painted by Qt's delegate."""
ENABLED, ACTIVE, HOVERED = (State.State_Enabled.value, State.State_Active.value,
                            State.State_MouseOver.value)  # fmt: skip
Change = QEvent.Type
ANEW = frozenset({Change.FontChange, Change.StyleChange, Change.PaletteChange,
                  Change.LayoutDirectionChange, Change.ApplicationFontChange})  # fmt: skip
"""Changes to the view after which texts, places and colours are worked out again."""
TEXTS_MAX = 5000
"""Laid-out texts kept (a screenful of cells is a few hundred)."""
PANEL = QStyle.PrimitiveElement.PE_PanelItemViewItem
ITEM = QStyle.ControlElement.CE_ItemViewItem
HAS_ICON = QStyleOptionViewItem.ViewItemFeature.HasDecoration
HAS_TEXT = QStyleOptionViewItem.ViewItemFeature.HasDisplay


class CellPainter(QStyledItemDelegate):
    """The item delegate of `view`, a view on `model`; see the module docstring.

    Each enum read from Qt costs microseconds and a repaint paints a few hundred cells: the
    state is read once per cell, everything else once per change of the view."""

    def __init__(self, model: LazyTableModel, view: QAbstractItemView) -> None:  # type: ignore[type-arg]
        super().__init__(view)
        self._model = model
        self._view = view
        self._texts: dict[tuple[str, int], QStaticText] = {}
        self._places: dict[tuple[int, int, bool], tuple[int, int, int]] = {}
        """(cell width, height, has an icon) -> the text's left, top and width in the cell."""
        self._colours: dict[int, QColor] = {}
        """Enabled and active state bits -> the palette's text colour."""
        self._style = view.style()
        self._left_to_right = True
        self.forget()
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ANEW:
            self.forget()
        return False

    def forget(self) -> None:
        """Work texts, places and colours out again (the view's font, style... changed)."""
        self._texts.clear()
        self._places.clear()
        self._colours.clear()
        self._style = self._view.style()
        self._left_to_right = self._view.layoutDirection() == Qt.LayoutDirection.LeftToRight

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:  # fmt: skip
        state = option.state.value
        cells = None
        if not state & OWN_WAY and self._left_to_right:
            cells = self._model.painted(index.row())
        if cells is None:
            super().paint(painter, option, index)
            return
        values = cells[index.column()]
        icon = values.get(DECORATION)
        if icon is not None:  # the style places and draws it
            option = QStyleOptionViewItem(option)
            option.features |= HAS_ICON
            option.icon = icon
            option.decorationSize = icon.actualSize(option.decorationSize)
            self._style.drawControl(ITEM, option, painter, option.widget)
        elif state & HOVERED:  # else the style draws no background (it is not selected)
            self._style.drawPrimitive(PANEL, option, painter, option.widget)
        text = values.get(DISPLAY)
        if text:
            brush = values.get(FOREGROUND)
            colour = brush.color() if brush is not None else self._colour(option, state)
            self._draw_text(painter, option, text, colour, icon is not None)

    def _colour(self, option: QStyleOptionViewItem, state: int) -> QColor:
        """The palette's text colour in `state`: disabled, inactive or normal."""
        key = state & (ENABLED | ACTIVE)
        found = self._colours.get(key)
        if found is None:
            group = QPalette.ColorGroup
            kind = (group.Disabled if not key & ENABLED
                    else group.Normal if key & ACTIVE else group.Inactive)  # fmt: skip
            found = self._colours[key] = option.palette.color(kind, QPalette.ColorRole.Text)
        return found

    def _draw_text(self, painter: QPainter, option: QStyleOptionViewItem, text: str,
                   colour: QColor, has_icon: bool) -> None:  # fmt: skip
        """Draw `text` where and as the style would: in its text rectangle less the focus
        margins, elided, the line centred."""
        rect = option.rect
        left, top, width = self._place(option, rect, has_icon)
        laid_out = self._laid_out(text, width, option)
        painter.setPen(colour)  # the style sets its own pen for whatever it draws next
        painter.drawStaticText(rect.left() + left, rect.top() + top, laid_out)

    def _place(self, option: QStyleOptionViewItem, rect: QRect,
               has_icon: bool) -> tuple[int, int, int]:  # fmt: skip
        """Where the style puts the text of a cell of this size: left, top, width."""
        key = (rect.width(), rect.height(), has_icon)
        found = self._places.get(key)
        if found is None:
            probe = QStyleOptionViewItem(option)
            probe.features |= HAS_TEXT
            probe.text = "x"
            probe.rect = QRect(0, 0, rect.width(), rect.height())
            style, widget = self._style, option.widget
            area = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, probe, widget)
            margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
            line = option.fontMetrics.height()
            found = (area.left() + margin, area.top() + (area.height() - line) // 2,
                     max(area.width() - 2 * margin, 0))  # fmt: skip
            self._places[key] = found
        return found

    def _laid_out(self, text: str, width: int, option: QStyleOptionViewItem) -> QStaticText:
        """`text`, elided to `width`, laid out once (plain text, never rich text)."""
        key = (text, width)
        found = self._texts.get(key)
        if found is None:
            if len(self._texts) >= TEXTS_MAX:
                self._texts.clear()
            elided = option.fontMetrics.elidedText(text, option.textElideMode, width)
            found = QStaticText(elided)
            found.setTextFormat(Qt.TextFormat.PlainText)
            found.prepare(QTransform(), option.font)
            self._texts[key] = found
        return found
