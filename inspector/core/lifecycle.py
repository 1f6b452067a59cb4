"""Message lifecycles: every stored step about one message, and what is wrong with its order.

The provider modules say which steps a request carries (`Provider.lifecycle`); the store keeps
them in table ``lifecycle`` and one row per message in table ``messages`` (both refreshed here,
on the writer's connection, whenever a request is analysed or deleted). Flags:

- ``out-of-order``: a step arrived after another one although it happened earlier;
- ``downgrade``: the provider reported a lower state after a higher one (delivered after read);
- ``no-sent``: an outgoing message reached delivered or read with no "sent" step stored;
- ``failed``: a step says the message failed (with the code, title and documented meaning).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from inspector.core import providers
from inspector.core.models import Derived, Step, StoredRequest

if TYPE_CHECKING:
    from inspector.core.store import Store

RANKS = {"pending": 0, "received": 1, "sent": 1, "delivered": 2, "read": 3, "played": 4}
"""How far along its lifecycle each state is; failed and deleted have no rank."""
FLAGS = ("out-of-order", "downgrade", "no-sent", "failed")
MAX_ENTRIES = 500
"""Steps of one message looked at when flagging (a message has a handful)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored step of a message, with the request that carried it."""

    request_id: int
    received_at_ns: int
    step: Step
    flags: tuple[str, ...] = ()
    """Flags of this step (out-of-order, downgrade), each with its sentence in `notes`."""
    notes: tuple[str, ...] = ()

    @property
    def rank(self) -> int | None:
        return RANKS.get(self.step.state)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Everything stored about one message."""

    provider: str
    message_id: str
    entries: tuple[Entry, ...]
    """In arrival order."""
    flags: tuple[str, ...]
    sentences: tuple[str, ...]
    """One plain sentence per message flag, in the order of `flags`."""

    @property
    def by_provider_time(self) -> tuple[Entry, ...]:
        return tuple(sorted(self.entries, key=_provider_order))

    @property
    def latest_state(self) -> str:
        return latest_state([entry.step for entry in self.entries])


def _provider_order(entry: Entry) -> tuple[int, int]:
    at = entry.step.at_ms
    return (at if at is not None else entry.received_at_ns // 1_000_000, entry.request_id)


def latest_state(steps: Sequence[Step]) -> str:
    """Failed when any step failed, else the furthest state reached, else the last one."""
    if any(step.state == "failed" for step in steps):
        return "failed"
    ranked = [step for step in steps if step.state in RANKS]
    if ranked:
        return max(ranked, key=lambda step: RANKS[step.state]).state
    return steps[-1].state if steps else ""


def when(at_ms: int | None) -> str:
    if at_ms is None:
        return "no time"
    try:
        return datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return "?"


# --- flags ----------------------------------------------------------------------------------


def _earlier_happened_later(late: Entry, early: Entry) -> bool:
    """`late` arrived after `early` but happened before it."""
    a, b = late.step.at_ms, early.step.at_ms
    if a is not None and b is not None and a != b:
        return a < b
    return late.rank is not None and early.rank is not None and late.rank < early.rank


def _went_back(later: Entry, earlier: Entry) -> bool:
    """The provider reported `later` (a lower state) strictly after `earlier`."""
    a, b = later.step.at_ms, earlier.step.at_ms
    lower = later.rank is not None and earlier.rank is not None and later.rank < earlier.rank
    return lower and a is not None and b is not None and a > b


def _flag_entry(entry: Entry, before: Sequence[Entry]) -> Entry:
    flags: list[str] = []
    notes: list[str] = []
    for other in before:
        if other.step.state == entry.step.state:
            continue
        if "out-of-order" not in flags and _earlier_happened_later(entry, other):
            flags.append("out-of-order")
            notes.append(
                f"Arrived out of order: '{entry.step.state}' (#{entry.request_id}) arrived after "
                f"'{other.step.state}' (#{other.request_id}) although it happened earlier."
            )
        if "downgrade" not in flags and _went_back(entry, other):
            flags.append("downgrade")
            notes.append(
                f"Downgrade: '{entry.step.state}' at {when(entry.step.at_ms)} came after "
                f"'{other.step.state}' at {when(other.step.at_ms)}; keep the furthest state."
            )
    return Entry(entry.request_id, entry.received_at_ns, entry.step, tuple(flags), tuple(notes))


def assess(provider: str, message_id: str, entries: Iterable[Entry]) -> Lifecycle:
    """Flag the steps of one message (given in arrival order) and the message as a whole."""
    flagged: list[Entry] = []
    for entry in list(entries)[:MAX_ENTRIES]:
        flagged.append(_flag_entry(entry, flagged))
    flags: list[str] = []
    sentences: list[str] = []
    for name in ("out-of-order", "downgrade"):
        notes = [
            note
            for entry in flagged
            for flag, note in zip(entry.flags, entry.notes, strict=True)
            if flag == name
        ]
        if notes:
            flags.append(name)
            sentences.append(notes[0])
    steps = [entry.step for entry in flagged]
    if _no_sent(steps):
        flags.append("no-sent")
        sentences.append(
            "No 'sent' seen: this outgoing message reached "
            f"'{latest_state(steps)}' but no 'sent' step was stored (lost, late, or sent to"
            " another URL)."
        )
    failed = next((step for step in steps if step.state == "failed"), None)
    if failed is not None:
        flags.append("failed")
        sentences.append(failed_sentence(provider, failed))
    return Lifecycle(provider, message_id, tuple(flagged), tuple(flags), tuple(sentences))


def _no_sent(steps: Sequence[Step]) -> bool:
    outgoing = any(step.direction == "out" for step in steps)
    beyond = any(RANKS.get(step.state, 0) >= RANKS["delivered"] for step in steps)
    return outgoing and beyond and not any(step.state == "sent" for step in steps)


def failed_sentence(provider: str, step: Step) -> str:
    """'Failed with error CODE (title): what it means.'"""
    text = "Failed"
    if step.error_code:
        text += f" with error {step.error_code}"
    if step.error_title:
        text += f" ({step.error_title})"
    meaning = providers.error_meaning(provider, step.error_code) if step.error_code else ""
    return f"{text}: {meaning}" if meaning else f"{text}."


# --- storage (on the writer's connection) ---------------------------------------------------

SCHEMA = (
    """CREATE TABLE lifecycle (
        request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        provider TEXT NOT NULL,
        message_id TEXT NOT NULL,
        chat TEXT NOT NULL DEFAULT '',
        direction TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        at_ms INTEGER,
        text TEXT NOT NULL DEFAULT '',
        error_code TEXT NOT NULL DEFAULT '',
        error_title TEXT NOT NULL DEFAULT '',
        flags TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (request_id, idx)
    ) WITHOUT ROWID""",
    "CREATE INDEX lifecycle_message ON lifecycle(message_id, provider, request_id)",
    "CREATE INDEX lifecycle_state ON lifecycle(state, request_id)",
    "CREATE INDEX lifecycle_flagged ON lifecycle(request_id) WHERE flags != ''",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL,
        message_id TEXT NOT NULL,
        chat TEXT NOT NULL DEFAULT '',
        direction TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        first_request INTEGER NOT NULL,
        last_request INTEGER NOT NULL,
        received_at_ns INTEGER NOT NULL,
        latest_state TEXT NOT NULL DEFAULT '',
        flags TEXT NOT NULL DEFAULT '',
        steps INTEGER NOT NULL DEFAULT 0,
        UNIQUE (provider, message_id)
    )""",
    "CREATE INDEX messages_state ON messages(latest_state, id)",
    "CREATE INDEX messages_chat ON messages(chat, id)",
    "CREATE INDEX messages_flagged ON messages(id) WHERE flags != ''",
    "CREATE TABLE lifecycle_backfill (next_id INTEGER NOT NULL, upto INTEGER NOT NULL)",
    "INSERT INTO lifecycle_backfill SELECT 1, max(id) FROM requests HAVING max(id) IS NOT NULL",
)
"""Tables and indexes of migration 4. `lifecycle_backfill` remembers the newest request
analysed before it: those get their steps when re-derived (`backfill_batch`)."""

_ENTRY_COLUMNS = (
    "l.request_id, r.received_at_ns, l.message_id, l.state, l.direction, l.chat, l.at_ms,"
    " l.text, l.error_code, l.error_title"
)


def store_steps(
    conn: sqlite3.Connection, request_id: int, derived: Derived, *, fresh: bool
) -> None:
    """Replace the lifecycle steps of one request and refresh the messages they are about
    (`fresh`: analysed for the first time, so it has no steps stored yet)."""
    touched: set[tuple[str, str]] = set()
    if not fresh:
        touched = _messages_of(conn, [request_id])
        conn.execute("DELETE FROM lifecycle WHERE request_id = ?", (request_id,))
    conn.executemany(
        "INSERT INTO lifecycle (request_id, idx, provider, message_id, chat, direction, state,"
        " at_ms, text, error_code, error_title) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (request_id, idx, derived.provider, s.message_id, s.chat, s.direction, s.state,
             s.at_ms, s.text, s.error_code, s.error_title)
            for idx, s in enumerate(derived.steps)
        ],
    )  # fmt: skip
    touched.update((derived.provider, step.message_id) for step in derived.steps)
    refresh(conn, touched)


def _messages_of(conn: sqlite3.Connection, ids: Sequence[int]) -> set[tuple[str, str]]:
    marks = ",".join("?" * len(ids))
    sql = f"SELECT DISTINCT provider, message_id FROM lifecycle WHERE request_id IN ({marks})"
    return {(row[0], row[1]) for row in conn.execute(sql, list(ids))}


def forget(conn: sqlite3.Connection, ids: Sequence[int]) -> Callable[[], None]:
    """Before deleting requests `ids`: returns what refreshes their messages afterwards."""
    touched = _messages_of(conn, ids) if ids else set()
    return lambda: refresh(conn, touched)


def read(conn: sqlite3.Connection, provider: str, message_id: str) -> Lifecycle:
    rows = conn.execute(
        f"SELECT {_ENTRY_COLUMNS} FROM lifecycle l JOIN requests r ON r.id = l.request_id"
        " WHERE l.message_id = ? AND l.provider = ? ORDER BY l.request_id, l.idx LIMIT ?",
        (message_id, provider, MAX_ENTRIES),
    ).fetchall()
    entries = [
        Entry(row[0], row[1], Step(row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                                   row[9]))
        for row in rows
    ]  # fmt: skip
    return assess(provider, message_id, entries)


def refresh(conn: sqlite3.Connection, messages: Iterable[tuple[str, str]]) -> None:
    """Recompute the flags of these messages' steps and their rows in ``messages``."""
    for provider, message_id in messages:
        life = read(conn, provider, message_id)
        if not life.entries:
            conn.execute(
                "DELETE FROM messages WHERE provider = ? AND message_id = ?",
                (provider, message_id),
            )
            continue
        _save_flags(conn, life)
        _save_message(conn, life)


def _save_flags(conn: sqlite3.Connection, life: Lifecycle) -> None:
    conn.execute(
        "UPDATE lifecycle SET flags = '' WHERE message_id = ? AND provider = ? AND flags != ''",
        (life.message_id, life.provider),
    )
    conn.executemany(
        "UPDATE lifecycle SET flags = ? WHERE request_id = ? AND message_id = ? AND provider = ?",
        [
            (",".join(e.flags), e.request_id, life.message_id, life.provider)
            for e in life.entries
            if e.flags
        ],
    )


def _save_message(conn: sqlite3.Connection, life: Lifecycle) -> None:
    steps = [entry.step for entry in life.entries]
    first = life.entries[0]
    row = (
        life.provider, life.message_id, _first(s.chat for s in steps),
        _first(s.direction for s in steps), _first(s.text for s in steps), first.request_id,
        life.entries[-1].request_id, first.received_at_ns, life.latest_state,
        ",".join(life.flags), len(steps),
    )  # fmt: skip
    conn.execute(
        "INSERT INTO messages (provider, message_id, chat, direction, text, first_request,"
        " last_request, received_at_ns, latest_state, flags, steps)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (provider, message_id) DO UPDATE SET"
        " chat=excluded.chat, direction=excluded.direction, text=excluded.text,"
        " first_request=excluded.first_request, last_request=excluded.last_request,"
        " received_at_ns=excluded.received_at_ns, latest_state=excluded.latest_state,"
        " flags=excluded.flags, steps=excluded.steps",
        row,
    )


def _first(values: Iterable[str]) -> str:
    return next((value for value in values if value), "")


def messages_of_request(conn: sqlite3.Connection, request_id: int) -> list[Lifecycle]:
    """The lifecycles of every message a request is about (in the order of its steps)."""
    rows = conn.execute(
        "SELECT provider, message_id FROM lifecycle WHERE request_id = ? ORDER BY idx LIMIT 20",
        (request_id,),
    ).fetchall()
    seen: dict[tuple[str, str], None] = dict.fromkeys((row[0], row[1]) for row in rows)
    return [read(conn, provider, message_id) for provider, message_id in seen]


# --- backfill -------------------------------------------------------------------------------


def backlog(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """(next id, last id) of the requests analysed before lifecycles existed that still wait
    to be re-derived, or None when none wait."""
    row = conn.execute("SELECT next_id, upto FROM lifecycle_backfill LIMIT 1").fetchone()
    return (int(row[0]), int(row[1])) if row else None


def backfill_batch(
    store: Store, derive: Callable[[StoredRequest], Derived], size: int = 200
) -> int:
    """Re-derive the next `size` waiting requests of providers with a lifecycle, oldest first
    (their steps and deliveries are stored); returns how many (0: nothing waits any more)."""
    waiting = backlog(store.reader())
    if waiting is None:
        return 0
    low, high = waiting
    names = providers.has_lifecycle()
    marks = ",".join("?" * len(names))
    rows = (
        store.reader()
        .execute(
            f"SELECT id FROM requests WHERE id BETWEEN ? AND ? AND provider IN ({marks})"
            " AND analysed = 1 ORDER BY id LIMIT ?",
            (low, high, *names, size),
        )
        .fetchall()
    )
    ids = [int(row[0]) for row in rows]
    store.apply_analysis([(stored.request.id or 0, derive(stored))
                          for stored in store.get_many(ids)])  # fmt: skip
    with store.transaction() as conn:
        if len(ids) == size:
            conn.execute("UPDATE lifecycle_backfill SET next_id = ?", (ids[-1] + 1,))
        else:
            conn.execute("DELETE FROM lifecycle_backfill")
    return max(len(ids), 1)
