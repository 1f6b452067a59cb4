"""GUI test setup: every test gets its own data folder and its own QSettings ini file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QModelRoleData,
    QModelRoleDataSpan,
    QSettings,
)
from PySide6.QtGui import QIcon, Qt, QTextDocument  # QtGui's Qt has mightBeRichText

from inspector.core.config import HOME_ENV, Settings
from inspector.core.models import (
    CapturedRequest,
    Derived,
    Event,
    SigStatus,
    Verification,
)
from inspector.core.store import Record, Store
from inspector.gui.bridge import CoreBridge

OFFSCREEN_NOISE = pytest.mark.qt_log_ignore(
    "This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)"
)
"""The offscreen platform warns about window features it lacks (main windows, popups)."""


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> Iterator[Path]:
    """No test reads or writes the real user's data, settings or Qt settings."""
    home = tmp_path / "home"
    monkeypatch.setenv(HOME_ENV, str(home))
    QCoreApplication.setOrganizationName("WebhookInspectorTests")
    QCoreApplication.setApplicationName("gui-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))
    yield home
    QSettings().clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "history.db", port=0)


def make_record(
    path: str = "/webhook",
    *,
    provider: str = "meta",
    event_type: str = "message.text",
    summary: str = "hello",
    sig: SigStatus = SigStatus.VALID,
    body: bytes = b'{"a":1}',
    headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
    event_id: str = "",
    refused: str | None = None,
    status: int = 200,
) -> Record:
    """A stored-request record with the given derived columns."""
    request = CapturedRequest(
        method="POST", path=path, headers=(("Host", "127.0.0.1:1"), *headers), body=body,
        received_at_ns=time.time_ns(), refused=refused,
    )  # fmt: skip
    events = (Event(provider, event_type, summary, event_id),)
    return Record(request, Derived(provider, events, Verification(sig)), status)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    opened = Store.open(settings.db_path)
    yield opened
    opened.close()


def rendered(tooltip: str) -> str:
    """What Qt displays for a tooltip string (rich text when Qt takes it for rich text)."""
    doc = QTextDocument()
    if Qt.mightBeRichText(tooltip):
        doc.setHtml(tooltip)
    else:
        doc.setPlainText(tooltip)
    return doc.toPlainText()


def fill(store: Store, count: int, **kwargs: object) -> list[int]:
    """Insert `count` records (path /hook/N) and return their ids."""
    records = [make_record(f"/hook/{n}", **kwargs) for n in range(count)]  # type: ignore[arg-type]
    return store.insert_many(records)


@pytest.fixture
def bridge(qtbot, settings: Settings) -> Iterator[CoreBridge]:
    """A real core on a temporary database, listening on a free port."""
    core = CoreBridge(replace(settings))
    with qtbot.waitSignal(core.started, timeout=10_000) as blocker:
        core.start()
    assert blocker.args == [""]
    yield core
    core.stop()


VIEW_ROLES = tuple(Qt.ItemDataRole(role) for role in (6, 7, 9, 10, 1, 0, 8))
"""The roles QStyledItemDelegate asks for in one multiData call to paint a cell: font,
alignment, foreground, check state, decoration, display, background."""


def assert_painted_as_data_says(model: QAbstractItemModel) -> None:
    """`multiData` answers every role a view paints with as `data` does, in every cell, and
    clears a role it has no value for (a view reuses one span for every cell)."""
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role in VIEW_ROLES:
                item = QModelRoleData(role)
                item.setData("left from the cell painted before")
                model.multiData(index, QModelRoleDataSpan(item))
                expected = model.data(index, role)
                if isinstance(expected, QIcon):
                    assert item.data().cacheKey() == expected.cacheKey(), (row, column, role)
                else:
                    assert item.data() == expected, (row, column, role)
