"""Row 5 (deep JSON, invalid UTF-8, 0xff in a header, 10,000 headers: stored, shown as
raw/hex with a note, no crash or hang in the viewer) and row 6 (markup and a canary <img> in
every field is shown as text; the canary server gets zero hits)."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from inspector.core.bodies import Kind, describe
from inspector.core.models import StoredRequest
from inspector.gui.bridge import CoreBridge
from inspector.gui.widgets.detail_pane import DetailPane
from tests.gui.conftest import OFFSCREEN_NOISE, bridge, isolated, make_record, settings  # noqa: F401
from tests.gui.test_detail_pane import settled, visible_texts
from tests.gui.test_main_window import insert, open_window, select_rows
from tests.reliability.conftest import StartService, raw_exchange

DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE = {
    "deep-json": (b"Content-Type: application/json\r\n", DEEP),
    "invalid-utf8": (b"Content-Type: text/plain\r\n", b"caf\xc3 \xff\xfe\x80 end"),
    "0xff-header": (b"X-Bin: \xff\xfe\x00\r\n".replace(b"\x00", b""), b"{}"),
    "10000-headers": (b"".join(b"X-H-%d: v\r\n" % n for n in range(10_000)), b"{}"),
}


async def store_raw(svc, head: bytes, body: bytes) -> StoredRequest:  # type: ignore[no-untyped-def]
    request = (b"POST /hostile HTTP/1.1\r\nHost: localhost\r\n" + head
               + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)  # fmt: skip
    answer = await raw_exchange(svc.receiver.port, request)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:60]
    await svc.settled()
    [row] = svc.store.page(limit=1)
    stored = svc.store.get(row.id)
    assert stored is not None
    return stored


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_request_is_stored_and_described_with_a_note(
    start_service: StartService, figure, case: str
) -> None:
    svc = await start_service()
    head, body = HOSTILE[case]
    started = time.monotonic()
    stored = await store_raw(svc, head, body)
    assert stored.request.body == body
    display = describe(stored.request.body, stored.request.header("Content-Type") or "")
    took = time.monotonic() - started
    if case == "deep-json":
        assert display.kind is not Kind.JSON, display
        assert display.notes, display
    if case == "invalid-utf8":
        assert display.kind is Kind.BINARY
        assert display.notes
    if case == "0xff-header":
        assert stored.request.header("X-Bin") == "\xff\xfe"
    if case == "10000-headers":
        assert len(stored.request.headers) == 10_003  # Host, 10,000, Content-Length, Connection
    figure(f"{case}: stored ({len(stored.request.headers)} headers, {len(body)} B), viewer "
           f"{display.kind.value}, note {display.notes[:1]!r}, {took * 1000:.0f} ms")  # fmt: skip


def as_stored(head: bytes, body: bytes) -> StoredRequest:
    """What the receiver stores for these bytes: header lines read as Latin-1."""
    from tests.gui.test_detail_pane import make_stored

    lines = [line.decode("latin-1").split(": ", 1) for line in head.split(b"\r\n") if line]
    return make_stored(headers=tuple((n, v) for n, v in lines), body=body)


@OFFSCREEN_NOISE
@pytest.mark.usefixtures("isolated")
@pytest.mark.parametrize("case", list(HOSTILE))
def test_detail_pane_shows_hostile_request_without_hanging(qtbot, figure, case: str) -> None:
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.resize(900, 600)
    pane.show()
    started = time.monotonic()
    pane.show_request(as_stored(*HOSTILE[case]))
    settled(qtbot, pane)
    took = time.monotonic() - started
    assert took < 10
    shown = pane.body.text.toPlainText()
    figure(f"{case}: shown in {took * 1000:.0f} ms; body view starts {shown[:40]!r}")


# --- markup and the canary ----------------------------------------------------------------


class Canary:
    """A loopback HTTP server counting every request it gets."""

    def __init__(self) -> None:
        self.hits = 0
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.hits += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def canary() -> Iterator[Canary]:
    with Canary() as server:
        yield server


@OFFSCREEN_NOISE
def test_markup_and_canary_image_are_plain_text_everywhere(
    qtbot, bridge: CoreBridge, canary: Canary, figure, tmp_path: Path  # noqa: F811
) -> None:
    markup = f'<b>x</b><img src=http://127.0.0.1:{canary.port}/canary><a href="qrc:/">a</a>'
    window = open_window(qtbot, bridge)
    # one through the real receiver (path, header, body) and one with a markup summary
    request = urllib.request.Request(
        f"{window.receiver_url.rstrip('/')}/{markup.replace(' ', '%20')}",
        data=markup.encode(), method="POST",
        headers={"Content-Type": "text/html", "X-Markup": markup},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    insert(bridge, [make_record(f"/{markup}", summary=markup, body=markup.encode(),
                                headers=(("X-Markup", markup),))])  # fmt: skip
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    model = window.model
    cells = []
    for row in range(2):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            cells.append(str(model.data(index) or ""))
            tooltip = model.data(index, Qt.ItemDataRole.ToolTipRole)
            assert "<img" not in str(tooltip or "").replace("&lt;img", "") or (
                Qt.mightBeRichText(str(tooltip)) is False
            ), tooltip
    assert any(markup in cell for cell in cells)
    for row in range(2):
        select_rows(window, row)
        settled(qtbot, window.detail)
        pane = window.detail
        texts = [*visible_texts(pane), *pane.headers.model.lines(), pane.body.text.toPlainText()]
        assert any(markup in text for text in texts), texts
    labels = window.findChildren(QLabel)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels), [
        label.text() for label in labels if label.textFormat() != Qt.TextFormat.PlainText]
    assert not any("canary" in b.text() for b in window.findChildren(QAbstractButton))
    for widget in window.findChildren(QWidget):
        assert "<img" not in widget.toolTip() or not Qt.mightBeRichText(widget.toolTip())
    qtbot.wait(300)  # give any renderer a chance to fetch the image
    window.close()
    assert canary.hits == 0
    figure(f"{len(cells)} table cells, {len(labels)} labels (all PlainText), "
           f"canary hits {canary.hits}")
