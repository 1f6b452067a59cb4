"""Help > Keyboard shortcuts and Help > Filter language: in-app plain text, kept in step with
the README's tables (this test fails when the two drift apart)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QPlainTextEdit

from inspector.gui.dialogs import help as app_help
from inspector.gui.main_window import MainWindow
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.test_main_window import open_window

pytestmark = OFFSCREEN_NOISE
README = Path(__file__).resolve().parents[3] / "README.md"


def readme_table(header: str) -> tuple[tuple[str, ...], ...]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(tuple(cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])))
    return tuple(rows)


def test_the_help_tables_are_the_readme_tables() -> None:
    assert readme_table("| key | does |") == app_help.SHORTCUTS
    assert readme_table("| term | matches |") == app_help.FILTER_TERMS
    assert app_help.FILTER_INTRO.replace("\n", " ") in " ".join(
        README.read_text(encoding="utf-8").split("\n"))  # fmt: skip


def menu_action(window: MainWindow, menu_title: str, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == menu_title)
    return next(a for a in menu.actions() if a.text() == text)


@pytest.mark.parametrize(("entry", "topic", "expected"), [
    ("Keyboard shortcuts", "shortcuts", ["Ctrl+Z", "End", "Del", "right click"]),
    ("Filter language", "filter", ["provider:meta", "status>=400", "parentheses combine"]),
])  # fmt: skip
def test_help_menu_opens_plain_text(qtbot, bridge, entry, topic, expected) -> None:
    window = open_window(qtbot, bridge)
    menu_action(window, "&Help", entry).trigger()
    dialog = window.findChild(QDialog, f"help-{topic}")
    assert dialog is not None
    assert dialog.isVisible()
    assert dialog.windowTitle() == entry
    text = dialog.findChild(QPlainTextEdit).toPlainText()
    for word in expected:
        assert word in text
    assert "`" not in text
    assert "|" not in text.replace("||", "")
    dialog.close()
    window.close()
