from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtGui import Qt

from inspector.gui.text import (
    TOOLTIP_MAX,
    human_size,
    one_line,
    plain_label,
    plain_tooltip,
    short_time,
)
from tests.gui.conftest import rendered


@pytest.mark.parametrize(
    "text",
    ["plain words", "<b>bold</b><img src=x>", "a < b && c > d", "<qt>x</qt>", "line\n<i>2</i>",
     "<!DOCTYPE html><p>hi</p>", ""],
)  # fmt: skip
def test_tooltips_show_exactly_the_text(qapp, text: str) -> None:
    tooltip = plain_tooltip(text)
    assert rendered(tooltip) == text
    assert "<b>" not in tooltip
    assert "<img" not in tooltip


def test_long_tooltips_are_cut(qapp) -> None:
    assert len(plain_tooltip("x" * 10_000)) == TOOLTIP_MAX


def test_plain_label(qapp) -> None:
    label = plain_label("<b>x</b>")
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == "<b>x</b>"


def test_one_line() -> None:
    assert one_line("a\n b\t\tc ") == "a b c"
    assert one_line("x" * 10, limit=5) == "xxxx…"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1536, "1.5 KiB"),
     (10 * 1024**2, "10.0 MiB"), (500 * 1024**2, "500 MiB"), (3 * 1024**4, "3072 GiB")],
)  # fmt: skip
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


def test_short_time() -> None:
    noon = datetime(2024, 5, 1, 12, 0, 5)
    ns = int(noon.timestamp() * 1e9)
    assert short_time(ns, now=noon) == "12:00:05"
    assert short_time(ns, now=datetime(2024, 5, 2)) == "2024-05-01 12:00"

