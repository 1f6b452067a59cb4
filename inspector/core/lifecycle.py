"""Message lifecycles: every stored step about one message, and what is wrong with its order.

The provider modules say which steps a request carries (`Provider.lifecycle`); the store keeps
them in table ``lifecycle`` and one row per message in table ``messages``, both kept up to date
here on the writer's connection whenever a request is analysed or deleted: the steps of the
newest request are added from the message's row alone (a step is flagged against earlier steps
only, so those cannot change), anything else assesses the message again from its steps.
Flags:

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
"""Steps of one message that are read, listed and flagged (a message has a handful, a replay
storm thousands). The flags out-of-order, downgrade and no-sent come from these first steps;
the count of steps, the last request, the latest state and the flag failed cover every step."""


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
    """In arrival order: the first MAX_ENTRIES steps."""
    flags: tuple[str, ...]
    sentences: tuple[str, ...]
    """One plain sentence per message flag, in the order of `flags`."""
    steps: int
    """Every stored step (`entries` holds the first MAX_ENTRIES)."""
    last_request: int
    latest_state: str

    @property
    def by_provider_time(self) -> tuple[Entry, ...]:
        return tuple(sorted(self.entries, key=_provider_order))


@dataclass(frozen=True, slots=True)
class Rest:
    """What the steps of a message after its first MAX_ENTRIES add (nothing, for most)."""

    steps: int = 0
    last_request: int = 0
    state: str = ""
    """The state among them that decides the message's latest state (see `later_state`)."""
    failed: Step | None = None
    """The first failed one."""


