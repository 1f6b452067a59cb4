"""One message or event id delivered many times: analysis costs the same for every copy, and
what the messages row and the deliveries say stays right (or capped, and said so)."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from inspector.core import deliveries, lifecycle
from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.models import CapturedRequest
from inspector.core.store import SCHEMA_VERSION, Record, Store
from tests.core.senders import T0, Sender, meta_message, meta_status

WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA"
ROW_COLUMNS = (
    "provider, message_id, chat, direction, text, first_request, last_request, received_at_ns,"
    " latest_state, flags, steps"
)


def vm_steps(store: Store, action: Callable[[], object]) -> int:
    """SQLite VM instructions (in hundreds) the writer connection runs during `action`."""
    ticks = [0]

    def tick() -> int:
        ticks[0] += 1
        return 0

    conn = store.writer()
    conn.set_progress_handler(tick, 100)
    try:
        action()
    finally:
        conn.set_progress_handler(None, 100)
    return ticks[0]


@pytest.mark.parametrize("varied", [False, True], ids=["same-copy", "new-time-each"])
def test_the_2000th_delivery_costs_about_what_the_20th_does(
    store: Store, sender: Sender, varied: bool
) -> None:
    """A replay storm (the same body again and again: one event id, one message) or a
    message with ever new statuses: each copy's analysis reads neither every earlier delivery
    nor every earlier step (it did: 2,000 copies took minutes)."""
    cost: dict[int, int] = {}
    for n in range(1, 2001):
        body = meta_status(WAMID, "delivered", T0 + (n if varied else 0))
        if n in (20, 2000):
            cost[n] = vm_steps(store, lambda body=body: sender.send(body))
        else:
            sender.send(body)
        sender.wait(1)
    assert cost[2000] <= 3 * cost[20], cost
    row = store.reader().execute("SELECT steps, last_request, latest_state FROM messages")
    assert row.fetchall() == [(2000, sender.sent[-1], "delivered")]


def rows_and_flags(conn: sqlite3.Connection) -> tuple[list[tuple], list[tuple]]:
    rows = conn.execute(f"SELECT {ROW_COLUMNS} FROM messages ORDER BY provider, message_id")
    flags = conn.execute("SELECT request_id, idx, flags FROM lifecycle ORDER BY request_id, idx")
    return rows.fetchall(), flags.fetchall()


def assessed_again(store: Store) -> tuple[list[tuple], list[tuple]]:
    """`rows_and_flags` had every message been assessed from all its steps (the slow way; in a
    transaction rolled back)."""
    conn = store.writer()
    conn.execute("BEGIN IMMEDIATE")
    try:
        keys = conn.execute("SELECT provider, message_id FROM messages").fetchall()
        conn.execute("UPDATE lifecycle SET flags = 'x'")
        conn.execute("DELETE FROM messages")
        lifecycle.refresh(conn, keys)
        return rows_and_flags(conn)
    finally:
        conn.rollback()


STATES = ("sent", "delivered", "read", "failed", "received")


def random_bodies(rng: random.Random, count: int) -> list[bytes]:
    """Statuses (and messages) of three ids at five moments; often the previous one again."""
    bodies: list[bytes] = []
    for _ in range(count):
        if bodies and rng.random() < 0.4:
            bodies.append(bodies[-1])
            continue
        message = rng.choice(["wamid.A", "wamid.B", "wamid.C"])
        state = rng.choice(STATES[:3] * 4 + STATES[3:])
        at = T0 + rng.randrange(5)
        if state == "received":
            body = meta_message(message, "hi", at)
        else:
            error = (131047, "Re-engagement message") if state == "failed" else None
            body = meta_status(message, state, at, error)
        bodies.append(json.dumps(body).encode())
    return bodies


@pytest.mark.parametrize("seed", range(8))
def test_rows_kept_up_to_date_equal_rows_assessed_from_all_steps(
    store: Store, sender: Sender, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Statuses in any order, repeated past MAX_ENTRIES, some analysed after later ones (rows
    stored raw first): the row and the step flags each new request leaves behind are what
    assessing every message from all its steps gives."""
    monkeypatch.setattr(lifecycle, "MAX_ENTRIES", 6)
    rng = random.Random(seed)
    raw: list[tuple[int, CapturedRequest]] = []
    for body in random_bodies(rng, 80):
        if rng.random() < 0.2:
            request = CapturedRequest("POST", "/hook", body=body, received_at_ns=int(T0 * 1e9))
            raw += [(store.insert_many([Record(request, None, 200)])[0], request)]
        else:
            sender.send(body)
        if raw and rng.random() < 0.1:
            request_id, request = raw.pop(rng.randrange(len(raw)))
            store.apply_analysis([(request_id, derive(request, Settings()))])
        assert rows_and_flags(store.reader()) == assessed_again(store)
    store.apply_analysis([(i, derive(request, Settings())) for i, request in raw])
    kept = rows_and_flags(store.reader())
    assert kept == assessed_again(store)
    assert max(row[-1] for row in kept[0]) > 6  # some messages went past MAX_ENTRIES


