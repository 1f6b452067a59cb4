from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from inspector.gui.widgets.common import Banner, EmptyState, curl_example
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE


def test_banner_shows_plain_text_and_reports_its_action(qtbot) -> None:
    banner = Banner("error", "Fix it")
    qtbot.addWidget(banner)
    assert banner.isHidden()
    banner.show_message("<b>not bold</b>")
    assert banner.text() == "<b>not bold</b>"
    assert banner.label.textFormat() == Qt.TextFormat.PlainText
    with qtbot.waitSignal(banner.actionClicked):
        banner.action.click()


def test_empty_state_without_url(qtbot) -> None:
    empty = EmptyState()
    qtbot.addWidget(empty)
    assert not empty.copy_button.isEnabled()
    empty.set_url("http://127.0.0.1:9")
    assert empty.copy_button.isEnabled()
    assert empty.example.toPlainText() == curl_example("http://127.0.0.1:9")


def test_empty_state_offers_samples_and_drops(qtbot) -> None:
    empty = EmptyState()
    qtbot.addWidget(empty)
    assert not empty.sample_button.isEnabled()  # nowhere to send to yet
    empty.set_url("http://127.0.0.1:9")
    assert empty.sample_button.isEnabled()
    labels = " ".join(label.text() for label in empty.findChildren(QLabel))
    assert "sample event" in labels
    assert "drop" in labels


def test_info_banner(qtbot) -> None:
    banner = Banner("info")
    qtbot.addWidget(banner)
    banner.show_message("Deleted 3 old requests")
    background, text = banner.colours()
    assert f"background:{background}" in banner.styleSheet()
    assert f"color:{text}" in banner.styleSheet()
