"""Icons drawn at run time (no image files): coloured status dots."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from inspector.gui.theme import sig_look


@cache
def dot_icon(colour: str, *, hollow: bool = False) -> QIcon:
    """A round dot of `colour` (filled, or a ring when `hollow`), crisp at 1x and 2x."""
    icon = QIcon()
    for size in (16, 32):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        margin = size * 0.22
        rect = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
        colour_value = QColor(colour)
        if hollow:
            pen = painter.pen()
            pen.setColor(colour_value)
            pen.setWidthF(size / 10)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour_value)
        painter.drawEllipse(rect)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def sig_icon(status: str) -> QIcon:
    """The dot for a signature status (hollow for 'nothing to check')."""
    look = sig_look(status)
    return dot_icon(look.colour, hollow=look.hollow)
