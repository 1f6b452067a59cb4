from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from inspector.core.store import Store
from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs import import_dialog as imp
from inspector.gui.dialogs.import_dialog import (
    FileOutcome,
    ImportJob,
    ImportRunner,
    ImportSummaryDialog,
    PayloadPathDialog,
    check_path,
    summary_text,
)
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE
FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "formats"


def paths_in(store: Store) -> list[str]:
    return [row[0] for row in store.reader().execute("SELECT path FROM requests ORDER BY id")]


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


def run_job(qtbot, job: ImportJob, payload_path: str = "/import") -> object:
    with qtbot.waitSignal(job.parsed, timeout=10_000):
        job.start()
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        job.store(payload_path)
    return blocker.args[0]


def test_job_reads_then_stores_every_format(qtbot, bridge: CoreBridge, tmp_path: Path) -> None:
    payload = tmp_path / "payload.json"
    payload.write_bytes(b'{"event": "x",  "n": 1}\n')
    files = [FORMATS / "browser.har", FORMATS / "requests.curl", payload]
    job = ImportJob(bridge, files)
    progress: list[tuple[int, int, str]] = []
    job.progressed.connect(lambda *args: progress.append(args))
    outcomes = run_job(qtbot, job, "/hooks/payloads")
    assert isinstance(outcomes, list)
    assert [o.format for o in outcomes] == ["har", "curl", "json"]
    assert [o.imported for o in outcomes] == [3, 5, 1]
    # the fixtures hold one broken entry each: named, and the rest imported anyway
    assert outcomes[0].errors == ("entry 4: request.url is not text",)
    assert outcomes[1].errors == ("command 4 (line 15): no URL",)
    assert outcomes[2].ok
    assert job.payload_files == [payload]
    store = bridge.store
    assert store is not None
    bridge.thread.submit(bridge.service.settled()).result(10)
    assert store.count() == sum(o.imported for o in outcomes)
    assert "/hooks/payloads" in paths_in(store)
    stored = store.get(store.last_id())
    assert stored is not None
    assert stored.request.body == payload.read_bytes()  # the exact bytes
    assert stored.request.source == "import"
    assert progress[-1][0] == progress[-1][1] == job.request_count


def test_bad_files_get_their_own_reason(qtbot, bridge: CoreBridge, tmp_path: Path) -> None:
    binary = tmp_path / "junk.bin"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    good = tmp_path / "good.json"
    good.write_bytes(b'{"ok": true}')
    files = [binary, empty, fifo, loop, tmp_path / "missing.json", tmp_path, good]
    outcomes = run_job(qtbot, ImportJob(bridge, files))
    assert isinstance(outcomes, list)
    reasons = [o.errors[0] if o.errors else "" for o in outcomes]
    assert "binary" in reasons[0]
    assert "empty" in reasons[1]
    assert "FIFO" in reasons[2]
    assert "symbolic link loop" in reasons[3]
    assert "no such file" in reasons[4]
    assert "directory" in reasons[5]
    assert outcomes[-1].ok
    assert outcomes[-1].imported == 1
    assert [o.imported for o in outcomes[:-1]] == [0] * 6


