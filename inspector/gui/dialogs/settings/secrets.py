"""The Settings dialog's Secrets tab: signature secrets per path, the Meta verify token."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.config import SecretRule
from inspector.core.providers import PROVIDERS
from inspector.core.signatures import SCHEMES, get_scheme
from inspector.gui.dialogs.settings.fields import (
    INVALID_FIELD,
    Invalid,
    SecretEdit,
    error_label,
    hint_label,
)
from inspector.gui.text import plain_label, plain_tooltip

CUSTOM = "custom"
"""userData of the scheme combo's "Custom HMAC…" entry."""
ANY_PROVIDER = ""
SECRET_DOTS = "••••••••"
SECRET_PATH, SECRET_PROVIDER, SECRET_SCHEME, SECRET_VALUE = range(4)
SECRET_HEADERS = ("Path prefix", "Provider", "Scheme", "Secret")


@dataclass
class SecretRow:
    """One secret rule as the dialog edits it (`scheme` is CUSTOM when `spec` holds it)."""

    path_prefix: str = "/webhook"
    provider: str = ANY_PROVIDER
    scheme: str = "meta"
    spec: str = ""
    secret: str = ""

    @classmethod
    def from_rule(cls, rule: SecretRule) -> SecretRow:
        custom = rule.scheme.strip().lower().startswith("hmac:")
        return cls(rule.path_prefix, rule.provider or ANY_PROVIDER,
                   CUSTOM if custom else rule.scheme, rule.scheme if custom else "",
                   rule.secret)  # fmt: skip

    @property
    def scheme_spec(self) -> str:
        return self.spec.strip() if self.scheme == CUSTOM else self.scheme

    def rule(self) -> SecretRule:
        return SecretRule(self.path_prefix.strip(), self.scheme_spec, self.secret,
                          self.provider or None)  # fmt: skip


def scheme_problem(spec: str) -> str | None:
    """Why a custom `hmac:` spec cannot be used, in the scheme registry's words (None: fine)."""
    text = spec.strip()
    if not text:
        return "Enter a custom scheme, e.g. hmac:header=X-Signature;alg=sha256;enc=hex"
    if not text.lower().startswith("hmac:"):
        return "A custom scheme starts with hmac: (e.g. hmac:header=X-Signature)"
    try:
        get_scheme(text)
    except ValueError as exc:
        return str(exc)
    return None


