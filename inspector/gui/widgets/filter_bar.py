"""The filter bar: a filter-language line edit with completion and errors, plus quick chips.

The text is compiled by `inspector.core.filters` into SQL. Chips are independent SQL conditions
ANDed to it (within a group, chips are ORed), so they work whatever the user typed.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCompleter,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core import filters, providers
from inspector.gui.models.request_model import Where
from inspector.gui.text import plain_label
from inspector.gui.widgets.common import HINT_STYLE

DEBOUNCE_MS = 200
PROVIDER_CHIPS = providers.chips()
SIG_CHIPS = (("invalid", "Invalid"), ("valid", "Valid"), ("no_secret", "No secret"))
CHIP_STYLE = """
QToolButton { border:1px solid palette(mid); border-radius:10px; padding:1px 7px;
              color:palette(button-text); }
QToolButton:checked { background:palette(highlight); color:palette(highlighted-text);
                      border-color:palette(highlight); }
"""


PASSED_ON = ("Ctrl+E",)
"""Window shortcuts the line edit would otherwise take for itself (Ctrl+E: end of line)."""


class FilterBar(QWidget):
    """Emits `filterChanged(Where)` after the user stops typing or toggles a chip.

    The chips and "N of M shown" are in `chips_bar`, which the window lays out on a row of
    its own under the line edit, so that neither makes the window wide.

    Signals:
        filterChanged(object): the combined condition (a `Where`) to show.
        staleChanged(bool): the typed filter has an error, so the table still shows the
            results of the last good one (True), or not any more (False).
        copyRequested(): Ctrl+C with no text selected in the box (copy the request).
    """

    filterChanged = Signal(object)
    staleChanged = Signal(bool)
    copyRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._current = Where()
        self._last_good: Where = Where()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(3)
        layout = QHBoxLayout()
        outer.addLayout(layout)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Filter  (e.g. provider:meta sig:invalid text)   Ctrl+F")
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(240)
        self.edit.installEventFilter(self)
        layout.addWidget(self.edit, 1)
        self.error = plain_label(parent=self)  # own line: a long message never widens the bar
        self.error.setStyleSheet("color:#d32f2f;")
        self.error.setWordWrap(True)
        self.error.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.error.hide()
        outer.addWidget(self.error)
        self.chips_bar = QWidget(self)
        chips = QHBoxLayout(self.chips_bar)
        chips.setContentsMargins(0, 0, 0, 0)
        chips.setSpacing(4)
        outer.addWidget(self.chips_bar)  # until the window places it
        self.provider_chips = self._chips(chips, PROVIDER_CHIPS, "provider", first=True)
        self.sig_chips = self._chips(chips, SIG_CHIPS, "signature")
        chips.addStretch(1)
        self.shown = plain_label(parent=self.chips_bar)
        self.shown.setStyleSheet(HINT_STYLE)
        chips.addWidget(self.shown)
        self.stale = False
        self._setup_completer()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.apply)
        self.edit.textChanged.connect(lambda _: self._timer.start())
        self.edit.returnPressed.connect(self.apply)

    def changeEvent(self, event: QEvent) -> None:
        # style sheets resolve palette() once: re-apply them when the theme changes
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            for button in (*self.provider_chips.values(), *self.sig_chips.values()):
                button.setStyleSheet(CHIP_STYLE)
            self.shown.setStyleSheet(HINT_STYLE)
        super().changeEvent(event)

    # keys and counts

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Let window shortcuts through the line edit, and Ctrl+C with nothing selected
        copy the request (the table's Ctrl+C), as if the table had focus."""
        if watched is self.edit and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            copy = event.matches(QKeySequence.StandardKey.Copy) and not self.edit.hasSelectedText()
            passed = any(pressed.matches(QKeySequence(key)) == QKeySequence.SequenceMatch.ExactMatch
                         for key in PASSED_ON)  # fmt: skip
            if event.type() == QEvent.Type.ShortcutOverride and (passed or copy):
                event.ignore()  # not taken by the edit: window shortcuts may have it
                return True
            if event.type() == QEvent.Type.KeyPress and copy:
                self.copyRequested.emit()
                return True
        return super().eventFilter(watched, event)

    def set_shown(self, shown: int | str | None, total: int) -> None:
        """Say how many requests the filter shows ("N of M shown"), or what is going on
        (a string, shown as is); None: no filter on."""
        if self.stale:
            text = "Stale: rows of the last valid filter"
        elif shown is None:
            text = ""
        elif isinstance(shown, str):
            text = shown
        else:
            text = f"{shown:,} of {total:,} shown"
        self.shown.setText(text)

    # chips

    def _chips(
        self, layout: QHBoxLayout, chips: Sequence[tuple[str, str]], what: str,
        *, first: bool = False,
    ) -> dict[str, QToolButton]:  # fmt: skip
        if not first:
            separator = QFrame(self.chips_bar)
            separator.setFrameShape(QFrame.Shape.VLine)
            separator.setFrameShadow(QFrame.Shadow.Sunken)
            layout.addWidget(separator)
        buttons: dict[str, QToolButton] = {}
        for value, label in chips:
            button = QToolButton(self.chips_bar)
            button.setText(label)
            button.setCheckable(True)
            button.setStyleSheet(CHIP_STYLE)
            button.setToolTip(f"Show only requests whose {what} is {label}")
            button.toggled.connect(lambda _checked: self.apply())
            layout.addWidget(button)
            buttons[value] = button
        return buttons

    def chip_condition(self) -> tuple[list[str], list[object]]:
        """SQL conditions and parameters of the checked chips."""
        clauses: list[str] = []
        params: list[object] = []
        for column, chips in (("provider", self.provider_chips), ("sig_status", self.sig_chips)):
            values = [value for value, button in chips.items() if button.isChecked()]
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params += values
        return clauses, params

    # applying

    @property
    def current(self) -> Where:
        """The condition last emitted."""
        return self._current

    def apply(self) -> None:
        """Compile the text now (or show why it cannot be) and emit the combined condition."""
        self._timer.stop()
        text = self.edit.text()
        try:
            compiled = filters.compile_filter(text) if text.strip() else None
        except filters.FilterError as exc:
            self._show_error(exc)
            typed = self._last_good
            self._set_stale(True)
        else:
            self._hide_error()
            self._set_stale(False)
            typed = Where(compiled.where, tuple(compiled.params), text) if compiled else Where()
            self._last_good = typed
        clauses, params = self.chip_condition()
        if typed.where:
            clauses.insert(0, f"({typed.where})")
            params[0:0] = list(typed.params)
        combined = Where(" AND ".join(clauses), tuple(params), text)
        if combined[:2] != self._current[:2]:
            self._current = combined
            self.filterChanged.emit(combined)

    def _set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.staleChanged.emit(stale)

    def _show_error(self, exc: Exception) -> None:
        position = getattr(exc, "position", None)
        message = getattr(exc, "message", None) or str(exc)
        where = f" at {position + 1}" if isinstance(position, int) else ""
        self.error.setText(f"Filter error{where}: {message}")
        self.error.setToolTip("")
        self.error.show()
        self.edit.setStyleSheet("QLineEdit { border:1px solid #d32f2f; }")

    def _hide_error(self) -> None:
        self.error.hide()
        self.error.clear()
        self.edit.setStyleSheet("")

    # completion

    def _setup_completer(self) -> None:
        self._words = QStringListModel(self)
        self.completer = QCompleter(self._words, self)
        self.completer.setWidget(self.edit)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated.connect(self._insert_completion)
        self.edit.textEdited.connect(self._update_completions)

    def _token_start(self) -> int:
        text, cursor = self.edit.text(), self.edit.cursorPosition()
        start = cursor
        while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "()":
            start -= 1
        return start

    def _update_completions(self, _text: str = "") -> None:
        text, cursor = self.edit.text(), self.edit.cursorPosition()
        try:
            words = filters.completions(text, cursor)
        except Exception:  # completion must never break typing
            words = []
        self._words.setStringList(list(words))
        prefix = text[self._token_start() : cursor]
        self.completer.setCompletionPrefix(prefix)
        if words and prefix and self.completer.completionCount():
            self.completer.complete()
        else:
            self.completer.popup().hide()

    def _insert_completion(self, word: str) -> None:
        text, cursor = self.edit.text(), self.edit.cursorPosition()
        start = self._token_start()
        new = text[:start] + word + text[cursor:]
        self.edit.setText(new)
        self.edit.setCursorPosition(start + len(word))