def _provider_order(entry: Entry) -> tuple[int, int]:
    at = entry.step.at_ms
    return (at if at is not None else entry.received_at_ns // 1_000_000, entry.request_id)


def latest_state(steps: Sequence[Step]) -> str:
    """Failed when any step failed, else the furthest state reached, else the last one."""
    return later_state("", [step.state for step in steps])


def later_state(latest: str, states: Sequence[str]) -> str:
    """The latest state of a message once steps in `states` follow steps whose latest state was
    `latest` ("" for none): the same as `latest_state` of all of them, without the earlier ones
    (the furthest of equally far states is the earliest)."""
    if latest == "failed" or "failed" in states:
        return "failed"
    ranked = [state for state in states if state in RANKS]
    if latest in RANKS:
        ranked.insert(0, latest)
    if ranked:
        return max(ranked, key=RANKS.__getitem__)
    return states[-1] if states else latest


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


def assess(
    provider: str, message_id: str, entries: Iterable[Entry], rest: Rest = Rest()
) -> Lifecycle:
    """Flag the steps of one message (given in arrival order; `rest`: what the steps after
    the first MAX_ENTRIES add) and the message as a whole."""
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
    failed = next((step for step in steps if step.state == "failed"), rest.failed)
    if failed is not None:
        flags.append("failed")
        sentences.append(failed_sentence(provider, failed))
    last = rest.last_request or (flagged[-1].request_id if flagged else 0)
    latest = later_state(latest_state(steps), [rest.state] if rest.state else [])
    return Lifecycle(provider, message_id, tuple(flagged), tuple(flags), tuple(sentences),
                     len(flagged) + rest.steps, last, latest)  # fmt: skip


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
_INSERT_STEPS = (
    "INSERT INTO lifecycle (request_id, idx, provider, message_id, chat, direction, state,"
    " at_ms, text, error_code, error_title, flags) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)
_STEP_COLUMNS = "provider, message_id, chat, direction, state, at_ms, text, error_code, error_title"


def store_steps(
    conn: sqlite3.Connection,
    request_id: int,
    derived: Derived,
    *,
    fresh: bool,
    received_at_ns: int,
) -> set[tuple[str, str]]:
    """Store the lifecycle steps of one request (received at `received_at_ns`) and bring the
    messages they are about up to date (`fresh`: analysed for the first time, so it has no
    steps stored yet). Returns the messages that may have had steps before (the others are
    new)."""
    if fresh:
        return _append(conn, request_id, received_at_ns, derived)
    mine = {(derived.provider, step.message_id) for step in derived.steps}
    rows = _step_rows(request_id, derived, [""] * len(derived.steps))
    stored = conn.execute(
        f"SELECT {_STEP_COLUMNS} FROM lifecycle WHERE request_id = ? ORDER BY idx", (request_id,)
    ).fetchall()
    if stored == [row[2:-1] for row in rows]:
        return mine  # derived again with the same steps (a secret changed): nothing changes
    touched = _messages_of(conn, [request_id])
    conn.execute("DELETE FROM lifecycle WHERE request_id = ?", (request_id,))
    conn.executemany(_INSERT_STEPS, rows)
    refresh(conn, touched | mine)
    return touched | mine


def _step_rows(request_id: int, derived: Derived, flags: Sequence[str]) -> list[tuple[object, ...]]:
    return [
        (request_id, idx, derived.provider, s.message_id, s.chat, s.direction, s.state, s.at_ms,
         s.text, s.error_code, s.error_title, flag)
        for idx, (s, flag) in enumerate(zip(derived.steps, flags, strict=True))
    ]  # fmt: skip


# --- a request's steps added to their messages (the usual case: the newest request) --------


@dataclass(frozen=True, slots=True)
class _Row:
    """A message's row in table ``messages``."""

    chat: str
    direction: str
    text: str
    first_request: int
    last_request: int
    received_at_ns: int
    latest_state: str
    flags: str
    steps: int


def _append(
    conn: sqlite3.Connection, request_id: int, received_at_ns: int, derived: Derived
) -> set[tuple[str, str]]:
    """Store the steps of a request analysed for the first time. Each message it is about is
    updated from its row alone when this request is its newest, in a time that does not grow
    with its steps (the steps stored before cannot change: a step is flagged against earlier
    steps only); otherwise it is assessed again from its steps."""
    flags = [""] * len(derived.steps)
    seen: set[tuple[str, str]] = set()
    again: set[tuple[str, str]] = set()
    for message_id, indexes in _indexes_by_message(derived.steps).items():
        key = (derived.provider, message_id)
        row = _row(conn, key)
        if row is not None:
            seen.add(key)
        if row is not None and row.last_request >= request_id:
            again.add(key)  # later requests' steps are stored: assess it again from its steps
            continue
        entries = [Entry(request_id, received_at_ns, derived.steps[n]) for n in indexes]
        for n, flag in zip(indexes, _add_steps(conn, key, row, entries), strict=True):
            flags[n] = flag
    conn.executemany(_INSERT_STEPS, _step_rows(request_id, derived, flags))
    refresh(conn, again)
    return seen


def _indexes_by_message(steps: Sequence[Step]) -> dict[str, list[int]]:
    """The indexes of `steps` about each message, in order."""
    found: dict[str, list[int]] = {}
    for n, step in enumerate(steps):
        found.setdefault(step.message_id, []).append(n)
    return found


def _row(conn: sqlite3.Connection, key: tuple[str, str]) -> _Row | None:
    found = conn.execute(
        "SELECT chat, direction, text, first_request, last_request, received_at_ns,"
        " latest_state, flags, steps FROM messages WHERE provider = ? AND message_id = ?",
        key,
    ).fetchone()
    return None if found is None else _Row(*found)


def _add_steps(
    conn: sqlite3.Connection, key: tuple[str, str], row: _Row | None, new: Sequence[Entry]
) -> list[str]:
    """Add steps (of the newest request) to a message's row; returns their flags. Only steps
    among the first MAX_ENTRIES are flagged, against the steps stored before them."""
    had = set(row.flags.split(",")) if row is not None else set()
    room = max(0, MAX_ENTRIES - (row.steps if row is not None else 0))
    flagged, no_sent = _flagged(conn, key, row, new[:room]) if room else ([], "no-sent" in had)
    latest = later_state(row.latest_state if row else "", [entry.step.state for entry in new])
    on = (
        "out-of-order" in had or any("out-of-order" in entry.flags for entry in flagged),
        "downgrade" in had or any("downgrade" in entry.flags for entry in flagged),
        no_sent,
        latest == "failed",
    )
    old = row or _Row("", "", "", new[0].request_id, 0, new[0].received_at_ns, "", "", 0)
    first = [entry.step for entry in flagged]
    _save_row(conn, key, _Row(
        old.chat or _first(s.chat for s in first),
        old.direction or _first(s.direction for s in first),
        old.text or _first(s.text for s in first),
        old.first_request, new[-1].request_id, old.received_at_ns, latest,
        ",".join(name for name, flag in zip(FLAGS, on, strict=True) if flag),
        old.steps + len(new),
    ))  # fmt: skip
    return [",".join(entry.flags) for entry in flagged] + [""] * (len(new) - len(flagged))


def _flagged(
    conn: sqlite3.Connection, key: tuple[str, str], row: _Row | None, new: Sequence[Entry]
) -> tuple[list[Entry], bool]:
    """`new` steps (among the message's first MAX_ENTRIES) flagged against the steps stored
    before them, and whether the message then has no "sent" step (flag no-sent)."""
    before: list[Entry] = []
    if row is not None:
        last = _last_step(conn, key)
        if last and all((e.step.state, e.step.at_ms, e.step.direction) == last[:3] for e in new):
            # the same step again (a replay storm): flagged as the last one was, nothing new
            same = tuple(last[3].split(",")) if last[3] else ()
            again = [Entry(e.request_id, e.received_at_ns, e.step, same) for e in new]
            return again, "no-sent" in row.flags.split(",")
        before = _first_entries(conn, key)
    flagged: list[Entry] = []
    for entry in new:
        flagged.append(_flag_entry(entry, [*before, *flagged]))
    return flagged, _no_sent([entry.step for entry in (*before, *flagged)])


def _last_step(
    conn: sqlite3.Connection, key: tuple[str, str]
) -> tuple[str, int | None, str, str] | None:
    """State, provider time, direction and flags of a message's last stored step."""
    found: tuple[str, int | None, str, str] | None = conn.execute(
        "SELECT state, at_ms, direction, flags FROM lifecycle WHERE provider = ? AND"
        " message_id = ? ORDER BY request_id DESC, idx DESC LIMIT 1",
        key,
    ).fetchone()
    return found


def _first_entries(conn: sqlite3.Connection, key: tuple[str, str]) -> list[Entry]:
    """A message's first MAX_ENTRIES steps, with what flagging and `_no_sent` look at."""
    rows = conn.execute(
        "SELECT request_id, state, direction, at_ms FROM lifecycle WHERE provider = ? AND"
        " message_id = ? ORDER BY request_id, idx LIMIT ?",
        (*key, MAX_ENTRIES),
    ).fetchall()
    return [Entry(row[0], 0, Step(key[1], row[1], row[2], at_ms=row[3])) for row in rows]


# --- a message assessed from its steps (deletions, steps that changed, late arrivals) -------


def _messages_of(conn: sqlite3.Connection, ids: Sequence[int]) -> set[tuple[str, str]]:
    marks = ",".join("?" * len(ids))
    sql = f"SELECT DISTINCT provider, message_id FROM lifecycle WHERE request_id IN ({marks})"
    return {(row[0], row[1]) for row in conn.execute(sql, list(ids))}


def forget(conn: sqlite3.Connection, ids: Sequence[int]) -> Callable[[], None]:
    """Before deleting requests `ids`: returns what refreshes their messages afterwards."""
    touched = _messages_of(conn, ids) if ids else set()
    return lambda: refresh(conn, touched)


def read(conn: sqlite3.Connection, provider: str, message_id: str) -> Lifecycle:
    """Everything stored about one message: its first MAX_ENTRIES steps, and what the others
    add."""
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
    rest = _rest(conn, provider, message_id) if len(entries) == MAX_ENTRIES else Rest()
    return assess(provider, message_id, entries, rest)


_RANK_SQL = (
    "CASE state "
    + " ".join(f"WHEN '{state}' THEN {rank}" for state, rank in RANKS.items())
    + " WHEN 'failed' THEN 99 ELSE -1 END"
)
_REST_SQL = (
    "WITH rest AS (SELECT request_id, idx, state, error_code, error_title FROM lifecycle"
    " WHERE message_id = ? AND provider = ? ORDER BY request_id, idx LIMIT -1 OFFSET ?) "
)


def _rest(conn: sqlite3.Connection, provider: str, message_id: str) -> Rest:
    """What the steps of a message after its first MAX_ENTRIES add (read only for messages
    with that many steps: its time grows with their number)."""
    args = (message_id, provider, MAX_ENTRIES)
    count, last, top = conn.execute(
        _REST_SQL + f"SELECT count(*), max(request_id), max({_RANK_SQL}) FROM rest", args
    ).fetchone()
    if not count:
        return Rest()
    if top < 0:  # no state with a rank: the last one decides
        [state] = conn.execute(
            "SELECT state FROM lifecycle WHERE message_id = ? AND provider = ?"
            " ORDER BY request_id DESC, idx DESC LIMIT 1",
            (message_id, provider),
        ).fetchone()
        return Rest(count, last, state)
    state, code, title = conn.execute(  # the first failed step, else the first furthest one
        _REST_SQL + f"SELECT state, error_code, error_title FROM rest WHERE {_RANK_SQL} = ?"
        " ORDER BY request_id, idx LIMIT 1",
        (*args, top),
    ).fetchone()
    failed = Step(message_id, state, error_code=code, error_title=title)
    return Rest(count, last, state, failed if state == "failed" else None)


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


def recount(conn: sqlite3.Connection) -> None:
    """Assess again the messages whose rows may count only their first MAX_ENTRIES steps
    (rows written before every step was counted)."""
    rows = conn.execute(
        "SELECT provider, message_id FROM messages WHERE steps >= ?", (MAX_ENTRIES,)
    ).fetchall()
    refresh(conn, [(row[0], row[1]) for row in rows])


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
    row = _Row(
        _first(s.chat for s in steps), _first(s.direction for s in steps),
        _first(s.text for s in steps), first.request_id, life.last_request,
        first.received_at_ns, life.latest_state, ",".join(life.flags), life.steps,
    )  # fmt: skip
    _save_row(conn, (life.provider, life.message_id), row)


def _save_row(conn: sqlite3.Connection, key: tuple[str, str], row: _Row) -> None:
    conn.execute(
        "INSERT INTO messages (provider, message_id, chat, direction, text, first_request,"
        " last_request, received_at_ns, latest_state, flags, steps)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (provider, message_id) DO UPDATE SET"
        " chat=excluded.chat, direction=excluded.direction, text=excluded.text,"
        " first_request=excluded.first_request, last_request=excluded.last_request,"
        " received_at_ns=excluded.received_at_ns, latest_state=excluded.latest_state,"
        " flags=excluded.flags, steps=excluded.steps",
        (*key, row.chat, row.direction, row.text, row.first_request, row.last_request,
         row.received_at_ns, row.latest_state, row.flags, row.steps),
    )  # fmt: skip


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
