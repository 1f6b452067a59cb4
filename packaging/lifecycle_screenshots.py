"""Take the README screenshots of the Lifecycle tab, the Messages view and a retry sequence.

Usage: python packaging/lifecycle_screenshots.py OUT_DIR
Runs under Xvfb (DISPLAY set) or offscreen. The history is written first by the scripted
provider sender of the tests (tests/core/senders.py: statuses out of order, a failed message,
`message` + `message.any`, a WAHooks retry sequence after our 500s), then the app opens it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.core.senders import Sender, meta_message, meta_status, waha, waha_ack, waha_text  # noqa: E402


def fill(db: Path) -> None:
    from inspector.core.store import Store

    store = Store.open(db)
    sender = Sender(store, clock=time.time() - 600)
    start = sender.clock
    sender.send(
        meta_message(
            "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTdGQjQ2", "Is the shop open tomorrow?", start
        )
    )
    sender.wait(20)
    out = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QjE0RkQ3"
    sender.send(meta_status(out, "sent", sender.clock))
    sender.wait(4)
    sender.send(meta_status(out, "read", sender.clock + 3))
    sender.wait(1)
    sender.send(meta_status(out, "delivered", sender.clock - 3))
    sender.wait(10)
    sender.send(meta_status("wamid.HBgLMTY1MDU1NTk4NzYVAgARGBJGQTE3QzA0", "failed", sender.clock,
                            (131047, "Re-engagement message")))  # fmt: skip
    sender.wait(15)
    text = waha_text("false_4915123456789@c.us_3EB0C127D7BACC83D6A1", "Where is my order?",
                     sender.clock, chat="4915123456789@c.us")  # fmt: skip
    sender.send(waha("message", text, sender.clock, event_id="evt_01jfz3k2a8"))
    sender.wait(0.3)
    sender.send(waha("message.any", text, sender.clock, event_id="evt_01jfz3k2b1"))
    sender.wait(30)
    reply = "true_4915123456789@c.us_AA55F0E1D2C3B4A5968778"
    sender.send(waha("message.ack", waha_ack(reply, 2, sender.clock), sender.clock,
                     event_id="evt_01jfz3m7c2"))  # fmt: skip
    sender.wait(12)
    hooks = (("X-WAHooks-Signature", "sha256=5d41402abc4b2a76b9719d911017c592"),
             ("X-WAHooks-Timestamp", str(int(sender.clock))))  # fmt: skip
    body = waha("message.ack", waha_ack(reply, 3, sender.clock), sender.clock,
                event_id="evt_01jfz3p9d4")  # fmt: skip
    sender.deliver(body, [500, 500, 503, 200], (5.0, 10.0, 26.0), hooks)
    store.close()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    home = Path(tempfile.mkdtemp(prefix="inspector-shots-"))
    os.environ["WEBHOOK_INSPECTOR_HOME"] = str(home)
    fill(home / "history.db")

    from PySide6.QtCore import Qt, QTimer

    from inspector.core.config import Settings
    from inspector.gui import app as app_module
    from inspector.gui.models.request_model import IdRole
    from inspector.gui.widgets.detail_pane import DELIVERIES, LIFECYCLE
    from inspector.gui.widgets.messages_view import select_request

    app = app_module.make_application()
    bridge, window = app_module.start(Settings(db_path=home / "history.db", port=0),
                                      home / "settings.json")  # fmt: skip
    window.resize(1280, 720)
    window.follow_button.setChecked(False)
    steps = []

    def event_row(event: str, last: bool = False) -> int:
        model = window.model
        rows = [r for r in range(model.rowCount()) if model.index(r, 4).data() == event]
        return rows[0] if last else rows[-1]

    def lifecycle() -> None:
        window.table.selectRow(event_row("statuses.delivered"))
        window.detail.tabs.setCurrentIndex(LIFECYCLE)
        window.splitter.setSizes([260, 480])

    def deliveries() -> None:
        window.table.selectRow(0)
        window.detail.tabs.setCurrentIndex(DELIVERIES)

    def messages() -> None:
        dock = window.messages_dock
        dock.show()
        window.resizeDocks([dock], [290], Qt.Orientation.Vertical)
        row = event_row("statuses.delivered")
        select_request(window, int(window.model.index(row, 0).data(IdRole)))

    plan = [(lifecycle, "lifecycle.png"), (deliveries, "deliveries.png"),
            (messages, "messages.png")]  # fmt: skip

    def next_step() -> None:
        if window.model.rowCount() == 0 or not bridge.service.url:
            QTimer.singleShot(200, next_step)
            return
        if steps:
            window.grab().save(str(out / steps.pop()))
        if not plan:
            window.close()
            return
        action, name = plan.pop(0)
        action()
        steps.append(name)
        QTimer.singleShot(900, next_step)

    QTimer.singleShot(800, next_step)
    window.closed.connect(app.quit)
    app.exec()
    bridge.stop()
    print(f"saved lifecycle.png, deliveries.png and messages.png in {out}")


if __name__ == "__main__":
    main()
