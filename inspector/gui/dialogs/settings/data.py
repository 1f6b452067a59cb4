"""The Settings dialog's Data tab: the history database and retention."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from inspector.core.config import Settings
from inspector.core.store import Store, check_file, older_than
from inspector.gui.dialogs.settings.fields import NoteBox, error_label, hint_label


def retention_victims(store: Store, keep_last: int | None, keep_days: float | None) -> int:
    """How many stored requests these retention settings would delete now."""
    return store.prune_count(keep_last=keep_last, older_than_ns=older_than(keep_days))


class DataTab:
    """The Data tab's part of SettingsDialog (a mixin: its widgets are the dialog's
    attributes, as the tests and the other tabs expect)."""

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
