"""The edit-and-resend dialog: edits reach the target, re-signing, refusals, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest
from aiohttp import web
from PySide6.QtCore import Qt

from inspector.core import signatures
from inspector.core.config import SecretRule, Settings
from inspector.core.models import CapturedRequest, ReplayAttempt, SigStatus, StoredRequest
from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs import replay_dialog as rd
from inspector.gui.dialogs.replay_dialog import ReplayDialog
from tests.gui.conftest import OFFSCREEN_NOISE, make_record

SECRET = "s3cret"
pytestmark = OFFSCREEN_NOISE


@dataclass
class Echo:
    """An aiohttp server on the core loop that records every request and echoes the body."""

    url: str = ""
    received: list[CapturedRequest] = field(default_factory=list)
    runner: web.AppRunner | None = None


async def start_echo(echo: Echo) -> None:
    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.raw_headers)
        echo.received.append(CapturedRequest(request.method, request.raw_path.split("?")[0],
                                             request.query_string, headers, body))  # fmt: skip
        return web.Response(status=201, body=b'{"echo":' + body + b"}",
                            headers={"X-Echo": "yes"})  # fmt: skip

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    echo.runner = web.AppRunner(app)
    await echo.runner.setup()
    site = web.TCPSite(echo.runner, "127.0.0.1", 0)
    await site.start()
    port = echo.runner.addresses[0][1]
    echo.url = f"http://127.0.0.1:{port}"


@pytest.fixture
def signed_bridge(qtbot, settings: Settings) -> Iterator[CoreBridge]:
    core = CoreBridge(replace(settings, secrets=(SecretRule("/webhook", "meta", SECRET),)))
    with qtbot.waitSignal(core.started, timeout=10_000):
        core.start()
    yield core
    core.stop()


@pytest.fixture
def echo(signed_bridge: CoreBridge) -> Iterator[Echo]:
    server = Echo()
    signed_bridge.thread.submit(start_echo(server)).result(10)
    yield server
    if server.runner is not None:
        signed_bridge.thread.submit(server.runner.cleanup()).result(10)


def stored_request(bridge: CoreBridge) -> StoredRequest:
    body = b'{"a":1}'
    request = CapturedRequest("POST", "/webhook", headers=(("Content-Type", "application/json"),),
                              body=body)  # fmt: skip
    signed = signatures.sign_request(request, "meta", SECRET)
    record = make_record("/webhook", body=body, headers=signed.headers)
    store = bridge.store
    assert store is not None
    [request_id] = store.insert_many([record])
    found = store.get(request_id)
    assert found is not None
    return found


def open_dialog(qtbot, bridge: CoreBridge, target: str) -> ReplayDialog:
    dialog = ReplayDialog(bridge, stored_request(bridge), target=target)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def send(qtbot, dialog: ReplayDialog) -> ReplayAttempt:
    with qtbot.waitSignal(dialog.attemptFinished, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    attempt = blocker.args[0]
    assert isinstance(attempt, ReplayAttempt)
    return attempt


def type_body(qtbot, dialog: ReplayDialog, text: str) -> None:
    dialog.body.edit.selectAll()
    dialog.body.edit.clear()
    qtbot.keyClicks(dialog.body.edit, text)


def test_edited_body_is_sent_and_re_signed(qtbot, signed_bridge, echo: Echo) -> None:
    dialog = open_dialog(qtbot, signed_bridge, echo.url)
    assert dialog.resign.isChecked()  # a secret is configured for /webhook
    assert dialog.scheme.currentData() == "meta"
    assert dialog.secret.echoMode() == dialog.secret.EchoMode.Password
    assert dialog.secret.text() == SECRET
    type_body(qtbot, dialog, '{"a": 2, "edited": true}')
    attempt = send(qtbot, dialog)
    [got] = echo.received
    assert got.body == b'{"a": 2, "edited": true}'
    assert signatures.verify_request(got, "meta", SECRET).status == SigStatus.VALID
    assert attempt.status == 201
    assert attempt.edited
    assert attempt.id is not None
    assert "201" in dialog.answer.status.text()
    assert dialog.answer.body.toPlainText() == '{"echo":{"a": 2, "edited": true}}'
    assert dialog.answer.headers.rowCount() >= 1
    assert signed_bridge.store.get_replay(attempt.id) is not None  # recorded


def test_wrong_signature_is_invalid(qtbot, signed_bridge, echo: Echo) -> None:
    dialog = open_dialog(qtbot, signed_bridge, echo.url)
    dialog.wrong.setChecked(True)
    send(qtbot, dialog)
    [got] = echo.received
    assert got.body == b'{"a":1}'
    assert signatures.verify_request(got, "meta", SECRET).status == SigStatus.INVALID


def test_headers_can_be_added_and_duplicated(qtbot, signed_bridge, echo: Echo) -> None:
    dialog = open_dialog(qtbot, signed_bridge, echo.url)
    dialog.resign.setChecked(False)
    rows = dialog.headers.table.rowCount()
    dialog.headers.set_row(rows, "X-Dup", "one")
    dialog.headers.set_row(rows + 1, "X-Dup", "two")
    qtbot.mouseClick(dialog.headers.add_button, Qt.MouseButton.LeftButton)  # empty: skipped
    send(qtbot, dialog)
    [got] = echo.received
    assert [v for k, v in got.headers if k == "X-Dup"] == ["one", "two"]


def test_line_break_in_a_header_is_refused(qtbot, signed_bridge, echo: Echo) -> None:
    dialog = open_dialog(qtbot, signed_bridge, echo.url)
    dialog.headers.set_row(dialog.headers.table.rowCount(), "X-Evil", "a\r\nInjected: yes")
    assert not dialog.send_button.isEnabled()
    assert dialog.problem.isVisibleTo(dialog)
    assert "line break" in dialog.problem.text()
    dialog.send()
    assert echo.received == []


def test_invalid_json_shows_line_and_column_but_can_be_sent(qtbot, signed_bridge, echo) -> None:
    dialog = open_dialog(qtbot, signed_bridge, echo.url)
    dialog.body.edit.setPlainText('{\n  "a": 1,\n  oops}')
    assert "line 3, column 3" in dialog.body.status.text()
    assert not dialog.body.pretty_button.isEnabled()
    assert dialog.send_button.isEnabled()
    type_body(qtbot, dialog, '{"a":1,"b":[1,2]}')
    qtbot.mouseClick(dialog.body.pretty_button, Qt.MouseButton.LeftButton)
    assert dialog.body.text() == '{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ]\n}'
    qtbot.mouseClick(dialog.body.compact_button, Qt.MouseButton.LeftButton)
    assert dialog.body.text() == '{"a":1,"b":[1,2]}'


def test_unchanged_body_keeps_the_original_bytes(qtbot, signed_bridge, echo: Echo) -> None:
    dialog = open_dialog(qtbot, signed_bridge, echo.url)
    assert dialog.body.body() == dialog.stored.request.body
    attempt = send(qtbot, dialog)
    assert attempt.fidelity_ok is True


def test_unreachable_target_shows_the_error(qtbot, signed_bridge) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dialog = open_dialog(qtbot, signed_bridge, f"http://127.0.0.1:{port}")
    attempt = send(qtbot, dialog)
    assert attempt.status is None
    assert attempt.error
    assert "connection refused" in dialog.answer.status.text()


def test_bad_target_is_explained_before_sending(qtbot, signed_bridge) -> None:
    dialog = open_dialog(qtbot, signed_bridge, "ftp://example.com")
    assert not dialog.send_button.isEnabled()
    assert "http://" in dialog.problem.text()


def test_markup_in_the_answer_is_plain_text(qtbot, signed_bridge) -> None:
    view = rd.AnswerView()
    qtbot.addWidget(view)
    view.show_attempt(ReplayAttempt(1, "http://x", 0, error="<b>boom</b>"))
    assert view.status.textFormat() == Qt.TextFormat.PlainText
    assert view.status.text() == "<b>boom</b>"


def test_helpers() -> None:
    assert rd.json_problem('{"a":1}') is None
    assert rd.json_problem('{"a":}') == "line 1, column 6: Expecting value"
    assert rd.split_target("/a?b=1") == ("/a", "b=1")
    assert rd.latin1_header("café") == "caf\xc3\xa9"
    assert rd.display_header("caf\xc3\xa9") == "café"
    ok = ReplayAttempt(1, "t", 0, status=200, latency_ms=14.2)
    assert rd.attempt_summary(ok) == "→ 200 in 14 ms"
    assert rd.attempt_summary(ReplayAttempt(1, "t", 0, error="refused")) == "failed: refused"


def test_dialog_fits_a_laptop_screen_and_gives_the_body_the_height(
    qtbot, signed_bridge, echo: Echo
) -> None:
    dialog = open_dialog(qtbot, signed_bridge, echo.url)
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= screen.width()
    assert dialog.height() <= screen.height()
    assert dialog.url_preview.wordWrap()  # the path rule wraps instead of widening the dialog
    assert dialog.focusWidget() is dialog.body.edit
    headers, body, answer = dialog.sections.sizes()
    assert answer == 0
    assert body > headers
    send(qtbot, dialog)
    assert dialog.sections.sizes()[2] > 0


def test_a_long_target_shows_its_scheme_and_host(qtbot, settings: Settings) -> None:
    target = "http://127.0.0.1:3000/" + "very/long/path/" * 8
    combo = rd.TargetCombo(replace(settings, replay_target=target))
    qtbot.addWidget(combo)
    assert combo.target() == target
    assert combo.lineEdit().cursorPosition() == 0
