from __future__ import annotations

from inspector.core import filters
from inspector.gui.models.request_model import Where
from inspector.gui.widgets.filter_bar import DEBOUNCE_MS, FilterBar
from tests.gui.conftest import OFFSCREEN_NOISE

pytestmark = OFFSCREEN_NOISE


def make(qtbot) -> FilterBar:
    bar = FilterBar()
    qtbot.addWidget(bar)
    return bar


def test_typing_is_debounced_into_one_filter(qtbot) -> None:
    bar = make(qtbot)
    emitted: list[Where] = []
    bar.filterChanged.connect(emitted.append)
    with qtbot.waitSignal(bar.filterChanged, timeout=DEBOUNCE_MS * 5):
        qtbot.keyClicks(bar.edit, "provider:meta")
    qtbot.wait(DEBOUNCE_MS + 50)
    assert len(emitted) == 1
    expected = filters.compile_filter("provider:meta")
    assert emitted[0].where == f"({expected.where})"
    assert emitted[0].params == tuple(expected.params)


def test_chips_are_ored_within_a_group_and_anded_across(qtbot) -> None:
    bar = make(qtbot)
    bar.provider_chips["meta"].setChecked(True)
    bar.provider_chips["waha"].setChecked(True)
    bar.sig_chips["invalid"].setChecked(True)
    assert bar.current == Where(
        "provider IN (?,?) AND sig_status IN (?)", ("meta", "waha", "invalid"), ""
    )
    bar.sig_chips["invalid"].setChecked(False)
    assert bar.current.where == "provider IN (?,?)"


def test_chips_combine_with_the_typed_filter(qtbot) -> None:
    bar = make(qtbot)
    bar.edit.setText("provider:meta")
    bar.apply()
    bar.sig_chips["valid"].setChecked(True)
    typed = filters.compile_filter("provider:meta")
    assert bar.current.where == f"({typed.where}) AND sig_status IN (?)"
    assert bar.current.params == (*typed.params, "valid")


def test_error_keeps_the_last_good_filter(qtbot) -> None:
    bar = make(qtbot)
    bar.edit.setText("provider:meta")
    bar.apply()
    good = bar.current
    bar.edit.setText("nosuchfield:x")
    bar.apply()
    assert bar.error.isVisibleTo(bar)
    assert "Filter error" in bar.error.text()
    assert bar.current == good
    bar.edit.setText("")
    bar.apply()
    assert not bar.error.isVisibleTo(bar)
    assert bar.current.where == ""


def test_completion_replaces_the_word_under_the_cursor(qtbot) -> None:
    bar = make(qtbot)
    bar.edit.setText("method:POST prov")
    bar._insert_completion("provider:")
    assert bar.edit.text() == "method:POST provider:"
    assert bar.edit.cursorPosition() == len("method:POST provider:")


def test_completions_come_from_the_filter_module(qtbot) -> None:
    bar = make(qtbot)
    bar.edit.setText("pro")
    bar.edit.setCursorPosition(3)
    bar._update_completions()
    assert bar._words.stringList() == list(filters.completions("pro", 3))
