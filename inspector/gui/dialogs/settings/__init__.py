"""The settings dialog: receiver, responses, secrets and data, one tab each.

The dialog edits a copy: `apply_to(settings)` returns `settings` with the edited fields
replaced (so a change the core made meanwhile, e.g. a remembered replay target, is kept).
Input that cannot be used is refused on OK with a plain message next to the field; the tab
with the problem is shown and nothing typed is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.config import (
    ResponseRule,
    SecretRule,
    Settings,
    is_local_host,
    parse_header_option,
)
from inspector.core.models import Header, ResponseSpec
from inspector.core.providers import PROVIDERS
from inspector.core.responses import Tally
from inspector.core.signatures import SCHEMES, get_scheme
from inspector.core.store import Store, check_file, older_than
from inspector.gui.text import plain_label, plain_tooltip
from inspector.gui.widgets.responses_tab import ResponseRulesBox, RuleRowError

UNITS = (("bytes", 1), ("KB", 1024), ("MB", 1024**2), ("GB", 1024**3))
MAX_BODY_LIMIT = 2 * 1024**3
"""Largest body limit the dialog accepts (bodies are held in memory while stored)."""
MAX_DELAY_MS = 120_000
METHODS = ("", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
CUSTOM = "custom"
"""userData of the scheme combo's "Custom HMAC…" entry."""
ANY_PROVIDER = ""
SECRET_DOTS = "••••••••"
ERROR_STYLE = "color:#c62828;"
WARNING_STYLE = "background:#fff4e5; color:#6b4100; border:1px solid #ffd8a8; border-radius:4px;"
HINT_STYLE = "color:palette(placeholder-text);"
INVALID_FIELD = "border:1px solid #d32f2f;"
_HOST = re.compile(r"[A-Za-z0-9._:\-\[\]%]+")

SECRET_PATH, SECRET_PROVIDER, SECRET_SCHEME, SECRET_VALUE = range(4)
SECRET_HEADERS = ("Path prefix", "Provider", "Scheme", "Secret")


class Invalid(ValueError):
    """Input that cannot be used: the message and the widget (and error label) it is about."""

    def __init__(self, message: str, field: QWidget, label: QLabel, tab: int) -> None:
        super().__init__(message)
        self.message, self.field, self.label, self.tab = message, field, label, tab


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """Grey, wrapped explanatory text (plain)."""
    label = plain_label(text, parent)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


def error_label(parent: QWidget | None = None) -> QLabel:
    """A hidden red plain-text label that shows why the field above it was refused."""
    label = plain_label(parent=parent)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.hide()
    return label


