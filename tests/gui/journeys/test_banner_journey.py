"""The "receiver not listening" banner is readable in both themes: the text as painted has a
contrast ratio of at least 4.5 against the banner's background (WCAG AA)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QImage

from inspector.gui.main_window import MainWindow
from inspector.gui.theme import (
    banner_colours,
    contrast_ratio,
    dark_palette,
    is_dark,
    light_palette,
)
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.test_main_window import open_window

pytestmark = OFFSCREEN_NOISE


def painted_contrast(banner) -> float:
    """Contrast between the banner's painted background and the most distinct pixel of its
    text, read from a grab of the banner."""
    image: QImage = banner.grab().toImage()
    background = QColor(image.pixel(4, image.height() // 2))
    label = banner.label.geometry()
    best = 1.0
    for x in range(label.left(), min(label.right(), label.left() + 300)):
        for y in range(label.top(), label.bottom()):
            best = max(best, contrast_ratio(QColor(image.pixel(x, y)), background))
    return best


def choose_theme(window: MainWindow, name: str) -> None:
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    themes = next(a.menu() for a in view.actions() if a.text() == "Theme")
    next(a for a in themes.actions() if a.text() == name).trigger()


@pytest.mark.parametrize(("first", "then"), [("Dark", "Light"), ("Light", "Dark")])
def test_the_receiver_banner_is_readable(qtbot, bridge, first: str, then: str) -> None:
    QSettings().setValue("view/theme", first.lower())  # as left by the last run
    window: MainWindow = open_window(qtbot, bridge)
    assert is_dark() == (first == "Dark")
    bridge.receiverChanged.emit("", "address 127.0.0.1:8080 is already in use")
    banner = window.receiver_banner
    qtbot.waitUntil(banner.isVisible)
    assert banner.text().startswith("The receiver is not listening")
    assert painted_contrast(banner) >= 4.5
    choose_theme(window, then)  # switched while the banner shows
    assert is_dark() == (then == "Dark")
    assert painted_contrast(banner) >= 4.5
    window.set_theme("system")
    window.close()


@pytest.mark.parametrize("kind", ["error", "warning", "info"])
@pytest.mark.parametrize("palette", [light_palette, dark_palette])
def test_every_banner_kind_has_enough_contrast(kind: str, palette) -> None:
    background, text, _ = banner_colours(kind, palette())
    assert contrast_ratio(text, background) >= 4.5
