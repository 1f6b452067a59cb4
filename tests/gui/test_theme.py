from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QIcon, QPalette

from inspector.core.models import SigStatus
from inspector.gui import theme
from inspector.gui.icons import sig_icon
from inspector.gui.theme import (
    apply_theme,
    contrast_ratio,
    dark_palette,
    is_dark,
    light_palette,
    sig_look,
)


def test_dark_light_and_back_to_system(qapp) -> None:
    apply_theme("dark")
    assert is_dark()
    apply_theme("light")
    assert not is_dark()
    apply_theme("system")


def test_dark_palette_is_dark() -> None:
    from PySide6.QtGui import QPalette

    assert dark_palette().color(QPalette.ColorRole.Base).lightness() < 64


# --- the signature palette --------------------------------------------------------------------


@pytest.mark.parametrize("status", list(SigStatus))
def test_each_signature_colour_reads_on_light_and_dark(qapp, status: SigStatus) -> None:
    colour = QColor(sig_look(status).colour)
    for palette in (light_palette(), dark_palette()):
        for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Window):
            assert contrast_ratio(colour, palette.color(role)) >= 3, (status, role)


def test_one_red_for_an_invalid_signature_everywhere(qapp) -> None:
    """The dot in the table, the table's text and the detail pane agree (they once had three
    different reds)."""
    from inspector.gui.models import request_model as rm
    from inspector.gui.widgets import detail_pane

    assert centre_colour(sig_icon(SigStatus.INVALID)) == QColor(theme.RED)
    assert QColor(theme.RED) == rm.RED
    assert detail_pane.REFUSED_COLOUR == theme.RED
    assert sig_look(SigStatus.INVALID).colour == theme.RED


@pytest.mark.parametrize("status", list(SigStatus))
def test_the_dot_has_the_status_colour(qapp, status: SigStatus) -> None:
    look = sig_look(status)
    image = sig_icon(status).pixmap(32, 32).toImage()
    if look.hollow:  # a ring: empty inside, its colour on the edge
        assert image.pixelColor(16, 16).alpha() == 0
        assert opaque(image.pixelColor(16, 8)) == QColor(look.colour)
    else:
        assert opaque(image.pixelColor(16, 16)) == QColor(look.colour)


def test_an_unknown_status_shows_its_own_name_in_grey() -> None:
    look = sig_look("from_the_future")
    assert (look.word, look.words) == ("from_the_future", "from_the_future")
    assert look.colour == theme.GREY


def centre_colour(icon: QIcon) -> QColor:
    return opaque(icon.pixmap(32, 32).toImage().pixelColor(16, 16))


def opaque(colour: QColor) -> QColor:
    return QColor(colour.red(), colour.green(), colour.blue())
