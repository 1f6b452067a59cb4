"""Request > Check handler…: grade the user's own webhook handler (`inspector.core.check`).

The check runs on the core's loop (through the bridge); each result crosses to the GUI thread
as a queued signal and appears in the table at once. Every request it sends is stored (source
"check") and can be opened in the main window afterwards. The secret field is a password field;
the secret is never shown in the results or the report.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.core.check import (
    DEFAULT_BURST,
    CheckPlan,
    CheckResult,
    checkable_providers,
    configured_secret,
    make_plan,
    run_checks,
)
from inspector.core.providers import BY_NAME
from inspector.gui.bridge import CoreBridge
from inspector.gui.models.check_results import CHECK, DETAILS, REQUESTS, RESULT, CheckResultsModel
from inspector.gui.text import one_line, plain_label


class _Relay(QObject):
    """Carries results from the core thread to the GUI thread (a queued signal)."""

    result = Signal(object)


def report_text(plan: CheckPlan, results: list[CheckResult]) -> str:
    """The plain-text report Copy report puts on the clipboard."""
    lines = [f"Webhook Inspector check of {plan.target} as {plan.provider.title}", ""]
    lines += [result.line() for result in results]
    grades = [result.grade for result in results]
    counts = ", ".join(f"{grades.count(g)} {g}" for g in ("pass", "warn", "fail", "skipped"))
    lines += ["", f"{len(results)} checks: {counts}"]
    return "\n".join(lines) + "\n"


class CheckDialog(QDialog):
    """Provider, URL, secret, verify token, burst size; Run; the results as they come."""

    finished_run = Signal()

    def __init__(self, bridge: CoreBridge, parent: QWidget | None = None, *,
                 target: str = "") -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Check handler")
        self.bridge = bridge
        self.plan: CheckPlan | None = None
        self._future: concurrent.futures.Future[Any] | None = None
        self._relay = _Relay(self)
        self._relay.result.connect(self._on_result)
        self.model = CheckResultsModel(self)
        self._build(target)
        self.provider.currentIndexChanged.connect(self._provider_changed)
        self._provider_changed()

    def _build(self, target: str) -> None:
        self.provider = QComboBox(self)
        for name in checkable_providers():
            self.provider.addItem(BY_NAME[name].title, name)
        self.url = QLineEdit(target, self)
        self.url.setPlaceholderText("http://127.0.0.1:3000/webhook")
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.verify_token = QLineEdit(self)
        self.verify_token.setPlaceholderText("Meta only: checks the GET handshake")
        self.burst = QSpinBox(self)
        self.burst.setRange(1, 1000)
        self.burst.setValue(DEFAULT_BURST)
        form = QFormLayout()
        form.addRow("Provider", self.provider)
        form.addRow("Handler URL", self.url)
        form.addRow("Secret", self.secret)
        form.addRow("Verify token", self.verify_token)
        form.addRow("Burst size", self.burst)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(DETAILS, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(REQUESTS, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(CHECK, 200)
        self.table.setColumnWidth(RESULT, 60)
        self.status = plain_label("", self)
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.run_button = QPushButton("Run", self)
        self.run_button.setDefault(True)
        self.copy_button = QPushButton("Copy report", self)
        self.copy_button.setEnabled(False)
        buttons.addButton(self.run_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.run_button.clicked.connect(self.run)
        self.copy_button.clicked.connect(self.copy_report)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(1040, 600)

    def _provider_changed(self) -> None:
        name = str(self.provider.currentData())
        self.secret.setText(configured_secret(self.bridge.service.settings, name))
        self.secret.setPlaceholderText(f"default: the {name} demo secret (see the README)")
        self.verify_token.setEnabled(name == "meta")

    # running

    @property
    def running(self) -> bool:
        return self._future is not None and not self._future.done()

    def run(self) -> None:
        if self.running:
            return
        try:
            plan = make_plan(
                self.url.text(), str(self.provider.currentData()), self.secret.text(),
                verify_token=self.verify_token.text() if self.verify_token.isEnabled() else "",
                burst=self.burst.value(),
            )  # fmt: skip
        except ValueError as exc:
            self.status.setText(str(exc))
            return
        self.plan = plan
        self.model.clear()
        self.copy_button.setEnabled(False)
        self.run_button.setEnabled(False)
        self.status.setText(f"Checking {plan.target}…")
        emit = self._relay.result.emit
        self._future = self.bridge.run(
            _run(plan, self.bridge.service.record_sent, emit), self._done, self._failed
        )

    def _on_result(self, result: object) -> None:
        if isinstance(result, CheckResult):
            self.model.add(result)

    def _done(self, _: object = None) -> None:
        self.run_button.setEnabled(True)
        self.copy_button.setEnabled(bool(self.model.results))
        failed = sum(result.failed for result in self.model.results)
        self.status.setText(
            f"{failed} check{'s' * (failed != 1)} failed" if failed else "Nothing failed."
        )
        self.finished_run.emit()

    def _failed(self, error: BaseException) -> None:
        self._done()
        self.status.setText(f"The check stopped: {one_line(str(error) or type(error).__name__)}")

    def copy_report(self) -> None:
        if self.plan is not None:
            QGuiApplication.clipboard().setText(report_text(self.plan, self.model.results))

    def done(self, code: int) -> None:
        if self._future is not None and not self._future.done():
            self._future.cancel()
        super().done(code)


async def _run(plan: CheckPlan, record: Any, emit: Callable[[object], None]) -> None:
    async for result in run_checks(plan, record=record):
        emit(result)


def open_check_dialog(window: Any) -> None:
    """Open the dialog (modal) for the main window: its bridge and its toolbar's target."""
    dialog = CheckDialog(window.bridge, window, target=window.target_combo.target())
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.exec()
