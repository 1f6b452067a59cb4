"""The check dialog's results model and report."""

from __future__ import annotations

from PySide6.QtCore import Qt

from inspector.core.check import CheckResult, make_plan
from inspector.gui.dialogs.check_dialog import CheckDialog, report_text
from inspector.gui.models.check_results import CheckResultsModel
from tests.gui.conftest import rendered
from tests.test_check_cli import handler  # noqa: F401  (the fixture)

RESULTS = [
    CheckResult("valid", "pass", "sent a correctly signed text event; answered 200 in 3 ms",
                (1,), 3.0),
    CheckResult("forged", "fail", "sent <b>x</b>\nline two; answered 200", (2, 3), 2.0),
    CheckResult("stale", "skipped", "skipped: meta signatures carry no timestamp"),
]  # fmt: skip


def test_the_results_model_passes_the_model_tester(qtmodeltester) -> None:
    model = CheckResultsModel()
    for result in RESULTS:
        model.add(result)
    qtmodeltester.check(model)
    assert [model.index(1, c).data() for c in range(4)] == [
        "Forged signature", "fail", "sent <b>x</b> line two; answered 200", "#2–#3"
    ]
    assert rendered(model.index(1, 2).data(3)) == RESULTS[1].message  # tooltip: plain text
    model.clear()
    assert model.rowCount() == 0


def test_the_report_is_plain_text_without_the_secret() -> None:
    plan = make_plan("http://127.0.0.1:9/hook", "meta", "my-app-secret-value")
    text = report_text(plan, RESULTS)
    assert text.splitlines()[0] == (
        "Webhook Inspector check of http://127.0.0.1:9/hook as Meta (WhatsApp Cloud API)"
    )
    assert "FAIL    Forged signature: sent <b>x</b> line two; answered 200" in text
    assert text.endswith("3 checks: 1 pass, 0 warn, 1 fail, 1 skipped\n")
    assert "my-app-secret-value" not in text


def test_bad_input_says_why_and_runs_nothing(qtbot, bridge) -> None:
    dialog = CheckDialog(bridge, target="ftp://example")
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert "only http:// and https://" in dialog.status.text()
    assert not dialog.running
    assert dialog.model.rowCount() == 0


def test_closing_the_dialog_mid_run_stops_the_check(qtbot, bridge, handler) -> None:  # noqa: F811
    url = handler("stripe", "hang-malformed")  # hangs on the malformed JSON check
    dialog = CheckDialog(bridge, target=url)
    qtbot.addWidget(dialog)
    dialog.provider.setCurrentIndex(dialog.provider.findData("stripe"))
    dialog.burst.setValue(2)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 8, timeout=30_000)  # before malformed
    assert dialog.running
    future = dialog._future
    dialog.reject()
    assert future is not None
    qtbot.waitUntil(future.done, timeout=10_000)
    assert future.cancelled()
    assert dialog.model.rowCount() == 8


def test_the_secret_defaults_to_the_settings_rule_of_the_provider(qtbot, tmp_path) -> None:
    from types import SimpleNamespace

    from inspector.core.config import SecretRule, Settings

    settings = Settings(db_path=tmp_path / "s.db", port=0,
                        secrets=(SecretRule("/", "stripe", "whsec_from_settings"),))  # fmt: skip
    core = SimpleNamespace(service=SimpleNamespace(settings=settings))  # only its settings are read
    dialog = CheckDialog(core)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.provider.setCurrentIndex(dialog.provider.findData("stripe"))
    assert dialog.secret.text() == "whsec_from_settings"
    assert dialog.secret.echoMode() == dialog.secret.EchoMode.Password
    dialog.provider.setCurrentIndex(dialog.provider.findData("meta"))
    assert dialog.secret.text() == ""
    assert dialog.verify_token.isEnabled()
