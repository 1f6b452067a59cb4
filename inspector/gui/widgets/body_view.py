"""One body, shown the best way we can: pretty JSON (highlighted, or as a tree), form fields,
multipart parts, text, a picture, or a hex dump.

Formatting runs off the GUI thread (`Worker`); only the latest result is applied, so a result for
a request the user has already left is dropped. Bodies over `bodies.DISPLAY_CAP` are truncated
with a note, "Show all" and "Save to file…" (which writes the exact stored bytes).

Bodies of any size show without freezing the window: lines longer than `FOLD_WIDTH` are folded
for display (a text layout of one multi-megabyte line takes seconds, word wrap or not), and a
text longer than `PAGE_CHARS` is shown one page at a time (cut at line ends), so the view only
ever holds one page: setting it is one bounded `setPlainText`. JSON is coloured page by page,
off the GUI thread. Previous/Next, "Go to page" and Find move through the pages.
Untrusted text only reaches plain-text widgets (ARCHITECTURE.md, "Untrusted text is plain text").
"""

from __future__ import annotations

import functools
import logging
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from pygments.styles import get_style_by_name
from pygments.token import string_to_tokentype
from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPalette,
    QPixmap,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from inspector.core import bodies
from inspector.core.bodies import BodyDisplay, Kind, Span
from inspector.gui.models.json_tree import CELL_MAX, JsonTreeModel
from inspector.gui.text import one_line, plain_label, plain_tooltip
from inspector.gui.widgets.common import fixed_font

log = logging.getLogger(__name__)

LIGHT_STYLE, DARK_STYLE = "friendly", "one-dark"
"""Pygments styles for light and dark palettes (only their text colours are used)."""
CACHE_SIZE = 6
"""Formatted bodies kept per view, so going back to a request does not tokenise again."""
EXPAND_MAX = 200
"""The tree opens with its top level expanded when it has at most this many rows."""
CELL_ROWS_MEASURED = 50
"""Rows measured to size the tree's key column (measuring all of 20,000 takes a second)."""
FOLD_WIDTH = 4096
"""Longer lines are shown folded into pieces of this many characters."""
PAGE_CHARS = 32 * 1024
"""Longer texts are shown in pages of at most this many characters, cut at line ends (setting
and colouring a page then takes tens of milliseconds, not seconds)."""
EXTENSIONS = {Kind.JSON: ".json", Kind.TEXT: ".txt", Kind.FORM: ".txt"}
TEXT_PAGE, TABLE_PAGE, IMAGE_PAGE, TREE_PAGE = range(4)
KIND_NAMES = {
    Kind.EMPTY: "Empty", Kind.JSON: "JSON", Kind.FORM: "Form fields",
    Kind.MULTIPART: "Multipart form", Kind.TEXT: "Text", Kind.BINARY: "Binary",
    Kind.IMAGE: "Image", Kind.ENCODED: "Compressed",
}  # fmt: skip


# --- running work off the GUI thread ----------------------------------------------------------


class _Relay(QObject):
    """Carries results from executor threads to the GUI thread (a queued signal).

    One relay lives for the whole process, so a worker thread never emits on an object that a
    closing widget may be deleting; each `Worker` listens and picks its own tickets.
    """

    delivered = Signal(object, object)


@functools.cache
def _relay() -> _Relay:
    return _Relay()


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="inspector-format")


def _deliver(ticket: object, future: Future[object]) -> None:
    if future.cancelled():
        return
    error = future.exception()
    _relay().delivered.emit(ticket, error if error is not None else future.result())


class Worker(QObject):
    """Runs one function at a time on a thread pool; only the latest call's result arrives.

    Signals:
        finished(object): the latest `submit`'s return value, or the exception it raised.
    """

    finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        _executor()  # created on the GUI thread, before any delivery
        self._ticket: object | None = None
        self._future: Future[object] | None = None
        # Queued even when the work finished before add_done_callback (which then runs here):
        # results always arrive from the event loop, never inside `submit`.
        _relay().delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._ticket is not None

    def submit(self, function: Callable[..., object], *args: object) -> None:
        """Run `function(*args)` off the GUI thread; any earlier call's result is dropped."""
        self.cancel()
        ticket = self._ticket = object()
        self._future = _executor().submit(function, *args)
        self._future.add_done_callback(functools.partial(_deliver, ticket))

    def cancel(self) -> None:
        """Forget the pending call (it is not started if it has not begun yet)."""
        if self._future is not None:
            self._future.cancel()
        self._ticket = self._future = None

    @Slot(object, object)
    def _on_delivered(self, ticket: object, outcome: object) -> None:
        if ticket is None or ticket is not self._ticket:
            return  # stale, or someone else's
        self._ticket = self._future = None
        self.finished.emit(outcome)


# --- formatting (runs on a worker thread) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Formatted:
    """A body ready to show: its display, decoded picture, and text cut into pages."""

    display: BodyDisplay
    spans: tuple[Span, ...] = ()
    """Highlight spans of the first page."""
    image: QImage | None = None
    notes: tuple[str, ...] = ()
    """Notes added by the GUI side (picture not decodable, lines folded)."""
    text: str = ""
    """The text the view shows: `display.text` with long lines folded."""
    pages: tuple[int, ...] = (0,)
    """Where each page of `text` starts."""
    lines: tuple[int, ...] = (0,)
    """How many lines come before each page."""
    coloured: bool = False
    """JSON: each page is coloured as it is shown."""

    def page_text(self, number: int) -> str:
        """Page `number` (from 0), without the line end it was cut after."""
        end = self.pages[number + 1] if number + 1 < len(self.pages) else len(self.text)
        page = self.text[self.pages[number] : end]
        return page[:-1] if number + 1 < len(self.pages) else page


def page_starts(text: str, size: int = PAGE_CHARS) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(where each page starts, lines before it): pages of at most `size` characters, each cut
    after its last line end (lines are folded, so a page always has one unless `size` is tiny)."""
    starts, lines = [0], [0]
    while len(text) - starts[-1] > size:
        start = starts[-1]
        cut = text.rfind("\n", start, start + size)
        end = cut + 1 if cut >= start else start + size
        lines.append(lines[-1] + text.count("\n", start, end))
        starts.append(end)
    return tuple(starts), tuple(lines)


def paged(
    display: BodyDisplay, text: str, notes: tuple[str, ...] = (), coloured: bool = False
) -> Formatted:
    """`text` cut into pages, the first one coloured when `coloured`."""
    starts, lines = page_starts(text)
    formatted = Formatted(display, notes=notes, text=text, pages=starts, lines=lines,
                          coloured=coloured)  # fmt: skip
    return replace(formatted, spans=colour_page(formatted, 0)[1]) if coloured else formatted


def colour_page(formatted: Formatted, number: int) -> tuple[str, tuple[Span, ...]]:
    """(page `number`'s text, its JSON highlight spans). Thread-safe.

    A page that starts or ends inside a long string (folded over several lines) is coloured as
    if the string's quotes were there, so its base64 or text is not a run of errors."""
    text, pages, whole = formatted.page_text(number), formatted.pages, formatted.text
    opened = _inside_string(whole, pages[number])
    closed = number + 1 < len(pages) and _inside_string(whole, pages[number + 1])
    spans = bodies.json_spans('"' * opened + text + '"' * closed)
    if not opened:
        return text, spans
    return text, tuple((max(start - 1, 0), length - (start == 0), kind)
                       for start, length, kind in spans)  # fmt: skip


def _inside_string(text: str, start: int) -> bool:
    """Whether the line starting at `start` is the continuation of a folded line at a point
    inside a JSON string (an odd number of quotes since the unfolded line began)."""
    line_start = start
    while line_start > 0:
        previous = text.rfind("\n", 0, line_start - 1) + 1
        if line_start - 1 - previous != FOLD_WIDTH:  # not a folded piece of the same line
            break
        line_start = previous
    quotes = text.count('"', line_start, start) - text.count('\\"', line_start, start)
    return quotes % 2 == 1


def format_body(
    body: bytes, content_type: str, encoding: str, cap: int, inflate: bool
) -> Formatted:
    """Classify, format, cut into pages and colour the first page. Thread-safe; never touches
    widgets."""
    display = bodies.describe(body, content_type, encoding, cap=cap, inflate_body=inflate)
    if display.kind is Kind.IMAGE:
        image = QImage.fromData(display.payload)
        if image.isNull():
            note = "The picture could not be decoded: shown as hex."
            hexed = bodies.as_hex(display.payload, cap, (*display.notes, note))
            return paged(hexed, hexed.text)
        return Formatted(display, image=image)
    text, folded = bodies.fold_lines(display.text, FOLD_WIDTH)
    notes = (f"Lines over {FOLD_WIDTH:,} characters are folded here (Save to file… keeps the "
             "exact bytes).",) if folded else ()  # fmt: skip
    return paged(display, text, notes, coloured=display.kind is Kind.JSON)


def save_bytes(path: str, data: bytes) -> str:
    """Write `data` to `path` exactly; returns a message for the user."""
    Path(path).write_bytes(data)
    return f"Saved {bodies.format_size(len(data))} to {path}"


# --- highlighting -----------------------------------------------------------------------------


def style_formats(dark: bool) -> dict[str, QTextCharFormat]:
    """Token type name -> text format, from the Pygments style for a dark or light palette."""
    style = get_style_by_name(DARK_STYLE if dark else LIGHT_STYLE)
    formats: dict[str, QTextCharFormat] = {}
    for token_type, _ in style:
        spec = style.style_for_token(token_type)
        if not (spec["color"] or spec["bold"] or spec["italic"]):
            continue
        char_format = QTextCharFormat()
        if spec["color"]:
            char_format.setForeground(QColor(f"#{spec['color']}"))
        if spec["bold"]:
            char_format.setFontWeight(QFont.Weight.Bold)
        char_format.setFontItalic(bool(spec["italic"]))
        formats[str(token_type)] = char_format
    return formats


class JsonHighlighter(QSyntaxHighlighter):
    """Applies precomputed Pygments spans (absolute UTF-16 positions) block by block.

    Tokenising happened once, off the GUI thread; this only looks spans up, so a theme change
    re-colours without tokenising again.
    """

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._spans: tuple[Span, ...] = ()
        self._starts: list[int] = []
        self._formats: dict[str, QTextCharFormat | None] = {}
        self._dark: bool | None = None

    @property
    def spans(self) -> tuple[Span, ...]:
        """The spans of the text shown (one page)."""
        return self._spans

    def set_spans(self, spans: tuple[Span, ...]) -> None:
        """Spans for the text about to be set (call before `setPlainText`)."""
        self._spans = spans
        self._starts = [span[0] for span in spans]

    def set_dark(self, dark: bool) -> None:
        """Pick the palette's colours; re-colours the current text when they change."""
        if dark == self._dark:
            return
        self._dark = dark
        self._formats = dict(style_formats(dark))
        if self._spans:
            self.rehighlight()

    def format_for(self, token_type: str) -> QTextCharFormat | None:
        found = self._formats.get(token_type)
        if found is None and token_type not in self._formats:
            parent = string_to_tokentype(token_type).parent
            found = self.format_for(str(parent)) if parent is not None else None
            self._formats[token_type] = found
        return found

    def highlightBlock(self, text: str) -> None:
        if not self._spans:
            return
        block = self.currentBlock()
        begin, end = block.position(), block.position() + block.length()
        index = max(bisect_right(self._starts, begin) - 1, 0)
        while index < len(self._spans) and self._spans[index][0] < end:
            start, length, token_type = self._spans[index]
            low, high = max(start, begin), min(start + length, end)
            char_format = self.format_for(token_type)
            if high > low and char_format is not None:
                self.setFormat(low - begin, high - low, char_format)
            index += 1




# --- the widget -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Request:
    body: bytes
    content_type: str
    encoding: str
    name: str
    key: Hashable | None
    cap: int = bodies.DISPLAY_CAP
    inflate: bool = False

    @property
    def cache_key(self) -> Hashable | None:
        return None if self.key is None else (self.key, self.cap, self.inflate)


class BodyView(QWidget):
    """Shows one body. `set_body` starts formatting off the GUI thread; the result replaces the
    "Formatting…" state when it arrives (unless another body was set meanwhile).

    Signals:
        formatted(): a formatting result was applied (or the view was cleared).
    """

    formatted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._request: _Request | None = None
        self._display: BodyDisplay | None = None
        self._cache: OrderedDict[Hashable, Formatted] = OrderedDict()
        self._tree_model: JsonTreeModel | None = None
        self._formatted: Formatted | None = None
        self._page = 0
        self._page_text = ""
        self._find_from = 0
        self._select: tuple[int, int] | None = None
        self.worker = Worker(self)
        self.worker.finished.connect(self._on_formatted)
        self.saver = Worker(self)
        self.saver.finished.connect(self._on_saved)
        self.pager = Worker(self)
        self.pager.finished.connect(self._on_page_coloured)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self._build_bar())
        self.page_bar = self._build_page_bar()
        layout.addWidget(self.page_bar)
        self.stack = QStackedWidget(self)
        self._build_pages()
        layout.addWidget(self.stack, 1)
        self.clear()

    # --- building ---

    def _build_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setContentsMargins(2, 0, 0, 0)
        self.note = plain_label(parent=self)
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.note, 1)
        self.saved = plain_label(parent=self)
        self.saved.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        bar.addWidget(self.saved)
        self.inflate_button = self._button("Inflate for viewing", self.inflate, bar)
        self.inflate_button.setToolTip(
            f"Decompress a copy for viewing (at most {bodies.format_size(bodies.INFLATE_CAP)})"
        )
        self.show_all_button = self._button("Show all", self.show_all, bar)
        self.tree_button = QToolButton(self)
        self.tree_button.setText("Tree")
        self.tree_button.setCheckable(True)
        self.tree_button.setToolTip("Show the JSON as a collapsible tree")
        self.tree_button.toggled.connect(self.set_tree)
        bar.addWidget(self.tree_button)
        self.save_button = self._button("Save to file…", self.save, bar)
        self.save_button.setToolTip("Write the body exactly as stored")
        return bar

    def _build_page_bar(self) -> QWidget:
        page_bar = QWidget(self)
        bar = QHBoxLayout(page_bar)
        bar.setContentsMargins(2, 0, 0, 0)
        self.previous_button = self._button("◀ Previous page", self.previous_page, bar)
        self.next_button = self._button("Next page ▶", self.next_page, bar)
        self.page_label = plain_label(parent=page_bar)
        bar.addWidget(self.page_label)
        bar.addSpacing(12)
        bar.addWidget(plain_label("Go to page", page_bar))
        self.page_box = QSpinBox(page_bar)
        self.page_box.setKeyboardTracking(False)  # Enter (or leaving the box) goes there
        self.page_box.valueChanged.connect(lambda number: self.go_to_page(number - 1))
        bar.addWidget(self.page_box)
        bar.addStretch(1)
        self.find_edit = QLineEdit(page_bar)
        self.find_edit.setPlaceholderText("Find in all pages (exact text)")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.returnPressed.connect(self.find_next)
        bar.addWidget(self.find_edit, 1)
        self.find_button = self._button("Find next", self.find_next, bar)
        self.find_note = plain_label(parent=page_bar)
        bar.addWidget(self.find_note)
        return page_bar

    def _button(self, text: str, slot: Callable[[], None], bar: QHBoxLayout) -> QPushButton:
        button = QPushButton(text, bar.parentWidget() or self)
        button.clicked.connect(slot)
        bar.addWidget(button)
        return button

    def _build_pages(self) -> None:
        self.text = QPlainTextEdit(self.stack)
        self.text.setReadOnly(True)
        self.text.setFont(fixed_font())
        self.text.setUndoRedoEnabled(False)
        self.highlighter = JsonHighlighter(self.text.document())
        self.highlighter.set_dark(self._dark())
        self.table = QTableWidget(self.stack)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.image_label = QLabel(self.stack)
        self.image_label.setTextFormat(Qt.TextFormat.PlainText)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea(self.stack)
        scroll.setWidget(self.image_label)
        scroll.setWidgetResizable(True)
        self.tree = QTreeView(self.stack)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        for page in (self.text, self.table, scroll, self.tree):
            self.stack.addWidget(page)

    # --- public ---

    def display(self) -> BodyDisplay | None:
        """What is shown now (None while formatting or when cleared)."""
        return self._display

    @property
    def busy(self) -> bool:
        """Formatting, or colouring a page before showing it."""
        return self.worker.busy or self.pager.busy

    def clear(self) -> None:
        """Show nothing (no body set)."""
        self.worker.cancel()
        self._request = None
        self._show_placeholder("")
        self._set_buttons(None)
        self.formatted.emit()

    def set_body(
        self,
        body: bytes,
        content_type: str = "",
        content_encoding: str = "",
        *,
        name: str = "body",
        key: Hashable | None = None,
    ) -> None:
        """Show `body` (formatted off the GUI thread). `name` suggests a file name for Save;
        `key` identifies the body (e.g. ("request", id)) so it is formatted only once."""
        self.saved.clear()
        self._start(_Request(body, content_type, content_encoding, name, key))

    def show_all(self) -> None:
        """Lift the display cap for this body (up to `bodies.SHOW_ALL_CAP`)."""
        if self._request is not None:
            self._start(replace(self._request, cap=bodies.SHOW_ALL_CAP))

    def inflate(self) -> None:
        """Inflate a gzip/deflate body for viewing (capped at `bodies.INFLATE_CAP`)."""
        if self._request is not None:
            self._start(replace(self._request, inflate=True))

    def save(self) -> None:
        """Ask for a file name and write the exact stored bytes there (off the GUI thread)."""
        if self._request is None:
            return
        suggested = str(Path.home() / f"{self._request.name}{self._extension()}")
        path, _ = QFileDialog.getSaveFileName(self, "Save body", suggested)
        if path:
            self.saved.setText("Saving…")
            self.saver.submit(save_bytes, path, self._request.body)

    def set_tree(self, on: bool) -> None:
        """Show the JSON tree (True) or the formatted text (False)."""
        data_ok = self._display is not None and self._display.data is not None
        if on and data_ok and self._tree_model is None:
            assert self._display is not None
            self._tree_model = JsonTreeModel(self._display.data, self.tree)
            self.tree.setModel(self._tree_model)
            if self._tree_model.rowCount() <= EXPAND_MAX:  # laying out expanded rows is slow
                self.tree.expandToDepth(0)
            self.tree.header().setResizeContentsPrecision(CELL_ROWS_MEASURED)
            self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree_button.setChecked(on and data_ok)
        self.stack.setCurrentIndex(TREE_PAGE if on and data_ok else TEXT_PAGE)
        self.page_bar.setVisible(self.page_count() > 1 and not (on and data_ok))

    # --- formatting ---

    def _start(self, request: _Request) -> None:
        self._request = request
        cached = self._cache.get(request.cache_key) if request.cache_key is not None else None
        if cached is not None:
            self._cache.move_to_end(request.cache_key)
            self.worker.cancel()
            self._apply(cached)
            return
        self._show_placeholder("Formatting…")
        self._set_buttons(None)
        self.worker.submit(
            format_body, request.body, request.content_type, request.encoding,
            request.cap, request.inflate,
        )  # fmt: skip

    @Slot(object)
    def _on_formatted(self, outcome: object) -> None:
        if isinstance(outcome, BaseException):
            log.error("formatting a body failed", exc_info=outcome)
            text = f"Could not format this body ({type(outcome).__name__}): shown as hex."
            request = self._request
            body = request.body if request is not None else b""
            hexed = bodies.as_hex(body, notes=(text,))
            outcome = paged(hexed, hexed.text)
        assert isinstance(outcome, Formatted)
        self._remember(outcome)
        self._apply(outcome)

    def _remember(self, formatted: Formatted) -> None:
        key = self._request.cache_key if self._request is not None else None
        if key is None or len(formatted.text) > bodies.HIGHLIGHT_CAP:
            return
        self._cache[key] = formatted
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)

    def _apply(self, formatted: Formatted) -> None:
        display = self._display = formatted.display
        self._drop_tree()
        self.note.setText(self._summary(formatted))
        self._set_buttons(display)
        if display.kind is Kind.IMAGE and formatted.image is not None:
            self.image_label.setPixmap(QPixmap.fromImage(formatted.image))
            self.stack.setCurrentIndex(IMAGE_PAGE)
        elif display.kind in (Kind.FORM, Kind.MULTIPART):
            self._fill_table(display)
            self.stack.setCurrentIndex(TABLE_PAGE)
        else:
            self._set_text(display, formatted)
            self.set_tree(display.data is not None and display.line_count > bodies.TREE_LINES)
        self.formatted.emit()

    def _set_text(self, display: BodyDisplay, formatted: Formatted) -> None:
        wrap = display.kind in (Kind.TEXT, Kind.JSON)  # lines are folded: wrapping stays cheap
        mode = (
            QPlainTextEdit.LineWrapMode.WidgetWidth if wrap else QPlainTextEdit.LineWrapMode.NoWrap
        )
        self.text.setLineWrapMode(mode)
        self.text.setPlaceholderText(
            "Compressed body: press “Inflate for viewing” to see it."
            if display.kind is Kind.ENCODED else ""
        )  # fmt: skip
        self._formatted = formatted
        self.find_note.clear()
        self.go_to_page(0)

    # --- pages ---

    def page_count(self) -> int:
        return len(self._formatted.pages) if self._formatted is not None else 0

    def page(self) -> int:
        """The page shown (from 0)."""
        return self._page

    def previous_page(self) -> None:
        self.go_to_page(self._page - 1)

    def next_page(self) -> None:
        self.go_to_page(self._page + 1)

    def go_to_page(self, number: int) -> None:
        """Show page `number` (from 0); JSON is coloured off the GUI thread first."""
        formatted = self._formatted
        if formatted is None or not 0 <= number < len(formatted.pages):
            return
        self._page, self._find_from = number, formatted.pages[number]
        text = formatted.page_text(number)
        if formatted.coloured and number > 0:
            self.pager.submit(colour_page, formatted, number)
            self._update_page_bar(text)
        else:
            self.pager.cancel()
            self._set_page(text, formatted.spans if formatted.coloured else ())

    def find_next(self) -> None:
        """Select the next place (in any page, then from the top) where the Find text is."""
        needle, formatted = self.find_edit.text(), self._formatted
        if not needle or formatted is None:
            return
        at = formatted.text.find(needle, self._find_from)
        at = formatted.text.find(needle) if at < 0 else at
        self.find_note.setText("" if at >= 0 else "Not found")
        if at < 0:
            return
        number = bisect_right(formatted.pages, at) - 1
        self._select = (at - formatted.pages[number], len(needle))
        if number != self._page or self.pager.busy:
            self.go_to_page(number)
        else:
            self._select_found()
        self._find_from = at + 1

    @Slot(object)
    def _on_page_coloured(self, outcome: object) -> None:
        formatted = self._formatted
        if formatted is None:
            return
        if isinstance(outcome, BaseException):
            log.error("colouring a page failed", exc_info=outcome)
            outcome = (formatted.page_text(self._page), ())
        text, spans = outcome  # type: ignore[misc]
        self._set_page(text, spans)

    def _set_page(self, text: str, spans: tuple[Span, ...]) -> None:
        self.highlighter.set_spans(spans)
        self._page_text = text
        self.text.setPlainText(text)
        self._update_page_bar(text)
        self._select_found()

    def _select_found(self) -> None:
        if self._select is None:
            return
        start, length = self._select
        self._select = None
        end = min(start + length, len(self._page_text))
        cursor = self.text.textCursor()
        cursor.setPosition(_utf16_length(self._page_text[:start]))
        cursor.setPosition(_utf16_length(self._page_text[:end]), QTextCursor.MoveMode.KeepAnchor)
        self.text.setTextCursor(cursor)
        self.text.ensureCursorVisible()

    def _update_page_bar(self, text: str) -> None:
        count = self.page_count()
        self.page_bar.setVisible(count > 1 and self.stack.currentIndex() == TEXT_PAGE)
        if self._formatted is None or count <= 1:
            return
        first = self._formatted.lines[self._page] + 1
        last = first + text.count("\n")
        self.page_label.setText(f"page {self._page + 1} of {count:,} (lines {first:,}–{last:,})")
        self.previous_button.setEnabled(self._page > 0)
        self.next_button.setEnabled(self._page + 1 < count)
        self.page_box.blockSignals(True)
        self.page_box.setRange(1, count)
        self.page_box.setValue(self._page + 1)
        self.page_box.blockSignals(False)

    def _drop_tree(self) -> None:
        self.tree.setModel(None)
        if self._tree_model is not None:
            self._tree_model.deleteLater()
            self._tree_model = None

    def _show_placeholder(self, text: str) -> None:
        self._display = None
        self._drop_tree()
        self.note.setText(text)
        self.pager.cancel()
        self._formatted, self._page, self._select = None, 0, None
        self.page_bar.hide()
        self.highlighter.set_spans(())
        self.text.setPlaceholderText("")
        self.text.setPlainText("")
        self.image_label.clear()
        self.table.clear()
        self.table.setRowCount(0)
        self.stack.setCurrentIndex(TEXT_PAGE)

    def _set_buttons(self, display: BodyDisplay | None) -> None:
        request = self._request
        self.inflate_button.setVisible(display is not None and display.kind is Kind.ENCODED)
        can_grow = request is not None and request.cap < bodies.SHOW_ALL_CAP
        self.show_all_button.setVisible(bool(display and display.truncated and can_grow))
        self.tree_button.setVisible(display is not None and display.data is not None)
        self.save_button.setVisible(request is not None)
        self.save_button.setEnabled(request is not None and bool(request.body))

    def _summary(self, formatted: Formatted) -> str:
        display = formatted.display
        facts = [KIND_NAMES[display.kind]]
        if display.size:
            facts.append(bodies.format_size(display.size))
        if display.kind is Kind.JSON:
            facts.append(f"{display.line_count} lines")
        elif display.kind is Kind.FORM:
            facts.append(f"{len(display.fields)} fields")
        notes = [n for n in (*display.notes, *formatted.notes) if n != "No body."]
        return "   ".join([" · ".join(facts), *notes])

    def _fill_table(self, display: BodyDisplay) -> None:
        if display.kind is Kind.FORM:
            rows = [list(field) for field in display.fields]
            headers = ["Name", "Value"]
        else:
            headers = ["Name", "Filename", "Content type", "Size", "Value"]
            rows = [_part_row(part) for part in display.parts]
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                item = QTableWidgetItem(one_line(value, CELL_MAX))
                if len(value) > 60:
                    item.setToolTip(plain_tooltip(value))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _extension(self) -> str:
        kind = self._display.kind if self._display is not None else Kind.BINARY
        return EXTENSIONS.get(kind, ".bin")

    @Slot(object)
    def _on_saved(self, outcome: object) -> None:
        if isinstance(outcome, BaseException):
            self.saved.setText(f"Could not save: {outcome}")
        else:
            self.saved.setText(str(outcome))

    # --- theme ---

    def _dark(self) -> bool:
        return self.palette().color(QPalette.ColorRole.Base).lightness() < 128

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.highlighter.set_dark(self._dark())
        super().changeEvent(event)


def _utf16_length(text: str) -> int:
    """Length of `text` in UTF-16 units (a text cursor's positions)."""
    return len(text.encode("utf-16-le")) // 2


def _part_row(part: bodies.Part) -> list[str]:
    value = part.text if part.text is not None else f"<{part.size} bytes>"
    return [part.name, part.filename or "", part.content_type, bodies.format_size(part.size), value]