def test_a_message_past_max_entries_counts_every_step(
    store: Store, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle, "MAX_ENTRIES", 4)
    sender.send(meta_status(WAMID, "sent", T0))
    for n in range(6):
        sender.send(meta_status(WAMID, "delivered", T0 + 1 + n))
    failed = sender.send(meta_status(WAMID, "failed", T0 + 9, (131047, "Re-engagement message")))
    sender.send(meta_status(WAMID, "read", T0 + 10))
    [row] = rows_and_flags(store.reader())[0]
    assert row[5:] == (1, sender.sent[-1], int(T0 * 1e9), "failed", "failed", 9)
    [life] = lifecycle.messages_of_request(store.reader(), failed)
    assert (life.steps, life.last_request, life.latest_state) == (9, sender.sent[-1], "failed")
    assert len(life.entries) == 4
    assert life.flags == ("failed",)
    assert "24-hour window" in life.sentences[0]


def test_a_late_sent_past_max_entries_changes_no_flag(
    store: Store, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The flags out-of-order, downgrade and no-sent come from the first MAX_ENTRIES steps."""
    monkeypatch.setattr(lifecycle, "MAX_ENTRIES", 3)
    for n in range(4):
        sender.send(meta_status(WAMID, "read", T0 + 5 + n))
    late = sender.send(meta_status(WAMID, "sent", T0))
    assert rows_and_flags(store.reader())[0][0][-3:] == ("read", "no-sent", 5)
    assert store.reader().execute(
        "SELECT flags FROM lifecycle WHERE request_id = ?", (late,)
    ).fetchone() == ("",)


def test_repeats_are_counted_up_to_the_limit_and_the_reason_says_so(
    store: Store, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliveries, "COUNT_LIMIT", 3)
    stripe = json.dumps({"id": "evt_1NG8", "object": "event", "type": "customer.created",
                         "data": {"object": {}}}).encode()  # fmt: skip
    ids = []
    for _ in range(6):
        ids.append(sender.send(stripe, 500))
        sender.wait(60)
    found = deliveries.chain(store.reader(), ids[0])
    assert [(d.request_id, d.kind, d.attempt) for d in found] == [
        (ids[0], "", 1), (ids[1], "retry", 2), (ids[2], "retry", 3), (ids[3], "retry", 4),
        (ids[4], "retry", 4), (ids[5], "retry", 4),
    ]  # fmt: skip
    assert "More than 3 deliveries" not in found[3].reason
    assert "More than 3 deliveries of this event came before it" in found[4].reason
    duplicates = store.reader().execute("SELECT DISTINCT duplicate_of FROM requests WHERE id > ?",
                                        (ids[0],))  # fmt: skip
    assert duplicates.fetchall() == [(ids[0],)]
    assert all(d.gap_ms == 60_000 for d in found[1:])


def test_rederiving_with_the_same_steps_changes_nothing(store: Store, sender: Sender) -> None:
    """A secret changed: every request is derived again with the same steps; their message is
    not assessed again (that read all its steps once per request: 8,000-10,000 VM steps for
    one of 300 steps, against 100-1,700 now)."""
    for n in range(300):
        sender.send(meta_status(WAMID, "delivered", T0 + n))
    before = rows_and_flags(store.reader())
    for request_id in (1, 150, 300):
        stored = store.get(request_id)
        assert stored is not None
        again = [(request_id, derive(stored.request, Settings()))]
        assert vm_steps(store, lambda again=again: store.apply_analysis(again)) < 30
    assert rows_and_flags(store.reader()) == before


def test_migration_6_indexes_event_ids_by_provider_and_recounts_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lifecycle, "MAX_ENTRIES", 3)
    path = tmp_path / "old.db"
    store = Store.open(path)
    sender = Sender(store)
    for n in range(5):
        sender.send(meta_status(WAMID, "delivered", T0 + n))
    store.close()
    conn = sqlite3.connect(path, isolation_level=None)  # as schema 5 left it
    conn.execute("UPDATE messages SET steps = 3, last_request = 3")
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    store = Store.open(path)
    try:
        conn = store.reader()
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        columns = [row[2] for row in conn.execute("PRAGMA index_info('events_event_id')")]
        assert columns == ["event_id", "provider", "request_id"]
        assert conn.execute("SELECT steps, last_request FROM messages").fetchall() == [(5, 5)]
    finally:
        store.close()
