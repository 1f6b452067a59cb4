"""The Settings dialog's Responses tab: the default response and the response rules."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inspector.core.config import ResponseRule, parse_headers
from inspector.core.models import Header, ResponseSpec
from inspector.core.responses import Tally
from inspector.gui.dialogs.settings.fields import Invalid, error_label
from inspector.gui.models.rules_model import RuleRowError
from inspector.gui.text import plain_label
from inspector.gui.widgets.responses_tab import ResponseRulesBox

MAX_DELAY_MS = 120_000
METHODS = ("", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def headers_text(headers: tuple[Header, ...]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


class ResponsesTab:
    """The Responses tab's part of SettingsDialog (a mixin: its widgets are the dialog's
    attributes, as the tests and the other tabs expect)."""

    def _responses_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        spec = self._settings.response
        default = QGroupBox("Default response", page)
        form = QFormLayout(default)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.status = QSpinBox(default)
        self.status.setRange(100, 599)
        self.status.setValue(spec.status)
        self.delay = QSpinBox(default)
        self.delay.setRange(0, MAX_DELAY_MS)
        self.delay.setSuffix(" ms")
        self.delay.setValue(spec.delay_ms)
        row = QHBoxLayout()
        row.addWidget(self.status)
        row.addSpacing(16)
        row.addWidget(plain_label("Delay:", default))
        row.addWidget(self.delay)
        row.addStretch(1)
        form.addRow("Status:", row)
        self.headers = QPlainTextEdit(headers_text(spec.headers), default)
        self.headers.setPlaceholderText("Name: value, one per line")
        self.headers.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        self.headers_error = error_label(default)
        form.addRow("Headers:", self.headers)
        form.addRow("", self.headers_error)
        self.body = QPlainTextEdit(spec.body.decode("utf-8", errors="replace"), default)
        self.body.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 14)
        form.addRow("Body:", self.body)
        layout.addWidget(default)
        self.rules_box = ResponseRulesBox(self._settings.rules, page)
        self.rules_error = self.rules_box.error
        self.rules_box.model.set_tallies(self.tallies)
        layout.addWidget(self.rules_box, 1)
        return page

    def set_tallies(self, tallies: tuple[Tally, ...]) -> None:
        """Show the response rules' latest counters."""
        self.tallies = tallies
        self.rules_box.model.set_tallies(tallies)

    def _response(self) -> ResponseSpec:
        try:
            headers = parse_headers(self.headers.toPlainText())
        except ValueError as exc:
            raise Invalid(str(exc), self.headers, self.headers_error, self.RESPONSES) from None
        body = self.body.toPlainText().encode("utf-8")
        return ResponseSpec(self.status.value(), headers, body, self.delay.value())

    def _rules(self, default: ResponseSpec) -> tuple[ResponseRule, ...]:
        try:
            return self.rules_box.model.rules(default)
        except RuleRowError as exc:
            self.rules_box.select(exc.row)
            raise Invalid(exc.message, self.rules_box.view, self.rules_error,
                          self.RESPONSES) from None  # fmt: skip
