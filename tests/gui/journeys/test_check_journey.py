"""Journey: Request > Check handler… against a handler that accepts forged webhooks."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs.check_dialog import CheckDialog
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.test_check_cli import handler  # noqa: F401  (the fixture)

pytestmark = OFFSCREEN_NOISE


def test_check_a_faulty_handler_from_the_request_menu(qtbot, bridge: CoreBridge, handler) -> None:  # noqa: F811
    url = handler("waha", "forged")
    window = MainWindow(bridge)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    seen: dict[str, object] = {}

    def in_the_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, CheckDialog)
        dialog.provider.setCurrentIndex(dialog.provider.findData("waha"))
        dialog.url.clear()
        qtbot.keyClicks(dialog.url, url)
        qtbot.keyClicks(dialog.secret, "demo-waha-hmac-key")
        dialog.burst.setValue(3)
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.copy_button.isEnabled(), timeout=30_000)
        model = dialog.model
        rows = {model.results[r].key: r for r in range(model.rowCount())}
        seen["forged"] = [model.index(rows["forged"], c).data() for c in range(4)]
        seen["valid"] = model.index(rows["valid"], 1).data()
        seen["status"] = dialog.status.text()
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
        seen["report"] = QGuiApplication.clipboard().text()
        seen["ids"] = model.results[rows["forged"]].request_ids
        dialog.reject()

    request_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Request")
    [action] = [a for a in request_menu.actions() if a.text() == "Check handler…"]
    QTimer.singleShot(0, in_the_dialog)
    action.trigger()
    assert seen["valid"] == "pass"
    check, grade, details, requests = seen["forged"]  # type: ignore[misc]
    assert (check, grade) == ("Forged signature", "fail")
    assert details.endswith("your handler accepts forged webhooks")
    assert requests.startswith("#")
    assert seen["status"] == "2 checks failed"  # forged and unsigned (waha has no timestamp)
    report = str(seen["report"])
    assert "FAIL    Forged signature: sent a waha signature made with the wrong secret" in report
    assert "demo-waha-hmac-key" not in report
    store = bridge.store
    assert store is not None
    [request_id] = seen["ids"]  # type: ignore[misc]
    qtbot.waitUntil(lambda: store.get(request_id) is not None)
    stored = store.get(request_id)
    assert stored is not None
    assert stored.request.source == "check"
    window.close()
