"""Row 11: importing (the drag-and-drop path) a FIFO, a symlink loop, a 5 GB sparse file and a
name with ../ is refused or read safely, before anything is read, and writes nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from inspector.core.formats import importing
from inspector.core.formats.importing import import_file
from inspector.gui.bridge import CoreBridge
from inspector.gui.dialogs import import_dialog
from inspector.gui.dialogs.import_dialog import ImportSummaryDialog
from tests.gui.conftest import OFFSCREEN_NOISE, bridge, isolated, settings  # noqa: F401
from tests.gui.test_main_window import drag_and_drop, open_window


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if not str(p.relative_to(root)).startswith(("home", "qs", "history.db"))}  # fmt: skip


def hostile_files(root: Path) -> dict[str, Path]:
    chosen = root / "chosen"
    (chosen / "sub").mkdir(parents=True)
    fifo = chosen / "pipe.json"
    os.mkfifo(fifo)
    loop = chosen / "loop.json"
    loop.symlink_to(chosen / "loop2.json")
    (chosen / "loop2.json").symlink_to(loop)
    sparse = chosen / "huge.json"
    with sparse.open("wb") as handle:
        os.truncate(handle.fileno(), 5 * 1024**3)  # 5 GB, no data blocks
    (chosen / "dots.json").write_text('{"x": 1}')
    return {"fifo": fifo, "symlink-loop": loop, "sparse-5GB": sparse,
            "dotdot": chosen / "sub" / ".." / "dots.json"}  # fmt: skip


def test_hostile_import_files_are_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figure
) -> None:
    files = hostile_files(tmp_path)
    before = tree(tmp_path)
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(importing.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    outcome = {}
    for name, path in files.items():
        reads.clear()
        started = time.monotonic()
        result = import_file(path)
        took = time.monotonic() - started
        assert took < 2, name
        if name == "dotdot":
            assert result.ok
            assert [r.body for r in result.requests] == [b'{"x": 1}']
        else:
            assert not result.ok, name
            assert not result.requests, name
            assert reads == [], f"{name} was read"
        outcome[name] = result.errors[0] if result.errors else f"imported {len(result.requests)}"
    assert "FIFO" in outcome["fifo"]
    assert "loop" in outcome["symlink-loop"]
    assert "too large" in outcome["sparse-5GB"]
    assert tree(tmp_path) == before  # nothing written anywhere
    assert os.stat(files["sparse-5GB"]).st_blocks == 0
    figure("; ".join(f"{k}: {v}" for k, v in outcome.items()))


@OFFSCREEN_NOISE
def test_dropping_hostile_files_on_the_window_refuses_them(
    qtbot, bridge: CoreBridge, tmp_path: Path, figure, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setattr(import_dialog, "ask_payload_path", lambda files, parent: "/import")
    files = hostile_files(tmp_path)
    before = tree(tmp_path)
    window = open_window(qtbot, bridge)
    try:
        assert drag_and_drop(window, list(files.values()))
        qtbot.waitUntil(lambda: window._import is None, timeout=15_000)
        summary = next(w for w in QApplication.topLevelWidgets()
                       if isinstance(w, ImportSummaryDialog) and w.isVisible())  # fmt: skip
        texts = [summary.table.item(r, 1).text() for r in range(summary.table.rowCount())]
        summary.close()
        store = bridge.store
        assert store is not None
        assert store.count() == 1  # only the ../ name, which is an ordinary file
        assert tree(tmp_path) == before
    finally:
        window.close()
    figure(f"drop of 4 files: {texts}; 1 row stored; nothing written")
