from __future__ import annotations

from PySide6.QtCore import Qt

from inspector.gui.widgets import Banner, EmptyState, curl_example
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
