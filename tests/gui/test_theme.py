from __future__ import annotations

from inspector.gui.theme import apply_theme, dark_palette, is_dark


def test_dark_light_and_back_to_system(qapp) -> None:
    apply_theme("dark")
    assert is_dark()
    apply_theme("light")
    assert not is_dark()
    apply_theme("system")


def test_dark_palette_is_dark() -> None:
    from PySide6.QtGui import QPalette

    assert dark_palette().color(QPalette.ColorRole.Base).lightness() < 64
