"""Repeated deliveries: retry, redelivery or same content under a new id."""

from __future__ import annotations

import json

from inspector.core import deliveries
from inspector.core.filters import compile_filter
from inspector.core.models import ReplayAttempt
from inspector.core.store import Store
from tests.core.senders import T0, Sender, meta_status, waha, waha_ack, waha_text

WAHOOKS = (("X-WAHooks-Signature", "sha256=00"), ("X-WAHooks-Timestamp", str(int(T0))))
WAHA_ID = "false_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"



def chain(store: Store, request_id: int) -> list[deliveries.Delivery]:
    return deliveries.chain(store.reader(), request_id)


def matching(store: Store, text: str) -> list[int]:
    found = compile_filter(text)
    return sorted(store.ids_after(0, found.where, found.params))


def test_wahooks_retries_on_its_schedule_after_our_500s(store: Store, sender: Sender) -> None:
    body = waha("message", waha_text(WAHA_ID, "hi", T0), T0, event_id="evt_1")
    ids = sender.deliver(body, [500, 500, 200], WAHOOKS_SCHEDULE, WAHOOKS)
    found = chain(store, ids[-1])
    assert [d.request_id for d in found] == ids
    assert [(d.kind, d.attempt, d.gap_ms) for d in found] == [
        ("", 1, 0), ("retry", 2, 5000), ("retry", 3, 10000),
    ]  # fmt: skip
    assert found[1].reason.startswith(f"Retry: we answered 500 to delivery #{ids[0]}")
    assert "as wahooks documents (5 s before retry 1)" in found[1].reason
    assert "(10 s before retry 2)" in found[2].reason
    assert matching(store, "is:retry") == ids[1:]
    assert matching(store, "is:duplicate") == ids[1:]


WAHOOKS_SCHEDULE = (5.0, 10.0, 20.0, 40.0, 80.0)


def test_a_retry_off_the_documented_schedule_is_called_out(store: Store, sender: Sender) -> None:
    body = waha("message", waha_text(WAHA_ID, "hi", T0), T0, event_id="evt_2")
    ids = sender.deliver(body, [503, 200], (30.0,), WAHOOKS)
    [_, retry] = chain(store, ids[0])
    assert "30.0 s later, but wahooks documents 5 s before retry 1" in retry.reason
    assert "differs from its schedule" in retry.reason


def test_no_answer_is_a_retry(store: Store, sender: Sender) -> None:
    body = meta_status("wamid.X", "read", T0)
    ids = sender.deliver(body, [None, 200], (60.0,))
    [_, retry] = chain(store, ids[1])
    assert retry.kind == "retry"
    assert "we gave no answer to delivery" in retry.reason
    assert "documents" not in retry.reason  # Meta documents no schedule in seconds


def test_a_2xx_answered_event_sent_again_is_a_redelivery(store: Store, sender: Sender) -> None:
    stripe = json.dumps({"id": "evt_1NG8", "object": "event", "type": "customer.created",
                         "data": {"object": {}}}).encode()  # fmt: skip
    first = sender.send(stripe, 200)
    sender.wait(3600)
    again = sender.send(stripe, 200)
    [_, repeat] = chain(store, first)
    assert (repeat.request_id, repeat.kind, repeat.gap_ms) == (again, "redelivery", 3_600_000)
    assert "we answered 200" in repeat.reason
    assert "sent it again anyway" in repeat.reason
    assert matching(store, "is:redelivery") == [again]
    assert matching(store, "is:retry") == []


def test_github_delivery_header_identifies_repeats(store: Store, sender: Sender) -> None:
    headers = (("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "72d3162e-cc78"))
    body = {"ref": "refs/heads/main", "repository": {"full_name": "o/r"}}
    ids = [sender.send(body, 502, headers)]
    sender.wait(12)
    ids.append(sender.send(body, 202, headers))
    assert [d.kind for d in chain(store, ids[0])] == ["", "retry"]


def test_message_and_message_any_are_same_content_new_id(store: Store, sender: Sender) -> None:
    text = waha_text(WAHA_ID, "same words", T0)
    first = sender.send(waha("message", text, T0, event_id="evt_a"))
    sender.wait(0.2)
    second = sender.send(waha("message.any", text, T0, event_id="evt_b"))
    [_, repeat] = chain(store, first)
    assert (repeat.request_id, repeat.kind) == (second, "same-content")
    assert "Same content, new id" in repeat.reason
    assert matching(store, "is:same-content") == [second]
    assert matching(store, "is:duplicate") == []


def test_two_subscriptions_send_the_same_ack_under_new_ids(store: Store, sender: Sender) -> None:
    ack = waha_ack("true_11111111111@c.us_BB", 3, T0)
    sender.send(waha("message.ack", ack, T0, event_id="evt_c"))
    second = sender.send(waha("message.ack", ack, T0, event_id="evt_d"))
    third = sender.send(waha("message.ack", waha_ack("true_11111111111@c.us_BB", 1, T0), T0,
                             event_id="evt_e"))  # fmt: skip
    assert matching(store, "is:same-content") == [second]
    assert third not in matching(store, "is:same-content")


def test_same_content_outside_the_window_is_not_flagged(store: Store, sender: Sender) -> None:
    text = waha_text(WAHA_ID, "same words", T0)
    sender.send(waha("message", text, T0, event_id="evt_f"))
    sender.wait(deliveries.SAME_CONTENT_WINDOW + 1)
    sender.send(waha("message.any", text, T0, event_id="evt_g"))
    assert matching(store, "is:same-content") == []


def test_a_slow_forward_target_is_named_in_the_reason(store: Store, sender: Sender) -> None:
    body = {"event": "messages.upsert", "instance": "x", "data": {
        "key": {"remoteJid": "3@s.whatsapp.net", "fromMe": False, "id": "E2"},
        "message": {"conversation": "Olá"}}}  # fmt: skip
    first = sender.send(body, 200)
    store.add_replay(ReplayAttempt(request_id=first, started_at_ns=int(T0 * 1e9),
                                   target="http://127.0.0.1:9/", kind="forward", status=200,
                                   latency_ms=31_000.0))  # fmt: skip
    sender.wait(35)
    again = sender.send(body, 200)
    [_, repeat] = chain(store, again)
    assert repeat.kind == "redelivery"
    assert "the forward target answered 200 in 31.0 s" in repeat.reason
    assert "longer than the provider waits (30 s)" in repeat.reason


def test_a_single_delivery_has_no_chain(store: Store, sender: Sender) -> None:
    only = sender.send(meta_status("wamid.Y", "sent", T0))
    assert chain(store, only) == []


def test_classify_in_words() -> None:
    previous = deliveries.Answer(7, 0, 429)
    kind, reason = deliveries.classify(previous, 2, 2.0, "waha")
    assert kind == "retry"
    assert reason == (
        "Retry: we answered 429 to delivery #7. 2.0 s later, as waha documents"
        " (2 s before retry 1)."
    )


def test_the_same_content_lookup_searches_the_message_index(store: Store) -> None:
    """With many stored steps in one state, the lookup must not read them all (it did: SQLite
    chose the state index, and analysis slowed to 160 requests/s at 25,000 messages)."""
    conn = store.writer()
    plan = conn.execute(
        "EXPLAIN QUERY PLAN " + deliveries.SAME_CONTENT_SQL, ("m", "meta", "received", "t", 9, "x")
    ).fetchall()
    details = " ".join(str(row[-1]) for row in plan)
    assert "lifecycle_message" in details
    assert "lifecycle_state" not in details
