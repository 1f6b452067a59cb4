"""Light / dark / follow-the-system colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")
_SCHEMES = {
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
    "system": Qt.ColorScheme.Unknown,
}


def apply_theme(theme: str) -> None:
    """Ask the platform for `theme`; paint a palette ourselves where it cannot oblige.

    Qt 6.8+ lets an application request a colour scheme (`QStyleHints.setColorScheme`), but
    some platform themes ignore the request; then a Fusion palette stands in.
    """
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    hints = QGuiApplication.styleHints()
    wanted = _SCHEMES.get(theme, Qt.ColorScheme.Unknown)
    if hasattr(hints, "setColorScheme"):
        if theme == "system":
            hints.unsetColorScheme()
        else:
            hints.setColorScheme(wanted)
    if theme == "system" or hints.colorScheme() == wanted:
        app.setPalette(app.style().standardPalette())
        return
    app.setPalette(dark_palette() if theme == "dark" else light_palette())


def is_dark() -> bool:
    """Whether the window background is currently dark."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def light_palette() -> QPalette:
    palette = QPalette(QColor("#f3f3f3"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f7f9"))
    return palette


def dark_palette() -> QPalette:
    """A restrained dark palette (for platforms that cannot switch schemes themselves)."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2b",
        QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f1f1f",
        QPalette.ColorRole.AlternateBase: "#262626",
        QPalette.ColorRole.ToolTipBase: "#333333",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
        QPalette.ColorRole.PlaceholderText: "#8a8a8a",
        QPalette.ColorRole.Text: "#e6e6e6",
        QPalette.ColorRole.Button: "#333333",
        QPalette.ColorRole.ButtonText: "#e6e6e6",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Link: "#6ab0ff",
        QPalette.ColorRole.Highlight: "#2f65ca",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Mid: "#444444",
        QPalette.ColorRole.Dark: "#1a1a1a",
        QPalette.ColorRole.Light: "#3a3a3a",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):  # fmt: skip
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette
