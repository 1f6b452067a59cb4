"""Take the README screenshots from the real app with real payloads.

Usage: python packaging/screenshots.py OUT_DIR [--dark]
Runs under Xvfb (DISPLAY set) or offscreen. Data goes to a temporary WEBHOOK_INSPECTOR_HOME.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests/fixtures/providers"
META_SECRET = "meta-app-secret"
WAHA_SECRET = "my-secret-key"
PAYLOADS = [
    ("/webhook/meta", "meta_message_text.json", "meta"),
    ("/webhook/meta", "meta_status_sent.json", "meta"),
    ("/webhook/meta", "meta_status_failed.json", "meta-wrong"),
    ("/waha/events", "waha_message.json", "waha"),
    ("/waha/events", "waha_message_ack.json", "waha"),
    ("/webhook/meta", "meta_message_reaction.json", "meta"),
    ("/gowa", "gowa_message_text.json", None),
    ("/greenapi", "greenapi_incoming_message_text.json", None),
    ("/webhook/meta", "meta_message_interactive_button_reply.json", "meta"),
    ("/webhook/meta", "meta_message_text.json", "meta"),
]


def signed_headers(kind: str | None, body: bytes) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if kind in ("meta", "meta-wrong"):
        key = META_SECRET if kind == "meta" else "not-the-secret"
        digest = hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = "sha256=" + digest
    elif kind == "waha":
        digest = hmac.new(WAHA_SECRET.encode(), body, hashlib.sha512).hexdigest()
        headers.update({"X-Webhook-Hmac": digest, "X-Webhook-Hmac-Algorithm": "sha512"})
    return headers


def send_all(url: str) -> None:
    for path, name, kind in PAYLOADS:
        body = (FIXTURES / name).read_bytes()
        request = urllib.request.Request(url + path, body, signed_headers(kind, body))
        urllib.request.urlopen(request, timeout=10).close()
        time.sleep(0.15)


def main() -> None:
    out = Path(sys.argv[1])
    dark = "--dark" in sys.argv
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb" if os.environ.get("DISPLAY") else "offscreen")
    home = Path(tempfile.mkdtemp(prefix="inspector-shots-"))
    os.environ["WEBHOOK_INSPECTOR_HOME"] = str(home)

    from PySide6.QtCore import QTimer

    from inspector.core.config import SecretRule, Settings
    from inspector.gui import app as app_module

    settings = Settings(
        db_path=home / "history.db",
        port=0,
        secrets=(
            SecretRule("/webhook/meta", "meta", META_SECRET),
            SecretRule("/waha", "waha", WAHA_SECRET),
        ),
    )
    app = app_module.make_application()
    bridge, window = app_module.start(settings, home / "settings.json")
    window.resize(1400, 900)
    if dark:
        window.set_theme("dark")
    suffix = "-dark" if dark else ""

    def wait_for_url() -> None:
        url = bridge.service.url
        if not url:
            QTimer.singleShot(100, wait_for_url)
            return
        threading.Thread(target=send_all, args=(url,), daemon=True).start()
        QTimer.singleShot(len(PAYLOADS) * 150 + 1500, select_and_shoot)

    def select_and_shoot() -> None:
        window.table.selectRow(1)
        window.table.setFocus()
        QTimer.singleShot(800, shoot)

    def shoot() -> None:
        window.grab().save(str(out / f"main-window{suffix}.png"))
        window.close()

    QTimer.singleShot(200, wait_for_url)
    window.closed.connect(app.quit)
    app.exec()
    bridge.stop()
    print(f"saved {out / f'main-window{suffix}.png'}")


if __name__ == "__main__":
    main()
