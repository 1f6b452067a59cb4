"""Body view benchmark: big single-line JSON bodies shown in the app's BodyView (offscreen).

Three bodies, each on one line as senders post them: 2 MB of small JSON objects, 20 MB of
small JSON objects, and a 20 MB JSON object whose "data" field is one base64 string (a media
payload, as Evolution API and WAHA send them). For each, the view is opened on the body (the
cut view: the first 256 KiB, pretty-printed), then "Show all" is clicked, then another small
body is opened (the big text is dropped, piece by piece: the step lasts until it is gone).
Figures per step:

- first paint: from the action to the first paint of the text (or tree) view showing its result;
- filled: until the whole text is in the view (it goes in piece by piece);
- heartbeat: the longest gap between ticks of a 10 ms QTimer on the GUI thread during the
  step [target < 100 ms: the window never freezes longer than that].

Last line: RESULT json2mb_show_all_first_paint_ms=... json2mb_show_all_heartbeat_ms=... (the
same for json20mb and base64_20mb, and for the cut view) heartbeat_max_ms=...
"""

from __future__ import annotations

import base64
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import result_line
from _qt import Heartbeat, pump_while
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication

from inspector.gui.widgets.body_view import BodyView

MB = 1_000_000
TIMEOUT = 300.0


def records_json(size: int) -> bytes:
    """A JSON array of small customer records on one line, at least `size` bytes."""
    items, total, n = [], 2, 0
    while total < size:
        item = {"id": n, "name": f"customer {n}", "email": f"c{n}@example.com",
                "amount": 10.5 + n % 7, "tags": ["new", "vip"], "active": n % 3 == 0}  # fmt: skip
        items.append(item)
        total += len(json.dumps(item, separators=(",", ":"))) + 1
        n += 1
    return json.dumps(items, separators=(",", ":")).encode()


def media_json(size: int) -> bytes:
    """A media webhook whose "data" field is base64, `size` bytes in all."""
    head = {"event": "messages.upsert", "instance": "bench", "mimetype": "image/jpeg"}
    raw = random.Random(7).randbytes(size * 3 // 4)
    head["data"] = base64.b64encode(raw).decode()[: size - 100]
    return json.dumps(head, separators=(",", ":")).encode()


class Paints(QObject):
    """When the view's text area was first painted after `expect()`."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.at: float | None = None

    def expect(self) -> None:
        self.armed, self.at = True, None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.armed and event.type() == QEvent.Type.Paint:
            self.armed, self.at = False, time.perf_counter()
        return False


def draining(view: BodyView) -> bool:
    """A big text left behind is still being emptied piece by piece."""
    return bool(view.filler.findChildren(QTextDocument))


def step(view: BodyView, paints: Paints, heartbeat: Heartbeat,
         action: Callable[[], None]) -> tuple[float, float, float]:  # fmt: skip
    """(first paint ms, filled ms, longest heartbeat gap ms) of one action on the view."""
    armed = [False]

    def applied() -> None:
        if not armed[0]:
            armed[0] = True
            paints.expect()

    view.formatted.connect(applied)
    heartbeat.arm()
    started = time.perf_counter()
    action()
    pump_while(lambda: view.busy or paints.at is None or draining(view), TIMEOUT, every_ms=5)
    filled = time.perf_counter()
    gap = heartbeat.disarm()
    view.formatted.disconnect(applied)
    first = (paints.at or filled) - started
    return first * 1000, (filled - started) * 1000, gap * 1000


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = BodyView()
    view.resize(1000, 700)
    view.show()
    paints = Paints()
    for page in (view.text, view.tree):  # long JSON opens as a tree
        page.viewport().installEventFilter(paints)
    heartbeat = Heartbeat()
    pump_while(lambda: False, 0.2)
    cases = (("json2mb", records_json(2 * MB)), ("json20mb", records_json(20 * MB)),
             ("base64_20mb", media_json(20 * MB)))  # fmt: skip
    figures: dict[str, float] = {}
    for name, body in cases:
        opened = step(view, paints, heartbeat, lambda b=body: view.set_body(b, "application/json"))
        cut_text = view.text.toPlainText()
        shown = step(view, paints, heartbeat, view.show_all_button.click)
        blocks = view.text.document().blockCount()
        left = step(view, paints, heartbeat, lambda: view.set_body(b'{"small":1}', "application/json"))
        print(f"{name} ({len(body) / MB:.1f} MB, one line): cut view: first paint "
              f"{opened[0]:.0f} ms, heartbeat max {opened[2]:.0f} ms, {len(cut_text):,} characters "
              f"on {cut_text.count(chr(10)) + 1:,} lines; Show all: first paint {shown[0]:.0f} ms, "
              f"all in the view after {shown[1]:.0f} ms ({blocks:,} "
              f"blocks), heartbeat max {shown[2]:.0f} ms; leaving it: heartbeat max "
              f"{left[2]:.0f} ms")  # fmt: skip
        figures[f"{name}_cut_first_paint_ms"] = opened[0]
        figures[f"{name}_show_all_first_paint_ms"] = shown[0]
        figures[f"{name}_show_all_filled_ms"] = shown[1]
        figures[f"{name}_heartbeat_ms"] = max(opened[2], shown[2], left[2])
    gap = max(value for key, value in figures.items() if key.endswith("heartbeat_ms"))
    print(f"GUI heartbeat (10 ms timer), longest gap over all steps: {gap:.0f} ms "
          "(target < 100 ms)")
    view.close()
    app.processEvents()
    print(result_line(**figures, heartbeat_max_ms=gap))


if __name__ == "__main__":
    main()
