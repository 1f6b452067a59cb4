from __future__ import annotations

import json

from inspector.core.store import Store
from inspector.gui import export
from inspector.gui.bridge import CoreBridge
from inspector.gui.export import ExportJob
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
