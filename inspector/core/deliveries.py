"""Deliveries: when a provider sends an event again, was it a retry, a redelivery, or the same
content under a new id?

A request whose provider event id (Meta message id + status, WAHA/WSAPI/Stripe/Standard event
ids, ``X-GitHub-Delivery``...) was seen before is a repeat of the latest earlier request with
that id:

- **retry**: we answered that previous delivery with a non-2xx status, or gave no answer;
- **redelivery**: we answered it with a 2xx and the provider sent it again anyway.

A request with a new event id whose lifecycle step (same message, same state) was stored less
than `SAME_CONTENT_WINDOW` seconds before is **same-content** (WAHA ``message`` +
``message.any``, two subscriptions to one URL). Retry intervals are compared with the schedule
the provider documents (`Provider.retry_schedule`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from inspector.core import providers
from inspector.core.models import Derived, Event

SAME_CONTENT_WINDOW = 60.0
"""Seconds within which identical content under a new id counts as the same message."""
KINDS = ("retry", "redelivery", "same-content")

SCHEMA = (
    """CREATE TABLE deliveries (
        request_id INTEGER PRIMARY KEY REFERENCES requests(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        previous_id INTEGER NOT NULL,
        gap_ms INTEGER NOT NULL,
        reason TEXT NOT NULL
    )""",
    "CREATE INDEX deliveries_kind ON deliveries(kind, request_id)",
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the previous delivery got: our status, and the forward target's when forwarded."""

    request_id: int
    received_at_ns: int
    status: int | None
    forward_status: int | None = None
    forward_ms: float | None = None
    forward_error: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request in a chain of deliveries of the same event."""

    request_id: int
    received_at_ns: int
    status: int | None
    kind: str = ""
    """"" for the first delivery, else one of KINDS."""
    attempt: int = 1
    gap_ms: int = 0
    reason: str = ""


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def _forward_words(previous: Answer, deadline: float | None) -> str:
    if previous.forward_error:
        return f"; the forward target failed ({previous.forward_error})"
    if previous.forward_status is None and previous.forward_ms is None:
        return ""
    text = f"; the forward target answered {previous.forward_status or 'nothing'}"
    if previous.forward_ms is not None:
        text += f" in {previous.forward_ms / 1000:.1f} s"
        if deadline is not None and previous.forward_ms > deadline * 1000:
            text += f", longer than the provider waits ({deadline:g} s)"
    return text


def classify(
    previous: Answer,
    attempt: int,
    gap_s: float,
    provider: str,
    scheme: str = "",
) -> tuple[str, str]:
    """(kind, reason in words) of a repeat of `previous` (attempt >= 2), `gap_s` later."""
    found = providers.answer_deadline(provider, scheme)
    deadline = found[1] if found else None
    extra = _forward_words(previous, deadline)
    prev = f"delivery #{previous.request_id}"
    if previous.status is None:
        return "retry", f"Retry: we gave no answer to {prev}{extra}." + _schedule_note(
            provider, scheme, attempt, gap_s
        )
    if not _ok(previous.status):
        return "retry", f"Retry: we answered {previous.status} to {prev}{extra}." + (
            _schedule_note(provider, scheme, attempt, gap_s)
        )
    return "redelivery", (
        f"Redelivery: we answered {previous.status} to {prev}{extra}, and the provider sent "
        "it again anyway."
    )


def _schedule_note(provider: str, scheme: str, attempt: int, gap_s: float) -> str:
    """How the interval compares with the documented schedule, or "" when none is known."""
    found = providers.retry_schedule(provider, scheme)
    if found is None:
        return ""
    who, schedule = found
    retry = attempt - 1
    expected = schedule[min(retry, len(schedule)) - 1]
    if abs(gap_s - expected) <= max(1.0, expected * 0.25):
        return f" {gap_s:.1f} s later, as {who} documents ({expected:g} s before retry {retry})."
    return (
        f" {gap_s:.1f} s later, but {who} documents {expected:g} s before retry {retry}:"
        " the interval differs from its schedule."
    )


# --- storage (on the writer's connection) ---------------------------------------------------


COUNT_LIMIT = 100
"""Earlier deliveries of one event id counted at most (far more than any provider's retries): a
request after more than this many is attempt COUNT_LIMIT + 1 and its reason says so, and
analysing a replay storm's copies costs the same for the millionth as for the hundredth."""


@dataclass(frozen=True, slots=True)
class Earlier:
    """Earlier deliveries of a request's event id: the first and the latest request, and how
    many there are, at most COUNT_LIMIT + 1 (all 0: none)."""

    first: int = 0
    latest: int = 0
    count: int = 0

    @property
    def attempt(self) -> int:
        """This request's attempt number (at most COUNT_LIMIT + 1: see `capped`)."""
        return min(self.count, COUNT_LIMIT) + 1

    @property
    def capped(self) -> bool:
        """More than COUNT_LIMIT earlier deliveries: `attempt` is a lower bound."""
        return self.count > COUNT_LIMIT


_EARLIER = (
    # `event_id != ''` lets SQLite use the partial index events_event_id (event_id, provider,
    # request_id): the newest COUNT_LIMIT + 1 entries of the id before this request, or the
    # oldest one, are read from one end of its range
    "SELECT DISTINCT request_id FROM events WHERE event_id = ? AND event_id != ''"
    " AND provider = ? AND request_id < ? ORDER BY request_id"
)


def earlier(conn: sqlite3.Connection, request_id: int, events: Sequence[Event]) -> Earlier:
    """The earlier deliveries of the first of these event ids that has any (one look-up serves
    the duplicate flag and the delivery record)."""
    for event in events:
        if not event.event_id:
            continue
        key = (event.event_id, event.provider, request_id)
        count, first, latest = conn.execute(
            f"SELECT count(*), min(request_id), max(request_id) FROM ({_EARLIER} DESC LIMIT ?)",
            (*key, COUNT_LIMIT + 1),
        ).fetchone()
        if not count:
            continue
        if count > COUNT_LIMIT:  # the first one is further back
            [first] = conn.execute(f"{_EARLIER} LIMIT 1", key).fetchone()
        return Earlier(int(first), int(latest), int(count))
    return Earlier()


SAME_CONTENT_SQL = (
    "SELECT max(l.request_id) FROM lifecycle l INDEXED BY lifecycle_message"
    " WHERE l.message_id = ? AND l.provider = ? AND l.state = ? AND l.text = ? AND l.request_id < ?"
    " AND (l.text != '' OR EXISTS"
    " (SELECT 1 FROM events e WHERE e.request_id = l.request_id AND e.event_type = ?))"
)
"""The latest earlier step of the same message, state and text. It must search the message's
index: left to itself SQLite picked the state index and read every "received" step of the
history, for every analysed message (6 ms a request at 25,000 rows, analysis fell to 160/s)."""


def _same_content(
    conn: sqlite3.Connection, request_id: int, derived: Derived, seen: Collection[tuple[str, str]]
) -> int:
    """An earlier request carrying the same lifecycle step (message, state and text; a step
    without text only from an event of the same type), or 0. Only the messages in `seen` can
    have earlier steps."""
    for step in derived.steps:
        if (derived.provider, step.message_id) not in seen:
            continue
        row = conn.execute(
            SAME_CONTENT_SQL,
            (step.message_id, derived.provider, step.state, step.text, request_id,
             derived.event_type),
        ).fetchone()  # fmt: skip
        if row and row[0] is not None:
            return int(row[0])
    return 0


def answer_of(conn: sqlite3.Connection, request_id: int) -> Answer | None:
    row = conn.execute(
        "SELECT received_at_ns, response_status, refused FROM requests WHERE id = ?",
        (request_id,),
    ).fetchone()
    if row is None:
        return None
    forward = conn.execute(
        "SELECT status, latency_ms, error FROM replays WHERE request_id = ? AND kind = 'forward'"
        " ORDER BY id DESC LIMIT 1",
        (request_id,),
    ).fetchone()
    status = None if row[2] is not None else row[1]
    if forward is None:
        return Answer(request_id, int(row[0]), status)
    return Answer(request_id, int(row[0]), status, forward[0], forward[1], forward[2])


SAVE_SQL = (
    "INSERT OR REPLACE INTO deliveries (request_id, kind, attempt, previous_id, gap_ms, reason)"
    " VALUES (?,?,?,?,?,?)"
)
"""Stores what `delivery_row` returns (the store writes a batch's rows together)."""
Row = tuple[int, str, int, int, int, str]


def delivery_row(
    conn: sqlite3.Connection,
    request_id: int,
    received_at_ns: int,
    derived: Derived,
    scheme: str,
    repeats: Earlier,
    seen: Collection[tuple[str, str]],
) -> Row | None:
    """The ``deliveries`` row of a request received at `received_at_ns` (`repeats`: its
    earlier deliveries; `seen`: the messages of its steps that may have earlier steps), or
    None when it repeats nothing."""
    previous_id = repeats.latest
    if not previous_id:
        return _same_content_row(conn, request_id, received_at_ns, derived, seen)
    previous = answer_of(conn, previous_id)
    if previous is None:
        return None
    gap_s = (received_at_ns - previous.received_at_ns) / 1e9
    kind, reason = classify(previous, repeats.attempt, gap_s, derived.provider, scheme)
    if repeats.capped:
        reason += (
            f" More than {COUNT_LIMIT} deliveries of this event came before it (the attempt"
            f" number stops counting at {COUNT_LIMIT + 1})."
        )
    return (request_id, kind, repeats.attempt, previous_id, round(gap_s * 1000), reason)


def _same_content_row(
    conn: sqlite3.Connection,
    request_id: int,
    received_at_ns: int,
    derived: Derived,
    seen: Collection[tuple[str, str]],
) -> Row | None:
    previous_id = _same_content(conn, request_id, derived, seen) if derived.steps else 0
    previous = answer_of(conn, previous_id) if previous_id else None
    if previous is None:
        return None
    gap_s = (received_at_ns - previous.received_at_ns) / 1e9
    if not 0 <= gap_s <= SAME_CONTENT_WINDOW:
        return None
    reason = (
        f"Same content, new id: request #{previous_id} carried the same message and state"
        f" {gap_s:.1f} s earlier under another event id (two event types or two"
        " subscriptions deliver it twice)."
    )
    return (request_id, "same-content", 2, previous_id, round(gap_s * 1000), reason)


def chain(conn: sqlite3.Connection, request_id: int) -> list[Delivery]:
    """Every delivery of the event(s) of this request (by event id, plus same-content
    repeats), oldest first; [] when it was delivered once."""
    ids = {request_id}
    events = conn.execute(
        "SELECT DISTINCT event_id, provider FROM events WHERE request_id = ? AND event_id != ''",
        (request_id,),
    ).fetchall()
    for event_id, provider in events[:20]:
        rows = conn.execute(
            "SELECT DISTINCT request_id FROM events WHERE event_id = ? AND event_id != ''"
            " AND provider = ? LIMIT 200",
            (event_id, provider),
        )
        ids.update(int(row[0]) for row in rows)
    ids.update(_linked(conn, ids))
    return _deliveries(conn, sorted(ids)) if len(ids) > 1 else []


def _linked(conn: sqlite3.Connection, ids: set[int]) -> set[int]:
    """Requests linked to these as same-content repeats, either way."""
    marks = ",".join("?" * len(ids))
    found = conn.execute(
        f"SELECT request_id, previous_id FROM deliveries WHERE kind = 'same-content' AND"
        f" (request_id IN ({marks}) OR previous_id IN ({marks}))",
        [*ids, *ids],
    ).fetchall()
    return {int(value) for row in found for value in row}


def _deliveries(conn: sqlite3.Connection, ids: Sequence[int]) -> list[Delivery]:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        "SELECT r.id, r.received_at_ns, r.response_status, d.kind, d.attempt, d.gap_ms,"
        f" d.reason FROM requests r LEFT JOIN deliveries d ON d.request_id = r.id"
        f" WHERE r.id IN ({marks}) ORDER BY r.id",
        list(ids),
    ).fetchall()
    return [
        Delivery(row[0], row[1], row[2], row[3] or "", row[4] or 1, row[5] or 0, row[6] or "")
        for row in rows
    ]
