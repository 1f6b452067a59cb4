"""Take the README screenshots of a retry sequence and of the status bar with a tunnel.

Usage: python packaging/retry_tunnel_screenshots.py OUT_DIR
Runs under Xvfb with a window manager (DISPLAY set) or offscreen, at a 1280×720 window, with a
throwaway WEBHOOK_INSPECTOR_HOME. Two response rules answer a Meta status 500, 500, then 200 and
a WAHA message by closing the connection, then 200; each sample is sent until it gets its 200,
then "Simulate an outage" is turned on (retry-sequence.png). The outage is turned off and a
quick tunnel started from the status bar's Tunnel control, with the stand-in cloudflared of
tests/standins first on PATH: nothing reaches the internet (tunnel.png). Each PNG is optimised
with optipng when it is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))

from screenshots import SIZE, make_home, run_steps, secret_rules  # noqa: E402

RULES = ("provider:meta event:statuses*=500,500,200", "provider:waha event:message=close,200")
SENT = (("meta", "status.sent", 3), ("waha", "message", 2))
"""(provider, event, times sent): until each gets the 200 of its rule."""
NAMES = ("retry-sequence.png", "tunnel.png")


def send_retries(url: str) -> None:
    """Send each sample as often as its retry sequence needs (the same event id each time)."""
    from inspector.core import samples

    for provider, event, times in SENT:
        request = samples.build_sample(provider, event)
        for _ in range(times):
            # the "close" step ends the connection unanswered
            with contextlib.suppress(Exception):
                asyncio.run(samples.send_sample(request, f"{url}/webhook/{provider}"))


def standin_path(home: Path) -> None:
    """Put the stand-in cloudflared first on PATH."""
    from tests.standins import install

    folder = home / "standin-bin"
    install(folder, "cloudflared")
    os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ.get('PATH', '')}"


def shots(out: Path, home: Path) -> None:
    from inspector.core.config import Settings
    from inspector.core.responses import parse_rule_option
    from inspector.gui import app as app_module

    settings = Settings(db_path=home / "history.db", port=0, secrets=secret_rules(),  # type: ignore[arg-type]
                        rules=tuple(parse_rule_option(rule) for rule in RULES))  # fmt: skip
    app = app_module.make_application()
    bridge, window = app_module.start(settings, home / "settings.json")
    window.resize(*SIZE)
    total = sum(times for _, _, times in SENT)
    sent: list[bool] = []
    control = window.desktop.tunnel

    def ready() -> bool:
        if bridge.service.url and not sent:
            sent.append(True)
            threading.Thread(target=send_retries, args=(bridge.service.url,), daemon=True).start()
        return window.model.rowCount() >= total

    def outage() -> None:
        window.follow_button.setChecked(False)
        window.table.selectRow(0)
        window.table.setFocus()
        window.responses.action.setChecked(True)

    def start_tunnel() -> None:
        window.responses.action.setChecked(False)
        control._fill_menu()  # what opening the Tunnel menu does
        [start] = [a for a in control.menu.actions() if a.text().startswith("Start cloudflared")]
        start.trigger()

    run_steps(window, [(outage, "retry-sequence.png"), (start_tunnel, "tunnel.png")],
              lambda: ready() and (not control.running or bool(control.url)), out)  # fmt: skip
    window.closed.connect(app.quit)
    app.exec()
    bridge.stop()


def main() -> None:
    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = make_home(Path(tempfile.mkdtemp(prefix="inspector-shots-")))
    standin_path(home)
    shots(out, home)
    if shutil.which("optipng"):
        subprocess.run(["optipng", "-quiet", "-o2", *(str(out / name) for name in NAMES)],
                       check=True)  # fmt: skip


if __name__ == "__main__":
    main()
