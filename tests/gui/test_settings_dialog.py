from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QFileDialog, QLabel, QLineEdit, QMessageBox

from inspector.core.config import SecretRule, Settings
from inspector.core.models import ResponseSpec
from inspector.core.responses import parse_rule_option
from inspector.core.store import Store
from inspector.gui.dialogs.settings import SettingsDialog
from inspector.gui.dialogs.settings import secrets as sd
from inspector.gui.dialogs.settings.data import retention_victims
from inspector.gui.dialogs.settings.fields import SecretEdit, SizeEdit
from inspector.gui.dialogs.settings.secrets import CUSTOM, scheme_problem
from tests.gui.conftest import fill

CUSTOM_SPEC = "hmac:header=X-Signature;alg=sha512;enc=base64;prefix=v1="
RICH = Settings(
    host="0.0.0.0",
    port=9123,
    max_body=512 * 1024,
    response=ResponseSpec(202, (("Content-Type", "text/plain"), ("X-Test", "1")), b"ok", 250),
    rules=(
        parse_rule_option("path:/slow/* method:POST=500,200:delay=1500ms",
                          ResponseSpec(202, (("X-Rule", "yes"),), b"{}")),
        parse_rule_option("path:/fail*=close", ResponseSpec(202, body=b"boom")),
    ),
    secrets=(
        SecretRule("/webhook/meta", "meta", "app-secret", "meta"),
        SecretRule("/custom", CUSTOM_SPEC, "k3y"),
    ),
    verify_token="tok",
    keep_last=5000,
    keep_days=7.5,
)