class SecretsTab:
    """The Secrets tab's part of SettingsDialog (a mixin: its widgets are the dialog's
    attributes, as the tests and the other tabs expect)."""

    def _secrets_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        self.secret_rows = [SecretRow.from_rule(rule) for rule in self._settings.secrets]
        self.secrets = QTableWidget(0, len(SECRET_HEADERS), page)
        self.secrets.setHorizontalHeaderLabels(list(SECRET_HEADERS))
        self.secrets.verticalHeader().hide()
        self.secrets.setWordWrap(False)
        self.secrets.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.secrets.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.secrets.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.secrets.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.secrets.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SECRET_SCHEME, QHeaderView.ResizeMode.Stretch)
        self.secrets.setColumnWidth(SECRET_PATH, 170)
        self.secrets.setColumnWidth(SECRET_PROVIDER, 100)
        self.secrets.setColumnWidth(SECRET_VALUE, 110)
        self.secrets.setMinimumHeight(self.secrets.verticalHeader().defaultSectionSize() * 4 + 30)
        layout.addWidget(self.secrets, 1)
        buttons = QHBoxLayout()
        self.add_secret_button = QPushButton("Add secret", page)
        self.add_secret_button.clicked.connect(self.add_secret)
        self.remove_secret_button = QPushButton("Remove", page)
        self.remove_secret_button.clicked.connect(self.remove_secret)
        buttons.addWidget(self.add_secret_button)
        buttons.addWidget(self.remove_secret_button)
        buttons.addSpacing(12)
        buttons.addWidget(hint_label(
            "A request is verified with the most specific rule whose path prefix matches "
            "(and whose provider matches, when one is set).", page), 1)  # fmt: skip
        layout.addLayout(buttons)
        layout.addWidget(self._secret_editor(page))
        token_box = QGroupBox("Meta verification handshake", page)
        token_form = QFormLayout(token_box)
        token_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.verify_token = SecretEdit(self._settings.verify_token or "", token_box)
        self.verify_token.setPlaceholderText("not set: the handshake is answered 403")
        token_form.addRow("Verify token:", self.verify_token)
        token_form.addRow(hint_label(
            "Answers Meta's GET ?hub.mode=subscribe with hub.challenge when hub.verify_token "
            "matches this token.", token_box))  # fmt: skip
        layout.addWidget(token_box)
        for index in range(len(self.secret_rows)):
            self._show_secret_row(index, insert=True)
        self.secrets.currentCellChanged.connect(lambda row, *_: self._load_secret(row))
        if self.secret_rows:
            self.secrets.selectRow(0)
        self._load_secret(self.secrets.currentRow())
        return page

    def _secret_editor(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Selected secret", parent)
        self.secret_box = box
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.secret_path = QLineEdit(box)
        self.secret_path.setPlaceholderText("/webhook")
        self.secret_path_error = error_label(box)
        form.addRow("Path prefix:", self.secret_path)
        form.addRow("", self.secret_path_error)
        self.secret_provider = QComboBox(box)
        self.secret_provider.addItem("any provider", ANY_PROVIDER)
        for name in PROVIDERS:
            self.secret_provider.addItem(name, name)
        form.addRow("Provider:", self.secret_provider)
        self.secret_scheme = QComboBox(box)
        for name, scheme in SCHEMES.items():
            self.secret_scheme.addItem(f"{name} — {scheme.title}", name)
        self.secret_scheme.addItem("Custom HMAC…", CUSTOM)
        form.addRow("Scheme:", self.secret_scheme)
        self.secret_spec = QLineEdit(box)
        self.secret_spec.setPlaceholderText(
            "hmac:header=X-Signature;alg=sha256;enc=hex;prefix=sha256=;template={body}"
        )
        self.secret_spec_label = plain_label("Custom scheme:", box)
        self.secret_spec_error = error_label(box)
        form.addRow(self.secret_spec_label, self.secret_spec)
        form.addRow("", self.secret_spec_error)
        self.secret_value = SecretEdit(parent=box)
        self.secret_value.setPlaceholderText("the signing secret")
        self.secret_value_error = error_label(box)
        form.addRow("Secret:", self.secret_value)
        form.addRow("", self.secret_value_error)
        self.secret_path.textChanged.connect(self._secret_edited)
        self.secret_provider.currentIndexChanged.connect(self._secret_edited)
        self.secret_scheme.currentIndexChanged.connect(self._secret_edited)
        self.secret_spec.textChanged.connect(self._secret_edited)
        self.secret_value.textChanged.connect(self._secret_edited)
        return box

    def _show_secret_row(self, index: int, *, insert: bool = False) -> None:
        row = self.secret_rows[index]
        if insert:
            self.secrets.insertRow(index)
        scheme = (row.spec.strip() or "custom (not set)") if row.scheme == CUSTOM else row.scheme
        texts = {
            SECRET_PATH: row.path_prefix,
            SECRET_PROVIDER: row.provider or "any",
            SECRET_SCHEME: scheme,
            SECRET_VALUE: SECRET_DOTS if row.secret else "(empty)",
        }
        for column, text in texts.items():
            item = QTableWidgetItem(text)
            item.setToolTip(plain_tooltip(text) if column != SECRET_VALUE else "")
            self.secrets.setItem(index, column, item)

    def _load_secret(self, index: int) -> None:
        """Show secret row `index` in the editor (disabled when no row is selected)."""
        valid = 0 <= index < len(self.secret_rows)
        self.secret_box.setEnabled(valid)
        self.remove_secret_button.setEnabled(valid)
        row = self.secret_rows[index] if valid else SecretRow("", ANY_PROVIDER, "meta")
        blockers = [QSignalBlocker(w) for w in (self.secret_path, self.secret_provider,
                                                self.secret_scheme, self.secret_spec,
                                                self.secret_value)]  # fmt: skip
        self.secret_path.setText(row.path_prefix)
        self.secret_provider.setCurrentIndex(max(0, self.secret_provider.findData(row.provider)))
        self.secret_scheme.setCurrentIndex(max(0, self.secret_scheme.findData(row.scheme)))
        self.secret_spec.setText(row.spec)
        self.secret_value.setText(row.secret)
        del blockers
        for label in (self.secret_path_error, self.secret_value_error):
            label.hide()
        self._clear_marks()
        self._update_spec_field()

    def _secret_edited(self, *_args: object) -> None:
        index = self.secrets.currentRow()
        if not 0 <= index < len(self.secret_rows):
            return
        row = self.secret_rows[index]
        row.path_prefix = self.secret_path.text()
        row.provider = str(self.secret_provider.currentData())
        row.scheme = str(self.secret_scheme.currentData())
        row.spec = self.secret_spec.text()
        row.secret = self.secret_value.text()
        self._show_secret_row(index)
        self._update_spec_field()

    def _update_spec_field(self) -> None:
        """Show the custom spec field only for "Custom HMAC…", with its problem (live)."""
        custom = self.secret_scheme.currentData() == CUSTOM
        self.secret_spec.setVisible(custom)
        self.secret_spec_label.setVisible(custom)
        problem = scheme_problem(self.secret_spec.text()) if custom else None
        shown = custom and bool(self.secret_spec.text().strip()) and problem is not None
        self.secret_spec_error.setText(problem or "")
        self.secret_spec_error.setVisible(shown)
        self.secret_spec.setStyleSheet(INVALID_FIELD if shown else "")

    def add_secret(self) -> None:
        self.secret_rows.append(SecretRow())
        index = len(self.secret_rows) - 1
        self._show_secret_row(index, insert=True)
        self.secrets.selectRow(index)
        self._load_secret(index)
        self.secret_path.setFocus()
        self.secret_path.selectAll()

    def remove_secret(self) -> None:
        index = self.secrets.currentRow()
        if 0 <= index < len(self.secret_rows):
            del self.secret_rows[index]
            self.secrets.removeRow(index)
            self._load_secret(self.secrets.currentRow())

    def _secrets(self) -> tuple[SecretRule, ...]:
        rules: list[SecretRule] = []
        for index, row in enumerate(self.secret_rows):
            problem, field, label = self._secret_problem(row)
            if problem is not None:
                self.secrets.selectRow(index)
                self._load_secret(index)
                raise Invalid(f"Secret {index + 1}: {problem}", field, label, self.SECRETS)
            rules.append(row.rule())
        return tuple(rules)

    def _secret_problem(self, row: SecretRow) -> tuple[str | None, QWidget, QLabel]:
        if not row.path_prefix.strip().startswith("/"):
            return ("the path prefix must start with / (e.g. /webhook)", self.secret_path,
                    self.secret_path_error)  # fmt: skip
        if row.scheme == CUSTOM:
            problem = scheme_problem(row.spec)
            if problem is not None:
                return problem, self.secret_spec, self.secret_spec_error
        if not row.secret:
            return "enter the secret", self.secret_value, self.secret_value_error
        return None, self.secret_value, self.secret_value_error
