"""Settings > Responses (gui/widgets/responses_tab.py) and how simulated failures show in the
views."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit

from inspector.core.config import Settings
from inspector.core.models import ResponseSpec, StoredRequest
from inspector.core.responses import ANSWER_NOTE, Tally, parse_rule_option
from inspector.core.store import Store
from inspector.gui.dialogs.settings import SettingsDialog
from inspector.gui.models import request_model as rm
from inspector.gui.models.rules_model import BODY, COUNTS, RULE, RulesModel
from inspector.gui.widgets.detail_pane import ResponseTab
from tests.gui.conftest import OFFSCREEN_NOISE, make_record, rendered

pytestmark = OFFSCREEN_NOISE

RULES = (
    parse_rule_option("provider:meta event:statuses*=500,500,200", ResponseSpec(body=b"no")),
    parse_rule_option("path:/webhook/waha method:POST=close"),
)


def dialog_for(qtbot, settings: Settings) -> SettingsDialog:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentIndex(dialog.RESPONSES)
    return dialog


def test_the_rules_model_passes_the_model_tester(qtmodeltester) -> None:
    model = RulesModel(RULES)
    qtmodeltester.check(model)
    model.add("=503")
    model.setData(model.index(2, RULE), "nonsense=")
    model.set_tallies((Tally(RULES[0].text, 5, (1, 0, 2)),))
    qtmodeltester.check(model)
    assert model.data(model.index(0, COUNTS)) == (
        "5 matched; event ids at step 1: 1, step 3 (last): 2"
    )
    assert model.data(model.index(1, COUNTS)) == "no match yet"
    assert model.data(model.index(2, COUNTS)) == "—"


def test_typing_a_rule_puts_it_in_the_model_and_the_settings(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings())
    dialog.show()
    qtbot.waitExposed(dialog)
    box = dialog.rules_box
    qtbot.mouseClick(box.add_button, Qt.MouseButton.LeftButton)
    editor = box.view.findChild(QLineEdit)
    assert editor is not None
    assert editor.isVisible()
    editor.selectAll()
    qtbot.keyClicks(editor, "provider:waha event:message=500, 500, 200")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits from the event loop
    typed = "provider:waha event:message=500, 500, 200"
    qtbot.waitUntil(lambda: box.model.data(box.model.index(0, RULE)) == typed)
    [rule] = dialog.settings().rules
    assert rule.filter == "provider:waha event:message"
    assert rule.text == "provider:waha event:message=500,500,200"
    box.view.setCurrentIndex(box.model.index(0, RULE))
    qtbot.mouseClick(box.remove_button, Qt.MouseButton.LeftButton)
    assert dialog.settings().rules == ()


def test_a_bad_rule_is_kept_marked_and_refused_on_ok(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings())
    model = dialog.rules_box.model
    model.add()
    model.setData(model.index(0, RULE), "path:/x=soon")
    assert model.data(model.index(0, RULE), Qt.ItemDataRole.ForegroundRole) is not None
    assert "unknown answer 'soon'" in model.data(model.index(0, RULE), Qt.ItemDataRole.ToolTipRole)
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.tabs.currentIndex() == dialog.RESPONSES
    assert dialog.rules_error.text().startswith("Rule 1: unknown answer 'soon'")
    assert model.rows[0].text == "path:/x=soon"  # nothing typed is lost


def test_rules_and_bodies_round_trip_through_the_dialog(qtbot) -> None:
    settings = Settings(rules=RULES)
    dialog = dialog_for(qtbot, settings)
    model = dialog.rules_box.model
    assert model.data(model.index(0, BODY)) == "no"
    assert dialog.settings() == settings
    model.setData(model.index(1, BODY), "gone")
    assert dialog.settings().rules[1].response.body == b"gone"


def test_counters_update_while_the_dialog_is_open(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings(rules=RULES))
    dialog.set_tallies((Tally(RULES[1].text, 3, (0,)),
                        Tally(RULES[0].text, 2, (1, 1, 0), (("<b>e2</b>", 2), ("e1", 1)))))
    model = dialog.rules_box.model
    assert model.data(model.index(1, COUNTS)) == "3 matched"
    tooltip = model.data(model.index(0, COUNTS), Qt.ItemDataRole.ToolTipRole)
    assert rendered(tooltip) == "Latest event ids:\n<b>e2</b>: step 2 of 3\ne1: step 1 of 3"


def held_and_closed(store: Store) -> list[int]:
    notes = ("held for 16 s, then closed without answer", "closed without answer")
    records = [replace(make_record(), response_status=None, response_headers=((ANSWER_NOTE, n),))
               for n in notes]  # fmt: skip
    return store.insert_many(records)


def test_the_table_says_what_we_answered_instead_of_a_status(qtbot, store: Store) -> None:
    held, closed = held_and_closed(store)
    rows = {row.id: row for row in store.page()}
    assert rm.cell_text(rows[held], rm.STATUS) == "held 16 s"
    assert rm.cell_text(rows[closed], rm.STATUS) == "closed"
    assert rm.cell_tooltip(rows[closed], rm.STATUS) == (
        "Our answer: closed without answer (a response rule)"
    )
    plain = store.insert_many([make_record(status=503)])[0]
    assert rm.cell_text(store.page()[0], rm.STATUS) == "503"
    assert store.page()[0].id == plain


def test_the_response_tab_says_no_answer_was_sent(qtbot, store: Store) -> None:
    _, closed = held_and_closed(store)
    stored = store.get(closed)
    assert isinstance(stored, StoredRequest)
    tab = ResponseTab()
    qtbot.addWidget(tab)
    tab.show_request(stored)
    assert tab.status.text() == "Status: none: closed without answer"
    assert tab.headers.model.rowCount() == 0


def test_a_broken_rule_from_the_settings_file_is_shown_marked(qtbot) -> None:
    from inspector.core.config import ResponseRule
    from inspector.core.responses import Step

    broken = ResponseRule("nosuch:1", steps=(Step(status=500),))
    dialog = dialog_for(qtbot, Settings(rules=(broken,)))
    model = dialog.rules_box.model
    assert "unknown field 'nosuch'" in model.data(model.index(0, RULE), Qt.ItemDataRole.ToolTipRole)
