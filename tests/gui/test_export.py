from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from inspector.core.store import Store
from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs import export
from inspector.gui.dialogs.export import MASK_TEXT, ExportChoice, ExportDialog, ExportJob
from tests.gui.conftest import make_record


def test_export_writes_every_request_and_reports_progress(qtbot, bridge: CoreBridge,
                                                          tmp_path) -> None:  # fmt: skip
    store = bridge.store
    assert isinstance(store, Store)
    store.insert_many([make_record(f"/n/{n}") for n in range(60)])
    job = ExportJob(bridge, store, tmp_path / "all.json", ndjson=False)
    progress: list[int] = []
    job.progressed.connect(progress.append)
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        job.start()
    assert blocker.args == [60, ""]
    assert len(json.loads((tmp_path / "all.json").read_text())["requests"]) == 60
    qtbot.waitUntil(lambda: progress == [25, 50])


def test_cancelled_export_removes_the_partial_file(qtbot, bridge: CoreBridge, tmp_path,
                                                   monkeypatch) -> None:  # fmt: skip
    store = bridge.store
    assert isinstance(store, Store)
    store.insert_many([make_record() for _ in range(10)])
    monkeypatch.setattr(export, "PROGRESS_EVERY", 1)
    job = ExportJob(bridge, store, tmp_path / "part.ndjson", ndjson=True)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        job.start()
    assert blocker.args == [0, "cancelled"]
    assert not (tmp_path / "part.ndjson").exists()


def stored_store(bridge: CoreBridge) -> Store:
    store = bridge.store
    assert isinstance(store, Store)
    return store


WHATSAPP = (b'{"entry":[{"changes":[{"value":{"contacts":[{"profile":{"name":"Sheena Nelson"},'
            b'"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1",'
            b'"text":{"body":"Does it come in another color?"},"type":"text"}]}}]}]}')  # fmt: skip


@pytest.mark.parametrize("fmt", ["json", "ndjson", "har"])
def test_mask_hides_phone_numbers_names_and_text(qtbot, bridge: CoreBridge, tmp_path,
                                                 fmt: str) -> None:  # fmt: skip
    store = stored_store(bridge)
    store.insert_many([make_record(body=WHATSAPP)])
    plain, masked = tmp_path / f"plain.{fmt}", tmp_path / f"masked.{fmt}"
    for path, mask in ((plain, False), (masked, True)):
        job = ExportJob(bridge, store, path, fmt=fmt, mask=mask)
        with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
            job.start()
        assert blocker.args == [1, ""]
    assert "Sheena Nelson" in plain.read_text()
    text = masked.read_text()
    for secret in ("Sheena Nelson", "16505551234", "another color", "wamid.HBgLMTY1"):
        assert secret not in text
    assert "*******1234" in text
    if fmt == "har":
        entry = json.loads(text)["log"]["entries"][0]
        assert entry["_webhookInspector"]["body_masked"] is True
    else:
        item = json.loads(text.splitlines()[0] if fmt == "ndjson" else text)
        item = item if fmt == "ndjson" else item["requests"][0]
        assert item["body_masked"] is True


def test_export_of_given_ids_oldest_first(qtbot, bridge: CoreBridge, tmp_path) -> None:
    store = stored_store(bridge)
    ids = store.insert_many([make_record(f"/n/{n}") for n in range(5)])
    job = ExportJob(bridge, store, tmp_path / "some.ndjson", fmt="ndjson", ids=[ids[3], ids[1]])
    with qtbot.waitSignal(job.finished, timeout=10_000) as blocker:
        job.start()
    assert blocker.args == [2, ""]
    lines = (tmp_path / "some.ndjson").read_text().splitlines()
    assert [json.loads(line)["path"] for line in lines] == ["/n/1", "/n/3"]


def test_curl_export(qtbot, bridge: CoreBridge, tmp_path) -> None:
    store = stored_store(bridge)
    store.insert_many([make_record("/hook")])
    job = ExportJob(bridge, store, tmp_path / "out.sh", fmt="curl")
    with qtbot.waitSignal(job.finished, timeout=10_000):
        job.start()
    assert "curl" in (tmp_path / "out.sh").read_text()


def test_unknown_format_is_refused(bridge: CoreBridge, tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown export format"):
        ExportJob(bridge, stored_store(bridge), tmp_path / "x", fmt="xml")


def test_dialog_offers_scopes_formats_and_masking(qtbot) -> None:
    dialog = ExportDialog({"selected": 0, "filtered": 3, "all": 10}, "provider:meta")
    qtbot.addWidget(dialog)
    assert not dialog.scope_buttons["selected"].isEnabled()
    assert dialog.scope_buttons["filtered"].isChecked()
    assert "provider:meta" in dialog.scope_buttons["filtered"].text()
    assert "(10)" in dialog.scope_buttons["all"].text()
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == [
        "json", "ndjson", "har", "curl"
    ]  # fmt: skip
    assert dialog.mask.text() == MASK_TEXT
    dialog.format.setCurrentIndex(2)
    dialog.mask.setChecked(True)
    dialog.scope_buttons["all"].setChecked(True)
    assert dialog.choice() == ExportChoice("all", "har", True)
    assert dialog.choice().suffix == "har"
    dialog.accept()
    again = ExportDialog({"selected": 2, "filtered": 10, "all": 10})
    qtbot.addWidget(again)
    assert again.choice() == ExportChoice("selected", "har", True)  # remembered


def test_dialog_with_nothing_to_export(qtbot) -> None:
    dialog = ExportDialog({"selected": 0, "filtered": 0, "all": 0})
    qtbot.addWidget(dialog)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
