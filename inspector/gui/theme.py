"""Light / dark / follow-the-system colour scheme."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from inspector.core.models import SigStatus

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


# --- signature statuses: one palette for the table, its dots and the detail pane ----------------

GREEN, RED, ORANGE, GREY = "#2e9d4f", "#d64545", "#c66a00", "#878787"
"""Mid-tones with a contrast of at least 3 on the light and the dark palette's backgrounds, so
the same colour reads in both themes (tests/gui/test_theme.py checks it)."""


@dataclass(frozen=True, slots=True)
class SigLook:
    """How a signature status is shown: `word` in the table, `words` (with a mark) in the
    detail pane, `colour` for text and dots; `hollow`: its dot is a ring (nothing checked)."""

    word: str
    words: str
    colour: str
    hollow: bool = False


SIG_LOOKS = {
    SigStatus.VALID: SigLook("valid", "✓ valid", GREEN),
    SigStatus.INVALID: SigLook("invalid", "✗ invalid", RED),
    SigStatus.MISSING_HEADER: SigLook("missing", "✗ signature header missing", ORANGE),
    SigStatus.EXPIRED: SigLook("expired", "✗ expired", ORANGE),
    SigStatus.MALFORMED: SigLook("malformed", "✗ malformed", ORANGE),
    SigStatus.NO_SECRET: SigLook("no secret", "? no secret configured", GREY, hollow=True),
    SigStatus.UNSIGNED: SigLook("unsigned", "– unsigned", GREY, hollow=True),
}
"""Green good, red bad, orange suspicious, grey nothing checked."""


def sig_look(status: str) -> SigLook:
    """The look of a signature status (an unknown one shows its own name, in grey)."""
    return SIG_LOOKS.get(status) or SigLook(status, status, GREY, hollow=True)


ACCENTS = {"error": "#d32f2f", "warning": "#ef8a00", "info": "#1e73d2"}
"""The hue of each kind of banner; its colours are mixed from it and the current palette."""


def banner_colours(kind: str, palette: QPalette | None = None) -> tuple[QColor, QColor, QColor]:
    """Background, text and border of a `kind` banner in `palette` (default: the app's):
    a tint of the accent over the base colour, with the palette's own text colour, so the
    text stays readable in light and dark themes alike."""
    palette = palette or QGuiApplication.palette()
    window = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    accent = QColor(ACCENTS[kind])
    background = mix(window, accent, 0.16)
    if contrast_ratio(text, background) < 4.5:  # an odd palette: fall back to black or white
        text = QColor("#000000" if background.lightness() >= 128 else "#ffffff")
    return background, text, mix(window, accent, 0.5)


def mix(base: QColor, other: QColor, amount: float) -> QColor:
    """`base` moved `amount` (0..1) of the way towards `other`."""
    return QColor.fromRgbF(*(a + (b - a) * amount for a, b in zip(
        base.getRgbF()[:3], other.getRgbF()[:3], strict=True)))  # fmt: skip


def contrast_ratio(first: QColor, second: QColor) -> float:
    """The WCAG contrast ratio of two colours (1 to 21; 4.5 is enough for body text)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: QColor) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(c) for c in colour.getRgbF()[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


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