def test_cancelled_job_reports_it(qtbot, bridge: CoreBridge, tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(b"{}")
    job = ImportJob(bridge, [good])
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        job.start()
    assert isinstance(blocker.args[0], imp.ImportCancelled)


def test_summary_text() -> None:
    good, bad = FileOutcome(Path("a"), "har", 1), FileOutcome(Path("b"), "", 0, ("x",))
    part = FileOutcome(Path("c"), "curl", 2, ("y",))
    assert summary_text([good]) == "Imported 1 request from 1 file."
    assert summary_text([good, good]) == "Imported 2 requests from 2 files."
    assert summary_text([good, bad, part]) == (
        "Imported 3 requests from 2 of 3 files; 1 could not be imported and 1 only in part."
    )
    assert summary_text([bad]) == "Imported 0 requests from 0 of 1 file; 1 could not be imported."


def test_outcome_text() -> None:
    assert FileOutcome(Path("a.har"), "har", 3).text() == "imported 3 (HAR)"
    many = FileOutcome(Path("b"), "curl", 1, ("e1", "e2", "e3", "e4"))
    assert many.text() == "imported 1 (curl); e1; e2; e3; and 1 more"
    assert FileOutcome(Path("c"), "", 0, ("binary",)).text() == "binary"


def test_summary_lists_bad_files_in_plain_text(qtbot) -> None:
    outcomes = [
        FileOutcome(Path("/x/good.har"), "har", 4),
        FileOutcome(Path("/x/<img src=x>.json"), "", 0, ("not valid JSON: <i>oops</i>",)),
    ]
    dialog = ImportSummaryDialog(outcomes)
    qtbot.addWidget(dialog)
    headline = "Imported 4 requests from 1 of 2 files; 1 could not be imported."
    assert summary_text(outcomes) == headline
    assert dialog.table.rowCount() == 2
    assert dialog.table.item(1, 0).text() == "<img src=x>.json"
    assert dialog.table.item(1, 1).text() == "not valid JSON: <i>oops</i>"
    assert dialog.table.item(1, 1).foreground().color() == imp.RED
    labels = dialog.findChildren(QLabel)
    assert all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    dialog.copy_button.click()
    report = QGuiApplication.clipboard().text()
    assert "/x/<img src=x>.json: not valid JSON: <i>oops</i>" in report
    assert report.startswith("Imported 4 requests")


@pytest.mark.parametrize(
    ("text", "ok"), [("/import", True), ("import", False), ("/a b", False), ("/a?b=1", False)]
)
def test_check_path(text: str, ok: bool) -> None:
    assert (check_path(text) is None) == ok


def test_payload_path_is_remembered(qtbot) -> None:
    dialog = PayloadPathDialog([Path("a.json")])
    qtbot.addWidget(dialog)
    assert dialog.path.text() == "/import"
    dialog.path.setText("nope")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert not dialog.error.isHidden()
    dialog.path.setText("/hooks/from-file")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert QSettings().value(imp.PATH_KEY) == "/hooks/from-file"
    again = PayloadPathDialog([Path("b.json")])
    qtbot.addWidget(again)
    assert again.path.text() == "/hooks/from-file"


def test_runner_asks_the_path_only_for_payloads(qtbot, bridge: CoreBridge, parent: QWidget,
                                                tmp_path: Path) -> None:  # fmt: skip
    payload = tmp_path / "p.json"
    payload.write_bytes(b'{"x": 1}')
    asked: list[list[Path]] = []

    def ask(files, _parent):
        asked.append(list(files))
        return "/chosen"

    runner = ImportRunner(bridge, [FORMATS / "browser.har", payload], parent, ask_path=ask)
    with qtbot.waitSignal(runner.finished, timeout=10_000) as blocker:
        runner.start()
    assert asked == [[payload]]
    outcomes = blocker.args[0]
    assert [o.imported for o in outcomes] == [3, 1]
    store = bridge.store
    assert store is not None
    bridge.thread.submit(bridge.service.settled()).result(10)
    assert "/chosen" in paths_in(store)


def test_runner_cancelled_at_the_path_question_stores_nothing(
    qtbot, bridge: CoreBridge, parent: QWidget, tmp_path: Path
) -> None:
    payload = tmp_path / "p.json"
    payload.write_bytes(b'{"x": 1}')
    runner = ImportRunner(bridge, [payload], parent, ask_path=lambda *_: None)
    with qtbot.waitSignal(runner.finished, timeout=10_000) as blocker:
        runner.start()
    assert blocker.args == [[]]
    assert runner.error == "cancelled"
    assert bridge.store is not None
    assert bridge.store.count() == 0


def test_runner_shows_a_summary_when_a_file_is_bad(qtbot, bridge: CoreBridge, parent: QWidget,
                                                   tmp_path: Path) -> None:  # fmt: skip
    bad = tmp_path / "bad.json"
    bad.write_text('{"broken": ', "utf-8")
    runner = ImportRunner(bridge, [FORMATS / "requests.curl", bad], parent)
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start()
    assert runner.summary is not None
    assert runner.summary.isVisible()
    assert runner.summary.table.item(1, 1).text().startswith("not valid JSON")
    runner.summary.close()
