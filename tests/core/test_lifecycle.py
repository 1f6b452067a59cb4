"""Message lifecycles: each provider's steps, the flags, the tables, the filter terms."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from inspector.core import lifecycle
from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.filters import FilterError, compile_filter
from inspector.core.models import CapturedRequest, Step
from inspector.core.service import InspectorService
from inspector.core.store import MIGRATIONS, Record, Store
from tests.core.senders import (
    T0,
    Sender,
    meta_message,
    meta_status,
    waha,
    waha_ack,
    waha_text,
)
from tests.polling import until

WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA"
WAHA_ID = "true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C"



def steps_of(body: dict) -> tuple[Step, ...]:
    request = CapturedRequest("POST", "/hook", body=json.dumps(body).encode())
    return derive(request, Settings()).steps


def matching(store: Store, text: str) -> list[int]:
    found = compile_filter(text)
    return sorted(store.ids_after(0, found.where, found.params))


# --- each provider's steps ------------------------------------------------------------------

MS = int(T0 * 1000)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (meta_message("wamid.IN", "hello", T0), ("wamid.IN", "received", "in", "16505551234")),
        (meta_status(WAMID, "read", T0), (WAMID, "read", "out", "16505551234")),
        (waha("message", waha_text(WAHA_ID, "hi", T0, from_me=True), T0),
         (WAHA_ID, "sent", "out", "11111111111@c.us")),
        (waha("message.ack", waha_ack(WAHA_ID + "_9999@lid", 3, T0), T0),
         (WAHA_ID, "read", "out", "11111111111@c.us")),
        ({"eventId": "e1", "instanceId": "i", "eventType": "message_read",
          "eventData": {"chatId": "1@s.whatsapp.net", "messageIds": ["M1"], "receiptType": "read",
                        "time": "2026-05-29T10:13:20Z", "messageSender": {"isMe": True}}},
         ("M1", "read", "out", "1@s.whatsapp.net")),
        ({"eventId": "e2", "instanceId": "i", "eventType": "message",
          "eventData": {"id": "M2", "chatId": "1@s.whatsapp.net", "type": "text", "text": "yo",
                        "sender": {"isMe": False}, "time": "2026-05-29T10:13:20Z"}},
         ("M2", "received", "in", "1@s.whatsapp.net")),
        ({"event": "message.ack", "device_id": "d", "timestamp": "2026-05-29T10:13:20Z",
          "payload": {"ids": ["G1"], "chat_id": "2@s.whatsapp.net", "receipt_type": "delivered"}},
         ("G1", "delivered", "out", "2@s.whatsapp.net")),
        ({"event": "messages.update", "instance": "x", "date_time": "2026-05-29T10:13:20.000Z",
          "data": {"keyId": "E1", "remoteJid": "3@s.whatsapp.net", "fromMe": True, "status": 4}},
         ("E1", "read", "out", "3@s.whatsapp.net")),
        ({"event": "messages.upsert", "instance": "x", "data": {
            "key": {"remoteJid": "3@s.whatsapp.net", "fromMe": False, "id": "E2"},
            "message": {"conversation": "Olá"}, "messageTimestamp": int(T0)}},
         ("E2", "received", "in", "3@s.whatsapp.net")),
        ({"typeWebhook": "outgoingMessageStatus", "instanceData": {"idInstance": 1},
          "timestamp": int(T0), "idMessage": "GR1", "chatId": "4@c.us", "status": "delivered"},
         ("GR1", "delivered", "out", "4@c.us")),
        ({"type": "message.read", "timestamp": "2026-05-29T10:13:20Z",
          "data": {"messageId": "V1", "sessionId": "main", "to": "905551234567"}},
         ("V1", "read", "out", "905551234567")),
    ],
)  # fmt: skip
def test_each_provider_names_message_state_direction_and_chat(body, expected) -> None:
    [step] = steps_of(body)
    assert (step.message_id, step.state, step.direction, step.chat) == expected
    assert step.at_ms is not None


def test_provider_timestamps_in_seconds_ms_and_iso_agree() -> None:
    [meta] = steps_of(meta_status(WAMID, "sent", T0))
    [waha_step] = steps_of(waha("message.ack", waha_ack(WAHA_ID, 1, T0), T0))
    [green] = steps_of({"typeWebhook": "outgoingMessageStatus", "instanceData": {},
                        "timestamp": int(T0), "idMessage": "X", "status": "sent"})  # fmt: skip
    assert meta.at_ms == waha_step.at_ms == green.at_ms == MS


def test_requests_without_messages_have_no_steps() -> None:
    assert (
        steps_of({"event": "session.status", "session": "s", "payload": {"status": "WORK"}}) == ()
    )
    assert steps_of({"object": "whatsapp_business_account", "entry": "junk"}) == ()


# --- flags ----------------------------------------------------------------------------------


def test_read_before_delivered_is_out_of_order_and_filterable(store: Store, sender: Sender) -> None:
    sent = sender.send(meta_status(WAMID, "sent", T0))
    read = sender.send(meta_status(WAMID, "read", T0 + 20))
    delivered = sender.send(meta_status(WAMID, "delivered", T0 + 10))
    [life] = lifecycle.messages_of_request(store.reader(), delivered)
    assert [e.request_id for e in life.entries] == [sent, read, delivered]
    assert [e.request_id for e in life.by_provider_time] == [sent, delivered, read]
    assert life.flags == ("out-of-order",)
    assert "arrived after 'read'" in life.sentences[0]
    assert life.latest_state == "read"
    assert matching(store, "is:out-of-order") == [delivered]
    assert matching(store, "state:read") == [read]
    assert matching(store, f"msg:{WAMID}") == [sent, read, delivered]
    assert matching(store, "msg:wamid.HBgL*") == [sent, read, delivered]


def test_a_lower_state_reported_later_is_a_downgrade(store: Store, sender: Sender) -> None:
    sender.send(meta_status(WAMID, "sent", T0))
    sender.send(meta_status(WAMID, "delivered", T0 + 5))
    late = sender.send(meta_status(WAMID, "sent", T0 + 9))
    [life] = lifecycle.messages_of_request(store.reader(), late)
    assert "downgrade" in life.flags
    assert matching(store, "is:downgrade") == [late]


def test_no_sent_seen_for_an_outgoing_message(store: Store, sender: Sender) -> None:
    sender.send(waha("message.ack", waha_ack(WAHA_ID, 2, T0), T0))
    read = sender.send(waha("message.ack", waha_ack(WAHA_ID, 3, T0 + 4), T0 + 4))
    [life] = lifecycle.messages_of_request(store.reader(), read)
    assert life.flags == ("no-sent",)
    assert "No 'sent' seen" in life.sentences[0]
    assert matching(store, "is:no-sent") == sender.sent


def test_failed_says_the_code_title_and_documented_meaning(store: Store, sender: Sender) -> None:
    failed = sender.send(meta_status(WAMID, "failed", T0, (131047, "Re-engagement message")))
    [life] = lifecycle.messages_of_request(store.reader(), failed)
    assert life.flags == ("failed",)
    sentence = life.sentences[0]
    assert "131047" in sentence
    assert "Re-engagement message" in sentence
    assert "24-hour window" in sentence
    assert matching(store, "state:failed") == [failed] == matching(store, "is:failed")


def test_green_api_no_account_is_a_failure_with_its_meaning(sender: Sender, store: Store) -> None:
    body = {"typeWebhook": "outgoingMessageStatus", "instanceData": {}, "timestamp": int(T0),
            "idMessage": "GR1", "status": "noAccount"}  # fmt: skip
    request_id = sender.send(body)
    [life] = lifecycle.messages_of_request(store.reader(), request_id)
    assert "no WhatsApp account" in life.sentences[-1]


def test_in_order_statuses_raise_no_flag(store: Store, sender: Sender) -> None:
    for offset, state in enumerate(("sent", "delivered", "read")):
        last = sender.send(meta_status(WAMID, state, T0 + offset))
    [life] = lifecycle.messages_of_request(store.reader(), last)
    assert life.flags == ()
    assert matching(store, "is:out-of-order") == []


# --- the messages table ---------------------------------------------------------------------


def message_rows(store: Store) -> list[tuple]:
    return (
        store.reader()
        .execute(
            "SELECT message_id, direction, text, latest_state, flags, steps FROM messages"
            " ORDER BY id"
        )
        .fetchall()
    )


def test_one_row_per_message_with_latest_state_and_flags(store: Store, sender: Sender) -> None:
    sender.send(meta_message("wamid.IN", "hello there", T0))
    sender.send(meta_status(WAMID, "read", T0 + 2))
    sender.send(meta_status(WAMID, "delivered", T0 + 1))
    assert message_rows(store) == [
        ("wamid.IN", "in", "hello there", "received", "", 1),
        (WAMID, "out", "", "read", "out-of-order,no-sent", 2),
    ]


def test_deleting_requests_refreshes_their_messages(store: Store, sender: Sender) -> None:
    read = sender.send(meta_status(WAMID, "read", T0 + 2))
    delivered = sender.send(meta_status(WAMID, "delivered", T0 + 1))
    store.delete([read])
    assert message_rows(store) == [(WAMID, "out", "", "delivered", "no-sent", 1)]
    store.delete([delivered])
    assert message_rows(store) == []
    sender.send(meta_status(WAMID, "read", T0))
    store.clear()
    assert message_rows(store) == []


def test_rederiving_a_request_replaces_its_steps(store: Store, sender: Sender) -> None:
    request_id = sender.send(meta_status(WAMID, "read", T0))
    stored = store.get(request_id)
    assert stored is not None
    store.update_derived(request_id, derive(stored.request, Settings()))
    count = store.reader().execute("SELECT count(*) FROM lifecycle").fetchone()[0]
    assert count == 1
    assert message_rows(store)[0][-1] == 1


def make_old_database(path: Path, bodies: list[dict]) -> None:
    """A database at schema version 2 (before lifecycles) with these bodies analysed."""
    conn = sqlite3.connect(path, isolation_level=None)
    import sqlite_utils

    for number, migration in enumerate(MIGRATIONS[:2], start=1):
        migration(sqlite_utils.Database(conn))
        conn.execute(f"PRAGMA user_version = {number}")
    for body in bodies:
        conn.execute(
            "INSERT INTO requests (received_at_ns, method, path, body, provider, analysed)"
            " VALUES (?, 'POST', '/hook', ?, 'meta', 1)",
            (int(T0 * 1e9), json.dumps(body).encode()),
        )
    conn.execute("PRAGMA application_id = 1464355657")
    conn.close()


def test_rows_analysed_before_the_migration_get_steps_on_backfill(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_old_database(path, [meta_status(WAMID, "read", T0)])
    store = Store.open(path)
    try:
        assert lifecycle.backlog(store.reader()) == (1, 1)
        assert message_rows(store) == []
        settings = Settings()
        assert lifecycle.backfill_batch(store, lambda s: derive(s.request, settings)) == 1
        assert message_rows(store) == [(WAMID, "out", "", "read", "no-sent", 1)]
        assert lifecycle.backlog(store.reader()) is None
        assert lifecycle.backfill_batch(store, lambda s: derive(s.request, settings)) == 0
    finally:
        store.close()


def test_new_database_has_nothing_to_backfill(store: Store) -> None:
    assert lifecycle.backlog(store.reader()) is None


def test_record_without_analysis_has_no_steps_until_analysed(store: Store) -> None:
    body = json.dumps(meta_status(WAMID, "read", T0)).encode()
    request = CapturedRequest("POST", "/hook", body=body, received_at_ns=int(T0 * 1e9))
    [request_id] = store.insert_many([Record(request, None, 200)])
    assert message_rows(store) == []
    store.apply_analysis([(request_id, derive(request, Settings()))])
    assert len(message_rows(store)) == 1


async def test_the_service_backfills_an_older_database_when_it_starts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_old_database(path, [meta_status(f"wamid.{n}", "read", T0) for n in range(450)])
    service = InspectorService(Settings(db_path=path, port=0))
    await service.start(listen=False)
    try:
        store = service.store
        assert store is not None
        await until(lambda: lifecycle.backlog(store.reader()) is None, 30)
        count = store.reader().execute("SELECT count(*) FROM messages").fetchone()[0]
        assert count == 450
    finally:
        await service.stop()


async def test_statuses_posted_out_of_order_to_the_receiver(tmp_path: Path) -> None:
    service = InspectorService(Settings(db_path=tmp_path / "s.db", port=0))
    await service.start()
    try:
        async with aiohttp.ClientSession() as session:
            for state, offset in (("sent", 0), ("read", 20), ("delivered", 10)):
                body = json.dumps(meta_status(WAMID, state, T0 + offset)).encode()
                async with session.post(f"{service.url}/webhook", data=body) as answer:
                    assert answer.status == 200
        await service.settled()
        assert service.store is not None
        [delivered] = matching(service.store, "is:out-of-order")
        assert service.store.get(delivered).derived.event_type == "statuses.delivered"
    finally:
        await service.stop()


def test_is_keeps_the_flags_of_has_and_names_every_value_when_unknown(store: Store) -> None:
    assert matching(store, "is:body is:duplicate is:refused is:header:x-a") == []
    with pytest.raises(FilterError) as error:
        compile_filter("is:nonsense")
    assert "out-of-order" in str(error.value)
    assert "retry" in str(error.value)
