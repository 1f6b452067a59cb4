"""Take the README screenshots of the main window, its dialogs and the dark theme.

Usage: python packaging/screenshots.py OUT_DIR
Runs under Xvfb with a window manager (DISPLAY set) or offscreen, at a 1280×720 window. Data
goes to a throwaway WEBHOOK_INSPECTOR_HOME. Signed samples from the app's own catalogue
(`inspector.core.samples`) are sent to its receiver, some with a wrong secret, plus a Meta batch
(statuses and a message in one POST); one request is replayed twice to a local handler on
127.0.0.1 that answers 200, then 500. Writes main-window.png, main-window-dark.png,
replays-tab.png, edit-dialog.png, compare.png and settings.png, then runs itself again with the
receiver's port already taken for banner-dark.png. Each PNG is optimised with optipng when it
is installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SIZE = (1280, 720)
# (provider, event, signed with the right secret)
SAMPLES = [
    ("meta", "text", True),
    ("meta", "status.sent", True),
    ("waha", "message", True),
    ("github", "push", True),
    ("meta", "reaction", False),
    ("stripe", "customer.created", True),
    ("waha", "message.ack", True),
    ("meta", "status.failed", True),
    ("standard", "user.created", False),
    ("meta", "button", True),
    ("vesper", "message.received", True),
    ("waha", "message", False),
    ("meta", "status.read", True),
    ("github", "ping", True),
]
NAMES = (
    "main-window.png",
    "main-window-dark.png",
    "banner-dark.png",
    "edit-dialog.png",
    "replays-tab.png",
    "compare.png",
    "settings.png",
)
"""The files this script writes."""
BATCH_AFTER = 12
"""The Meta batch is sent after this sample (so it shows near the top of the table)."""
SHOWN = ("waha", "message")
"""The sample shown in the detail pane, the edit dialog and the Replays tab."""


def secret_rules() -> tuple[object, ...]:
    """A secret rule per sample provider, with the demo secret its samples are signed with."""
    from inspector.core.config import SecretRule
    from inspector.core.samples import DEMO_SECRETS, SCHEMES

    return tuple(SecretRule(f"/webhook/{name}", SCHEMES[name], secret, name)
                 for name, secret in DEMO_SECRETS.items())  # fmt: skip


def meta_batch() -> object:
    """One Meta POST with three statuses and an incoming text (as Meta batches them)."""
    from dataclasses import replace

    from inspector.core import samples
    from inspector.core.signatures import sign_request

    def value(event: str) -> dict[str, object]:
        request = samples.build_sample("meta", event)
        body: dict[str, object] = json.loads(request.body)
        return body["entry"][0]["changes"][0]["value"]  # type: ignore[index, no-any-return]

    base = samples.build_sample("meta", "status.sent")
    body = json.loads(base.body)
    batch = body["entry"][0]["changes"][0]["value"]
    for event in ("status.delivered", "status.read"):
        batch["statuses"] += value(event)["statuses"]
    text = value("text")
    batch["contacts"], batch["messages"] = text["contacts"], text["messages"]
    request = replace(base, body=json.dumps(body, separators=(",", ":")).encode())
    return sign_request(request, samples.SCHEMES["meta"], samples.DEMO_SECRETS["meta"])


def send_all(url: str) -> None:
    """Send the samples (and the Meta batch after the third) to the receiver at `url`."""
    from inspector.core import samples

    for number, (provider, event, right) in enumerate(SAMPLES):
        secret = samples.DEMO_SECRETS[provider] + ("" if right else "-old")
        request = samples.build_sample(provider, event, secret=secret)
        asyncio.run(samples.send_sample(request, f"{url}/webhook/{provider}"))
        if number == BATCH_AFTER:
            asyncio.run(samples.send_sample(meta_batch(), f"{url}/webhook/meta"))  # type: ignore[arg-type]
        time.sleep(0.12)
    asyncio.run(samples.send_sample(samples.build_sample(*SHOWN), f"{url}/webhook/waha"))


class Handler(BaseHTTPRequestHandler):
    """A local webhook handler: the first replay is accepted, the next ones fail."""

    answered = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Handler.answered += 1
        ok = Handler.answered == 1
        body = b'{"ok":true}' if ok else b'{"error":"duplicate message id"}'
        self.send_response(200 if ok else 500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def local_handler() -> str:
    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook"


def make_home(home: Path | None) -> Path:
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    home = home or Path(tempfile.mkdtemp(prefix="inspector-shots-"))
    os.environ["WEBHOOK_INSPECTOR_HOME"] = str(home)
    return home


def run_steps(window: object, plan: list[tuple[Callable[[], object], str]],
              ready: Callable[[], bool], out: Path) -> None:  # fmt: skip
    """Run each step once `ready()`, wait, then save what it returned (or the window)."""
    from PySide6.QtCore import QTimer

    pending: list[tuple[str, object]] = []

    def next_step() -> None:
        if not ready():
            QTimer.singleShot(200, next_step)
            return
        if pending:
            name, shown = pending.pop()
            shown.grab().save(str(out / name))  # type: ignore[attr-defined]
            if shown is not window:
                shown.close()  # type: ignore[attr-defined]
            print(f"saved {out / name}")
        if not plan:
            window.close()  # type: ignore[attr-defined]
            return
        action, name = plan.pop(0)
        pending.append((name, action() or window))
        QTimer.singleShot(1200, next_step)

    QTimer.singleShot(800, next_step)


def main_shots(out: Path, home: Path) -> None:
    from PySide6.QtCore import QItemSelectionModel, QTimer

    from inspector.core.config import Settings
    from inspector.gui import app as app_module
    from inspector.gui.widgets.detail_pane import REPLAYS
    from inspector.gui.main_window import SettingsDialog
    from inspector.gui.models.request_model import IdRole

    target = local_handler()
    settings = Settings(db_path=home / "history.db", port=0, secrets=secret_rules(),  # type: ignore[arg-type]
                        replay_target=target)  # fmt: skip
    app = app_module.make_application()
    bridge, window = app_module.start(settings, home / "settings.json")
    window.resize(*SIZE)
    total = len(SAMPLES) + 2
    sent: list[bool] = []

    def ready() -> bool:
        if bridge.service.url and not sent:
            sent.append(True)
            threading.Thread(target=send_all, args=(bridge.service.url,), daemon=True).start()
        return window.model.rowCount() >= total

    def select(*rows: int) -> None:
        window.follow_button.setChecked(False)
        window.table.selectRow(rows[0])
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows[1:]:
            window.table.selectionModel().select(window.model.index(row, 0), flags)
        window.table.setFocus()

    def shown_id() -> int:
        return int(window.model.index(0, 0).data(IdRole))

    def two_waha() -> tuple[int, int]:
        model = window.model
        rows = [r for r in range(model.rowCount()) if model.index(r, 3).data() == "waha"
                and model.index(r, 4).data() == "message"]  # fmt: skip
        return rows[0], rows[1]

    def light() -> None:
        select(*two_waha())
        window.detail.tabs.setCurrentIndex(0)
        window.replay_ids([shown_id()])
        QTimer.singleShot(600, lambda: window.replay_ids([shown_id()]))

    def replays() -> None:
        select(0)
        window.detail.tabs.setCurrentIndex(REPLAYS)
        window.detail.replays.table.selectRow(1)  # the 500 above stays red

    def edit() -> object:
        dialog = window.edit_and_resend(shown_id())
        return dialog

    def compare() -> object:
        select(*two_waha())
        window.compare_selected()
        return window.detail.compare_dialogs()[-1]

    def settings_dialog() -> object:
        dialog = SettingsDialog(bridge.service.settings, window, store=bridge.store)
        dialog.tabs.setCurrentIndex(SettingsDialog.SECRETS)
        dialog.show()
        return dialog

    def dark() -> None:
        window.set_theme("dark")
        select(*two_waha())
        window.detail.tabs.setCurrentIndex(0)

    plan = [(light, "main-window.png"), (replays, "replays-tab.png"), (edit, "edit-dialog.png"),
            (compare, "compare.png"), (settings_dialog, "settings.png"),
            (dark, "main-window-dark.png")]  # fmt: skip
    run_steps(window, plan, ready, out)
    window.closed.connect(app.quit)
    app.exec()
    bridge.stop()


def banner_shot(out: Path, home: Path) -> None:
    """The dark theme with the "receiver not listening" banner: the port is already taken."""
    from PySide6.QtCore import QSettings

    from inspector.core.config import Settings
    from inspector.gui import app as app_module

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    settings = Settings(db_path=home / "history.db", host="127.0.0.1", port=port,
                        secrets=secret_rules())  # type: ignore[arg-type]  # fmt: skip
    app = app_module.make_application()
    QSettings().setValue("view/theme", "dark")
    bridge, window = app_module.start(settings, home / "settings.json")
    window.resize(*SIZE)

    def select() -> None:
        window.follow_button.setChecked(False)
        window.table.selectRow(1)
        window.table.setFocus()

    def ready() -> bool:
        return window.model.rowCount() > 0 and window.receiver_banner.isVisible()

    run_steps(window, [(select, "banner-dark.png")], ready, out)
    window.closed.connect(app.quit)
    app.exec()
    bridge.stop()
    taken.close()


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    if "--banner" in sys.argv:
        home = make_home(Path(sys.argv[sys.argv.index("--banner") + 1]))
        banner_shot(out, home)
        return
    home = make_home(None)
    main_shots(out, home)
    subprocess.run([sys.executable, __file__, str(out), "--banner", str(home)], check=True)
    if shutil.which("optipng"):  # lossless, keeps each file well under 300 KB
        subprocess.run(["optipng", "-quiet", "-o2", *(str(out / name) for name in NAMES)],
                       check=True)  # fmt: skip


if __name__ == "__main__":
    main()
