"""Body view benchmark: big single-line JSON bodies shown in the app's BodyView (offscreen).

Three bodies, each on one line as senders post them: 2 MB of small JSON objects, 20 MB of
small JSON objects, and a 20 MB JSON object whose "data" field is one base64 string (a media
payload, as Evolution API and WAHA send them). For each, the view is opened on the body (the
cut view: the first 256 KiB, pretty-printed), then "Show all" is clicked (the view shows the
first page of the text), then the text view is chosen (long JSON opens as a tree), "Next page"
is clicked three times, the last page is chosen in "Go to page", "Previous page" is clicked,
and another small body is opened. Figures per step:

- first paint: from the action to the first paint of the text (or tree) view showing its result;
- heartbeat: the longest gap between ticks of a 10 ms QTimer on the GUI thread during the
  step [target < 100 ms: the window never freezes longer than that].

Last line: RESULT json2mb_cut_first_paint_ms=... json2mb_show_all_first_paint_ms=...
json2mb_page_first_paint_ms=... (the slowest page step) json2mb_pages=... json2mb_heartbeat_ms=...
(the same for json20mb and base64_20mb) heartbeat_max_ms=...
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


def step(view: BodyView, paints: Paints, heartbeat: Heartbeat,
         action: Callable[[], None], at_once: bool = False) -> tuple[float, float, float]:  # fmt: skip
    """(first paint ms, done ms, longest heartbeat gap ms) of one action on the view. The
    paint counted is the first one after the formatting result arrived, or after the action
    when `at_once` (a page: the text area is not repainted until the page is in it)."""
    armed = [at_once]
    if at_once:
        paints.expect()

    def applied() -> None:
        if not armed[0]:
            armed[0] = True
            paints.expect()

    view.formatted.connect(applied)
    heartbeat.arm()
    started = time.perf_counter()
    action()
    pump_while(lambda: view.busy or paints.at is None, TIMEOUT, every_ms=5)
    filled = time.perf_counter()
    gap = heartbeat.disarm()
    view.formatted.disconnect(applied)
    first = (paints.at or filled) - started
    return first * 1000, (filled - started) * 1000, gap * 1000


def page_actions(view: BodyView) -> list[Callable[[], None]]:
    """Text view, Next page three times, the last page by "Go to page", Previous page."""
    last = view.page_count()

    def text_view() -> None:
        view.set_tree(False)
        view.text.viewport().update()  # painted even when the text was already showing

    def go_to_last() -> None:
        view.page_box.setValue(last)

    next_page = view.next_button.click
    return [text_view, next_page, next_page, next_page, go_to_last, view.previous_button.click]


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
        cut_pages = view.page_count()
        shown = step(view, paints, heartbeat, view.show_all_button.click)
        count = view.page_count()
        paging = [step(view, paints, heartbeat, act, True) for act in page_actions(view)]
        left = step(
            view, paints, heartbeat, lambda: view.set_body(b'{"small":1}', "application/json")
        )
        page_paint = max(first for first, _, _ in paging)
        page_gap = max(gap for _, _, gap in paging)
        print(f"{name} ({len(body) / MB:.1f} MB, one line): cut view: first paint "
              f"{opened[0]:.0f} ms, heartbeat max {opened[2]:.0f} ms, {cut_pages} pages; Show all: "
              f"first paint {shown[0]:.0f} ms, heartbeat max {shown[2]:.0f} ms, {count:,} pages; "
              f"page steps: slowest first paint {page_paint:.0f} ms, heartbeat max "
              f"{page_gap:.0f} ms; leaving it: heartbeat max {left[2]:.0f} ms")  # fmt: skip
        figures[f"{name}_cut_first_paint_ms"] = opened[0]
        figures[f"{name}_show_all_first_paint_ms"] = shown[0]
        figures[f"{name}_page_first_paint_ms"] = page_paint
        figures[f"{name}_pages"] = count
        figures[f"{name}_heartbeat_ms"] = max(opened[2], shown[2], page_gap, left[2])
    gap = max(value for key, value in figures.items() if key.endswith("heartbeat_ms"))
    print(
        f"GUI heartbeat (10 ms timer), longest gap over all steps: {gap:.0f} ms (target < 100 ms)"
    )
    view.close()
    app.processEvents()
    print(result_line(**figures, heartbeat_max_ms=gap))


if __name__ == "__main__":
    main()