def dialog_for(qtbot, settings: Settings, **kwargs) -> SettingsDialog:
    dialog = SettingsDialog(settings, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def test_tabs_and_a_round_trip_keep_every_field(qtbot, tmp_path: Path) -> None:
    settings = replace(RICH, db_path=tmp_path / "h.db", replay_target="http://x:1/keep")
    dialog = dialog_for(qtbot, settings)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles == ["Receiver", "Responses", "Secrets", "Data"]
    assert dialog.settings() == settings
    assert dialog.max_body.unit.currentText() == "KB"
    assert dialog.max_body.number.value() == 512


def test_apply_to_keeps_fields_the_dialog_does_not_edit(qtbot) -> None:
    dialog = dialog_for(qtbot, RICH)
    dialog.port.setValue(1234)
    changed_meanwhile = replace(RICH, replay_target="http://elsewhere:9/x")
    new = dialog.apply_to(changed_meanwhile)
    assert new.port == 1234
    assert new.replay_target == "http://elsewhere:9/x"


@pytest.mark.parametrize(
    ("host", "warned"),
    [("127.0.0.1", False), ("localhost", False), ("::1", False), ("0.0.0.0", True),
     ("192.168.1.5", True)],
)  # fmt: skip
def test_bind_address_warning(qtbot, host: str, warned: bool) -> None:
    dialog = dialog_for(qtbot, Settings())
    dialog.host.setText(host)
    assert dialog.host_warning.isHidden() != warned
    if warned:
        assert host in dialog.host_warning.text()


def test_size_edit_units() -> None:
    edit = SizeEdit(10 * 1024 * 1024)
    assert (edit.number.value(), edit.unit.currentText()) == (10, "MB")
    edit.set_size(1536)
    assert (edit.number.value(), edit.unit.currentText()) == (1536, "bytes")
    edit.unit.setCurrentIndex(2)
    edit.number.setValue(3)
    assert edit.size_bytes() == 3 * 1024**2


def test_body_limit_over_2_gb_is_refused_next_to_the_field(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings())
    dialog.tabs.setCurrentIndex(dialog.DATA)
    dialog.max_body.unit.setCurrentIndex(3)
    dialog.max_body.number.setValue(3)
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.tabs.currentIndex() == dialog.RECEIVER
    assert not dialog.max_body_error.isHidden()
    assert "2 GB" in dialog.max_body_error.text()


def test_empty_host_is_refused_and_nothing_is_lost(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings())
    dialog.port.setValue(4321)
    dialog.host.setText("  ")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert not dialog.host_error.isHidden()
    assert dialog.port.value() == 4321
    dialog.host.setText("127.0.0.1")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.host_error.isHidden()


def test_bad_default_header_line_is_refused(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings())
    dialog.headers.setPlainText("Content-Type: application/json\nno colon here")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.tabs.currentIndex() == dialog.RESPONSES
    assert dialog.headers_error.text().startswith("Line 2:")


def test_secret_is_masked_with_a_show_toggle(qtbot) -> None:
    edit = SecretEdit("hunter2")
    qtbot.addWidget(edit)
    assert edit.edit.echoMode() == QLineEdit.EchoMode.Password
    edit.toggle.click()
    assert edit.edit.echoMode() == QLineEdit.EchoMode.Normal
    assert edit.toggle.text() == "Hide"
    edit.toggle.click()
    assert edit.edit.echoMode() == QLineEdit.EchoMode.Password


def test_secrets_table_never_shows_the_secret(qtbot) -> None:
    dialog = dialog_for(qtbot, RICH)
    texts = [dialog.secrets.item(r, c).text() for r in range(2) for c in range(4)]
    assert "app-secret" not in texts
    assert "k3y" not in texts
    assert dialog.secrets.item(0, sd.SECRET_VALUE).text() == sd.SECRET_DOTS
    assert dialog.secrets.item(1, sd.SECRET_SCHEME).text() == CUSTOM_SPEC


def test_custom_scheme_selected_for_an_hmac_spec(qtbot) -> None:
    dialog = dialog_for(qtbot, RICH)
    dialog.secrets.selectRow(1)
    assert dialog.secret_scheme.currentData() == CUSTOM
    assert dialog.secret_spec.text() == CUSTOM_SPEC
    assert not dialog.secret_spec.isHidden()
    dialog.secrets.selectRow(0)
    assert dialog.secret_spec.isHidden()
    assert dialog.secret_provider.currentData() == "meta"


def test_new_secret_with_custom_hmac_spec(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings())
    dialog.add_secret()
    dialog.secret_path.setText("/hooks/acme")
    dialog.secret_provider.setCurrentIndex(dialog.secret_provider.findData("github"))
    dialog.secret_scheme.setCurrentIndex(dialog.secret_scheme.findData(CUSTOM))
    dialog.secret_spec.setText("hmac:header=X-Acme-Sig")
    dialog.secret_value.setText("s3cret")
    assert dialog.settings().secrets == (
        SecretRule("/hooks/acme", "hmac:header=X-Acme-Sig", "s3cret", "github"),
    )


def test_invalid_custom_spec_shows_the_registry_error_plainly(qtbot) -> None:
    dialog = dialog_for(qtbot, Settings())
    dialog.add_secret()
    dialog.secret_value.setText("x")
    dialog.secret_scheme.setCurrentIndex(dialog.secret_scheme.findData(CUSTOM))
    dialog.secret_spec.setText("hmac:alg=sha256")
    expected = scheme_problem("hmac:alg=sha256")
    assert expected is not None
    assert "header=<signature header name> is required" in expected
    assert not dialog.secret_spec_error.isHidden()  # live, while typing
    assert dialog.secret_spec_error.text() == expected
    dialog.tabs.setCurrentIndex(dialog.RECEIVER)
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.tabs.currentIndex() == dialog.SECRETS
    assert dialog.secret_spec_error.text() == f"Secret 1: {expected}"
    assert dialog.secret_spec.text() == "hmac:alg=sha256"  # nothing lost


@pytest.mark.parametrize(
    ("path", "secret", "label", "message"),
    [("webhook", "x", "secret_path_error", "must start with /"),
     ("/webhook", "", "secret_value_error", "enter the secret")],
)  # fmt: skip
def test_bad_secret_rows_are_refused(qtbot, path, secret, label, message) -> None:
    dialog = dialog_for(qtbot, RICH)
    dialog.add_secret()
    dialog.secret_path.setText(path)
    dialog.secret_value.setText(secret)
    dialog.secrets.selectRow(0)  # the problem row is selected again when refused
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.secrets.currentRow() == 2
    error = getattr(dialog, label)
    assert not error.isHidden()
    assert error.text().startswith("Secret 3: ")
    assert message in error.text()


def test_verify_token_is_masked_and_optional(qtbot) -> None:
    dialog = dialog_for(qtbot, RICH)
    assert dialog.verify_token.edit.echoMode() == QLineEdit.EchoMode.Password
    dialog.verify_token.setText("")
    assert dialog.settings().verify_token is None


def test_retention_fields_are_optional(qtbot) -> None:
    dialog = dialog_for(qtbot, RICH)
    assert dialog.keep_last.isEnabled()
    dialog.keep_last_check.setChecked(False)
    dialog.keep_days_check.setChecked(False)
    assert not dialog.keep_last.isEnabled()
    new = dialog.settings()
    assert (new.keep_last, new.keep_days) == (None, None)
    assert "never silent" in " ".join(
        label.text() for label in dialog.findChildren(QLabel)
    )  # fmt: skip


def test_open_folder_opens_the_database_folder(qtbot, tmp_path: Path) -> None:
    dialog = dialog_for(qtbot, Settings(db_path=tmp_path / "data" / "h.db"))
    opened: list[QUrl] = []
    dialog.open_url = opened.append
    dialog.open_folder_button.click()
    assert opened == [QUrl.fromLocalFile(str(tmp_path / "data"))]
    assert dialog.db_path.isReadOnly()


def test_a_new_database_file_is_for_the_next_start(qtbot, tmp_path: Path, monkeypatch) -> None:
    current = tmp_path / "h.db"
    dialog = dialog_for(qtbot, Settings(db_path=current))
    assert dialog.next_db_label.isHidden()
    chosen = tmp_path / "other.db"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), ""))
    dialog.choose_db_button.click()
    assert dialog.next_db_path == chosen
    assert str(chosen) in dialog.next_db_label.text()
    assert not dialog.next_db_label.isHidden()
    assert dialog.settings().db_path == current  # the running app keeps its file
    dialog.keep_db_button.click()
    assert dialog.next_db_path is None


def test_a_foreign_database_is_refused(qtbot, tmp_path: Path) -> None:
    foreign = tmp_path / "other-app.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    dialog = dialog_for(qtbot, Settings(db_path=tmp_path / "h.db"))
    assert not dialog.set_next_db(foreign)
    assert dialog.next_db_path is None
    assert "another program" in dialog.db_error.text()
    assert dialog.set_next_db(tmp_path / "fresh.db")


def test_retention_that_deletes_now_asks_first(qtbot, store: Store, monkeypatch) -> None:
    fill(store, 10)
    assert retention_victims(store, 3, None) == 7
    assert retention_victims(store, None, 1.0) == 0
    assert retention_victims(store, 20, None) == 0
    dialog = dialog_for(qtbot, Settings(db_path=store.path), store=store)
    dialog.keep_last_check.setChecked(True)
    dialog.keep_last.setValue(3)
    asked: list[str] = []

    def answer(choice):
        def question(_parent, _title, text, *_args):
            asked.append(text)
            return choice

        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert "7 stored requests will be deleted now" in asked[0]
    assert dialog.keep_last.value() == 3
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Ok))
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
