"""Icons drawn at run time (no image files): coloured status dots."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

SIG_COLOURS = {
    "valid": "#2e9e44",
    "invalid": "#d32f2f",
    "missing_header": "#ef6c00",
    "expired": "#ef6c00",
    "malformed": "#ef6c00",
    "no_secret": "#9e9e9e",
    "unsigned": "#bdbdbd",
}
"""Signature status -> dot colour: green good, red bad, orange suspicious, grey unknown."""


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
    colour = SIG_COLOURS.get(status, "#bdbdbd")
    return dot_icon(colour, hollow=status in ("unsigned", "no_secret"))
