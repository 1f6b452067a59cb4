"""The settings dialog: receiver, responses, secrets and data, one tab each.

The dialog edits a copy: `apply_to(settings)` returns `settings` with the edited fields
replaced (so a change the core made meanwhile, e.g. a remembered replay target, is kept).
Input that cannot be used is refused on OK with a plain message next to the field; the tab
with the problem is shown and nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from inspector.core.config import Settings
from inspector.core.responses import Tally
from inspector.core.store import Store
from inspector.gui.dialogs.settings.data import DataTab
from inspector.gui.dialogs.settings.fields import INVALID_FIELD, Invalid
from inspector.gui.dialogs.settings.receiver import ReceiverTab
from inspector.gui.dialogs.settings.responses import ResponsesTab
from inspector.gui.dialogs.settings.secrets import SecretsTab


class SettingsDialog(QDialog, ReceiverTab, ResponsesTab, SecretsTab, DataTab):
    """Edit receiver, responses, secrets and data settings.

    `next_db_path`: a database file already chosen for the next start (shown as pending).
    `store`: when given, OK asks before a retention change that deletes requests now.
    """

    RECEIVER, RESPONSES, SECRETS, DATA = range(4)

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *,
        next_db_path: Path | None = None, store: Store | None = None,
        tallies: tuple[Tally, ...] = (),
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.tallies = tallies
        """The response rules' counters when the dialog opened (see `set_tallies`)."""
        self.setWindowTitle("Settings")
        self._settings = settings
        self._store = store
        self._invalid: list[QWidget] = []
        self.next_db_path: Path | None = (
            next_db_path if next_db_path not in (None, settings.db_path) else None
        )
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._receiver_tab(), "Receiver")
        self.tabs.addTab(self._responses_tab(), "Responses")
        self.tabs.addTab(self._secrets_tab(), "Secrets")
        self.tabs.addTab(self._data_tab(), "Data")
        layout.addWidget(self.tabs, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(780, 640)

    def settings(self) -> Settings:
        """The edited settings (raises Invalid when some input cannot be used). `db_path` stays
        the current file; see `next_db_path`."""
        return self.apply_to(self._settings)

    def apply_to(self, base: Settings) -> Settings:
        """`base` with every field this dialog edits replaced by the edited value."""
        default = self._response()
        return replace(
            base,
            host=self._host(),
            port=self.port.value(),
            max_body=self._max_body(),
            response=default,
            rules=self._rules(default),
            secrets=self._secrets(),
            verify_token=self.verify_token.text() or None,
            keep_last=self.keep_last.value() if self.keep_last_check.isChecked() else None,
            keep_days=self.keep_days.value() if self.keep_days_check.isChecked() else None,
        )

    def accept(self) -> None:
        """Close with OK only when every field can be used (else say why, next to it)."""
        self._clear_marks()
        try:
            new = self.settings()
        except Invalid as problem:
            self.show_problem(problem)
            return
        if not self._confirm_retention(new):
            self.tabs.setCurrentIndex(self.DATA)
            return
        super().accept()

    def show_problem(self, problem: Invalid) -> None:
        self.tabs.setCurrentIndex(problem.tab)
        problem.label.setText(problem.message)
        problem.label.show()
        problem.field.setStyleSheet(INVALID_FIELD)
        self._invalid.append(problem.field)
        problem.field.setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_marks(self) -> None:
        for field in self._invalid:
            field.setStyleSheet("")
        self._invalid.clear()
        for label in (self.host_error, self.max_body_error, self.headers_error, self.rules_error,
                      self.secret_path_error, self.secret_value_error):  # fmt: skip
            label.hide()
        self._update_spec_field()


ReceiverDialog = SettingsDialog
"""The old name (the dialog used to edit only host and port)."""
