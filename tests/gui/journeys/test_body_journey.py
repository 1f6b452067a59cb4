"""Journey: a 2 MB single-line JSON body (a media payload with a base64 field) in the detail
pane, then "Show all".

It used to show only "{" ("1 lines") before Show all, and Show all froze the window for about
80 s (one multi-megabyte line laid out with word wrap in one go). The figures are measured in
benchmarks/body_view.py; this test checks the structure that keeps the window responsive: the
cut view pretty-prints what it shows, formatting happens off the GUI thread, long lines are
folded, and the view holds one page at a time (Previous/Next page move through them) while a
10 ms heartbeat keeps ticking.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer

from inspector.core import bodies
from inspector.gui.bridge import CoreBridge
from inspector.gui.main_window import MainWindow
from inspector.gui.widgets.body_view import FOLD_WIDTH, PAGE_CHARS, TEXT_PAGE, BodyView
from tests.gui.conftest import OFFSCREEN_NOISE, make_record
from tests.gui.journeys.app_window import open_window

pytestmark = OFFSCREEN_NOISE


def media_body(size: int) -> bytes:
    data = base64.b64encode(random.Random(1).randbytes(size * 3 // 4)).decode()
    payload = {"event": "messages.upsert", "instance": "phone", "mimetype": "image/jpeg",
               "data": data, "caption": "holiday"}  # fmt: skip
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.fixture
def window(qtbot, bridge: CoreBridge) -> Iterator[MainWindow]:
    body = media_body(2_000_000)
    assert body.count(b"\n") == 0
    assert bridge.store is not None
    bridge.store.insert_many([make_record("/evolution", provider="evolution", body=body)])
    win = open_window(qtbot, bridge)
    yield win
    win.close()


def test_show_all_on_a_2mb_single_line_body(qtbot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.model.rowCount() == 1)
    window.table.selectRow(0)
    view: BodyView = window.detail.body
    qtbot.waitUntil(lambda: view.display() is not None and not view.busy, timeout=20_000)
    cut = view.text.toPlainText()
    assert view.show_all_button.isVisible()
    assert cut.startswith('{\n  "event": "messages.upsert",\n  "instance": "phone",')
    assert cut.count("\n") >= 4  # not just "{"
    assert '"data": "' in cut
    assert "1 lines" not in view.note.text()

    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    heartbeat.start()
    qtbot.mouseClick(view.show_all_button, Qt.MouseButton.LeftButton)
    assert view.busy  # the click returned before the text was there: formatted off the thread
    qtbot.waitUntil(lambda: not view.busy, timeout=60_000)
    display = view.display()
    assert display is not None
    assert not display.truncated
    assert view.stack.currentIndex() == TEXT_PAGE
    count = view.page_count()
    assert count > 1
    assert view.page_label.text().startswith(f"page 1 of {count:,} (lines 1–")
    pages = [view.text.toPlainText()]
    longest = 0
    while view.next_button.isEnabled():  # a person paging through it
        document = view.text.document()
        assert document.characterCount() <= PAGE_CHARS + 1  # one page, never the whole text
        longest = max(longest, *(document.findBlockByNumber(n).length()
                                 for n in range(document.blockCount())))  # fmt: skip
        qtbot.mouseClick(view.next_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
        pages.append(view.text.toPlainText())
    heartbeat.stop()

    assert len(pages) == count
    assert view.page_label.text().startswith(f"page {count:,} of {count:,} (lines ")
    assert longest <= FOLD_WIDTH + 1  # no multi-megabyte line to lay out
    text = "\n".join(pages)
    assert text.replace("\n", "") == display.text.replace("\n", "")  # folded, nothing lost
    assert text.endswith('"caption": "holiday"\n}')
    qtbot.mouseClick(view.previous_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert view.text.toPlainText() == pages[-2]
    assert len(ticks) > 1  # the heartbeat kept ticking meanwhile
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    print(f"heartbeat: {len(ticks)} ticks, longest gap {max(gaps) * 1000:.0f} ms "
          f"({count} pages; not asserted: see benchmarks/body_view.py)")  # fmt: skip
    assert len(text) > bodies.DISPLAY_CAP
