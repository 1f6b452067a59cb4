"""Vesper in the GUI: its quick filter chip and its samples submenu."""

from __future__ import annotations

from inspector.gui.models.request_model import Where
from inspector.gui.widgets.filter_bar import FilterBar
from inspector.gui.widgets.samples_menu import SamplesMenu
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE


def test_vesper_chip_filters_on_the_provider(qtbot) -> None:
    bar = FilterBar()
    qtbot.addWidget(bar)
    chip = bar.provider_chips["vesper"]
    assert chip.text() == "Vesper"
    chip.click()
    assert bar.current == Where("provider IN (?)", ("vesper",), "")


def test_vesper_samples_have_a_submenu(qtbot) -> None:
    menu = SamplesMenu()
    qtbot.addWidget(menu)
    titles = [action.text() for action in menu.actions()]
    assert "Vesper" in titles
    assert ("vesper", "message.received") in menu.sample_actions