class NoteBox(QFrame):
    """A tinted box with wrapped plain text (a warning next to a field)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("note")
        self.setStyleSheet(f"#note {{ {WARNING_STYLE} }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.label = plain_label(parent=self)
        self.label.setWordWrap(True)
        self.label.setStyleSheet("color:#6b4100; background:transparent;")
        layout.addWidget(self.label)

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:
        self.label.setText(text)


class SecretEdit(QWidget):
    """A masked line edit with a Show/Hide toggle.

    Signals:
        textChanged(str): the text changed.
    """

    textChanged = Signal(str)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.edit = QLineEdit(text, self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.textChanged.connect(self.textChanged)
        layout.addWidget(self.edit, 1)
        self.toggle = QToolButton(self)
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show or hide the secret")
        self.toggle.toggled.connect(self._toggled)
        layout.addWidget(self.toggle)
        self.setFocusProxy(self.edit)

    def _toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.edit.setEchoMode(mode)
        self.toggle.setText("Hide" if shown else "Show")

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def setPlaceholderText(self, text: str) -> None:
        self.edit.setPlaceholderText(text)

    def setStyleSheet(self, style: str) -> None:  # the border belongs on the line edit
        self.edit.setStyleSheet(style)


class SizeEdit(QWidget):
    """A size as a number and a unit (bytes, KB, MB, GB; powers of 1024)."""

    def __init__(self, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.number = QSpinBox(self)
        self.number.setRange(1, 2**31 - 1)
        self.number.setGroupSeparatorShown(True)
        self.unit = QComboBox(self)
        for name, scale in UNITS:
            self.unit.addItem(name, scale)
        self.number.setMinimumWidth(120)
        layout.addWidget(self.number)
        layout.addWidget(self.unit)
        layout.addStretch(1)
        self.setFocusProxy(self.number)
        self.set_size(size)

    def set_size(self, size: int) -> None:
        """Show `size` in the largest unit that divides it exactly."""
        for index in range(len(UNITS) - 1, -1, -1):
            scale = UNITS[index][1]
            if size >= scale and size % scale == 0:
                self.unit.setCurrentIndex(index)
                self.number.setValue(size // scale)
                return
        self.unit.setCurrentIndex(0)
        self.number.setValue(max(size, 1))

    def size_bytes(self) -> int:
        return int(self.number.value()) * int(self.unit.currentData())

    def setStyleSheet(self, style: str) -> None:
        self.number.setStyleSheet(style)


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


def parse_headers(text: str) -> tuple[Header, ...]:
    """`Name: value` lines (blank lines ignored); ValueError naming the bad line."""
    headers: list[Header] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            headers.append(parse_header_option(line))
        except ValueError as exc:
            raise ValueError(f"Line {number}: {exc}") from None
    return tuple(headers)


def headers_text(headers: tuple[Header, ...]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


def retention_victims(store: Store, keep_last: int | None, keep_days: float | None) -> int:
    """How many stored requests these retention settings would delete now."""
    return store.prune_count(keep_last=keep_last, older_than_ns=older_than(keep_days))


class SettingsDialog(QDialog):
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

    # --- receiver ------------------------------------------------------------------------

    def _receiver_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        settings = self._settings
        where = QGroupBox("Where to listen", page)
        form = QFormLayout(where)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.host = QLineEdit(settings.host, where)
        self.host.setPlaceholderText("127.0.0.1")
        self.host_error = error_label(where)
        self.host_warning = NoteBox(where)
        self.host.textChanged.connect(self._update_host_warning)
        form.addRow("Address:", self.host)
        form.addRow("", self.host_error)
        form.addRow(self.host_warning)
        self.port = QSpinBox(where)
        self.port.setRange(0, 65535)
        self.port.setValue(settings.port)
        self.port.setSpecialValueText("0 (pick a free port)")
        self.port.setMinimumWidth(170)
        self.port.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        form.addRow("Port:", self.port)
        form.addRow(
            hint_label(
                "127.0.0.1 accepts requests from this computer only; 0.0.0.0 from your network "
                "too. A changed address or port takes effect when you press OK.",
                where,
            )
        )
        layout.addWidget(where)
        limits = QGroupBox("Limits", page)
        limits_form = QFormLayout(limits)
        self.max_body = SizeEdit(settings.max_body, limits)
        self.max_body_error = error_label(limits)
        limits_form.addRow("Largest body:", self.max_body)
        limits_form.addRow("", self.max_body_error)
        limits_form.addRow(
            hint_label(
                "A larger body is answered 413 Payload Too Large (checked before it is read) "
                "and leaves a small record saying it was refused: nothing is dropped silently.",
                limits,
            )
        )
        layout.addWidget(limits)
        layout.addStretch(1)
        self._update_host_warning()
        return page

    def _update_host_warning(self) -> None:
        host = self.host.text().strip()
        local = not host or is_local_host(host)
        self.host_warning.setText(
            "" if local else
            f"Listening on {host} accepts requests from every computer that can reach this "
            "one: anyone on your network can send webhooks that are stored and shown here. "
            "Use 127.0.0.1 unless you mean it."
        )  # fmt: skip
        self.host_warning.setVisible(not local)

    # --- responses -----------------------------------------------------------------------

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

    # --- secrets -------------------------------------------------------------------------

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

    # --- data ------------------------------------------------------------------------------

    def _data_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        box = QGroupBox("History database", page)
        form = QVBoxLayout(box)
        self.db_path = QLineEdit(str(self._settings.db_path), box)
        self.db_path.setReadOnly(True)
        form.addWidget(self.db_path)
        row = QHBoxLayout()
        self.open_folder_button = QPushButton("Open folder", box)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.choose_db_button = QPushButton("Use another file…", box)
        self.choose_db_button.clicked.connect(self.choose_db)
        self.keep_db_button = QPushButton("Keep the current file", box)
        self.keep_db_button.clicked.connect(lambda: self.set_next_db(None))
        for button in (self.open_folder_button, self.choose_db_button, self.keep_db_button):
            row.addWidget(button)
        row.addStretch(1)
        form.addLayout(row)
        self.next_db_label = NoteBox(box)
        self.db_error = error_label(box)
        form.addWidget(self.next_db_label)
        form.addWidget(self.db_error)
        form.addWidget(hint_label(
            "Changing the database takes effect the next time the app starts; until then, "
            "requests keep going to the file above. An existing database of ours can be "
            "chosen too.", box))  # fmt: skip
        layout.addWidget(box)
        retention = QGroupBox("Retention", page)
        grid = QFormLayout(retention)
        settings = self._settings
        self.keep_last_check = QCheckBox("Keep only the last", retention)
        self.keep_last = QSpinBox(retention)
        self.keep_last.setRange(1, 2**31 - 1)
        self.keep_last.setGroupSeparatorShown(True)
        self.keep_last.setSuffix(" requests")
        self.keep_last.setValue(settings.keep_last or 10_000)
        self.keep_last_check.setChecked(settings.keep_last is not None)
        self.keep_days_check = QCheckBox("Delete requests older than", retention)
        self.keep_days = QDoubleSpinBox(retention)
        self.keep_days.setRange(0.01, 36500)
        self.keep_days.setDecimals(2)
        self.keep_days.setSuffix(" days")
        self.keep_days.setValue(settings.keep_days or 30)
        self.keep_days_check.setChecked(settings.keep_days is not None)
        for check, spin in ((self.keep_last_check, self.keep_last),
                            (self.keep_days_check, self.keep_days)):  # fmt: skip
            spin.setEnabled(check.isChecked())
            spin.setMinimumWidth(170)
            spin.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            check.toggled.connect(spin.setEnabled)
            grid.addRow(check, spin)
        grid.addRow(hint_label(
            "Both are optional; with neither, every request is kept. Deletions are reported, "
            "never silent: each time old requests are deleted, the window says how many and "
            "which rule did it. Retention runs when you press OK, at start and every 10 "
            "minutes.", retention))  # fmt: skip
        layout.addWidget(retention)
        layout.addStretch(1)
        self._show_next_db()
        return page

    def open_folder(self) -> None:
        self.open_url(QUrl.fromLocalFile(str(self._settings.db_path.parent)))

    def choose_db(self) -> None:
        start = str(self.next_db_path or self._settings.db_path)
        path, _ = QFileDialog.getSaveFileName(
            self, "Database for the next start", start,
            "SQLite database (*.db *.sqlite);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )  # fmt: skip
        if path:
            self.set_next_db(Path(path))

    def set_next_db(self, path: Path | None) -> bool:
        """Use `path` from the next start (None: keep the current file). A file that is not
        one of our databases is refused (it would be moved aside at the next start)."""
        self.db_error.hide()
        if path is not None and path != self._settings.db_path:
            try:
                problem = check_file(path)
            except OSError as exc:
                problem = exc.strerror or str(exc)
            if problem is None and path.is_dir():
                problem = "a folder, not a file"
            if problem is not None:
                self.db_error.setText(f"Cannot use {path}: {problem}. Choose a new file name "
                                      "or an existing Webhook Inspector database.")  # fmt: skip
                self.db_error.show()
                return False
        self.next_db_path = None if path == self._settings.db_path else path
        self._show_next_db()
        return True

    def _show_next_db(self) -> None:
        pending = self.next_db_path is not None
        self.next_db_label.setText(
            f"From the next start: {self.next_db_path} (restart the app to switch)"
            if pending else ""
        )  # fmt: skip
        self.next_db_label.setVisible(pending)
        self.keep_db_button.setVisible(pending)

    # --- result ------------------------------------------------------------------------------

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

    def _host(self) -> str:
        host = self.host.text().strip()
        if not host:
            raise Invalid("Enter an address, e.g. 127.0.0.1", self.host, self.host_error,
                          self.RECEIVER)  # fmt: skip
        if not _HOST.fullmatch(host):
            raise Invalid(f"{host!r} is not an address or host name (e.g. 127.0.0.1, 0.0.0.0)",
                          self.host, self.host_error, self.RECEIVER)  # fmt: skip
        return host

    def _max_body(self) -> int:
        size = self.max_body.size_bytes()
        if size > MAX_BODY_LIMIT:
            raise Invalid("The limit can be at most 2 GB.", self.max_body, self.max_body_error,
                          self.RECEIVER)  # fmt: skip
        return size

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

    # --- OK ------------------------------------------------------------------------------------

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

    def _confirm_retention(self, new: Settings) -> bool:
        """Ask before a retention change that deletes requests as soon as it is applied."""
        old = self._settings
        if self._store is None or (old.keep_last, old.keep_days) == (new.keep_last, new.keep_days):
            return True
        try:
            count = retention_victims(self._store, new.keep_last, new.keep_days)
        except Exception:  # a count is only a courtesy: never block saving on it
            return True
        if count == 0:
            return True
        answer = QMessageBox.question(
            self, "Delete old requests",
            f"With this retention, {count:,} stored requests will be deleted now. Continue?",
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Ok


ReceiverDialog = SettingsDialog
"""The old name (the dialog used to edit only host and port)."""
