"""Provider detection, event extraction, default schemes and credential masking."""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.core import providers
from inspector.core.models import CapturedRequest, Event, Header
from inspector.core.providers import (
    MAX_EVENTS,
    PROVIDERS,
    SUMMARY_MAX,
    default_scheme,
    detect,
    mask_credentials,
    registry,
)
from tests.conftest import PROVIDER_FIXTURES

JSON_CT: Header = ("Content-Type", "application/json")
FORM_CT: Header = ("Content-Type", "application/x-www-form-urlencoded")
HUB_256: Header = ("X-Hub-Signature-256", "sha256=" + "0" * 64)


def request(
    body: bytes,
    *headers: Header,
    method: str = "POST",
    path: str = "/webhook",
    query: str = "",
) -> CapturedRequest:
    return CapturedRequest(method=method, path=path, query=query, headers=headers, body=body)


def assert_well_formed(provider: str, events: tuple[Event, ...]) -> None:
    assert provider in PROVIDERS
    assert events, "every request has at least one event"
    for event in events:
        assert event.provider == provider
        for value in (event.event_type, event.summary, event.event_id, event.chat, event.sender):
            assert isinstance(value, str)
            assert "\n" not in value
            assert "\r" not in value
            assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in value)
        assert event.event_type
        assert event.summary
        assert len(event.summary) <= SUMMARY_MAX


# ---------------------------------------------------------------------------------------------
# Every fixture file: provider, event type, summary, event id, chat, sender (actual values)

WAMID_TEXT = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
WAMID_REACTION = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
WAMID_REACTED = "wamid.HBgLMTQxMjU1NTA4MjkVAgASGBQzQUNCNjk5RDUwNUZGMUZEM0VBRAA="
WAMID_BUTTON = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA="
WAMID_FAILED = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0QUQ2MjA4NEYyRkExNjMyREUA"
WAMID_SENT = WAMID_REACTION  # Meta's status example reuses the reaction sample's id
WAHA_ACK_ID = "true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C"
WAHA_ACK_GROUP_ID = "true_11111111111@g.us_4CC5EDD64BC22EBA6D639F2AF571346C_9999@lid"
SLACK_TRIGGER = "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
TWILIO_SID = "SM1f0e8ae6ade43cb3c0ce4525424e404f"

FIXTURES: list[tuple[str, tuple[Header, ...], str, str, str, str, str, str]] = [
    # (file, extra headers, provider, event_type, summary, event_id, chat, sender)
    (
        "meta_message_text.json",
        (HUB_256,),
        "meta",
        "message.text",
        "text from 16505551234 (Sheena Nelson): Does it come in another color?",
        WAMID_TEXT,
        "16505551234",
        "16505551234",
    ),
    (
        "meta_message_reaction.json",
        (HUB_256,),
        "meta",
        "message.reaction",
        f"reaction 👍 on {WAMID_REACTED}",
        WAMID_REACTION,
        "16505551234",
        "16505551234",
    ),
    (
        "meta_message_interactive_button_reply.json",
        (HUB_256,),
        "meta",
        "message.interactive",
        'button reply "Cancel" (cancel-button) from 16505551234',
        WAMID_BUTTON,
        "16505551234",
        "16505551234",
    ),
    (
        "meta_status_sent.json",
        (HUB_256,),
        "meta",
        "statuses.sent",
        f"status sent for {WAMID_SENT} → 16505551234",
        f"{WAMID_SENT}:sent",
        "16505551234",
        "",
    ),
    (
        "meta_status_failed.json",
        (HUB_256,),
        "meta",
        "statuses.failed",
        f"status failed 131049 for {WAMID_FAILED} → 16505551234: This message was not delivered"
        " to maintain healthy ecosystem…",
        f"{WAMID_FAILED}:failed",
        "16505551234",
        "",
    ),
    (
        "waha_message.json",
        (),
        "waha",
        "message",
        "text from 11111111111@c.us: Hi there!",
        "true_11111111111@c.us_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:message",
        "11111111111@c.us",
        "11111111111@c.us",
    ),
    (
        "waha_message_ack.json",
        (),
        "waha",
        "message.ack",
        f"ack READ for {WAHA_ACK_ID}",
        f"{WAHA_ACK_ID}:message.ack:READ",
        "11111111111@c.us",
        "11111111111@c.us",
    ),
    (
        "waha_message_ack_group.json",
        (),
        "waha",
        "message.ack",
        f"ack READ for {WAHA_ACK_GROUP_ID}",
        f"{WAHA_ACK_GROUP_ID}:message.ack:READ",
        "11111111111@g.us",
        "9999@lid",
    ),
    (
        "waha_message_reaction.json",
        (),
        "waha",
        "message.reaction",
        "reaction 🙏 on true_79111111@c.us_11111111111111111111111111111111",
        "false_79111111@c.us_11111111111111111111111111111111:message.reaction",
        "79111111@c.us",
        "79111111@c.us",
    ),
    (
        "waha_group_v2_participants.json",
        (),
        "waha",
        "group.v2.participants",
        "group 123456789@g.us: join 1 participant",
        "",
        "123456789@g.us",
        "",
    ),
    (
        "waha_group_v2_join.json",
        (),
        "waha",
        "group.v2.join",
        "group 1231231232@g.us (Work Group): join 1 participant",
        "",
        "1231231232@g.us",
        "",
    ),
    (
        "waha_presence_update.json",
        (),
        "waha",
        "presence.update",
        "presence typing in 111111111111111111@g.us by 11111111111@c.us",
        "",
        "111111111111111111@g.us",
        "11111111111@c.us",
    ),
    (
        "waha_engine_event.json",
        (),
        "waha",
        "engine.event",
        "engine.event {{engine.EventName}} (session default)",
        "evt_11111111111111111111111111",
        "",
        "",
    ),
    (
        "waha_hmac_example.json",
        (("X-Webhook-Hmac", "208f8a55"), ("X-Webhook-Request-Id", "01JREQ")),
        "waha",
        "message",
        "message (session default)",
        "01JREQ",
        "",
        "",
    ),
    (
        "gowa_message_text.json",
        (HUB_256,),
        "gowa",
        "message",
        "text from 628123456789@s.whatsapp.net (John Doe): Hello, how are you?",
        "3EB0C127D7BACC83D6A1",
        "628987654321@s.whatsapp.net",
        "628123456789@s.whatsapp.net",
    ),
    (
        "gowa_message_ack.json",
        (HUB_256,),
        "gowa",
        "message.ack",
        "status delivered for 3EB00106E8BE0F407E88EC",
        "3EB00106E8BE0F407E88EC:delivered:6289685XXXXXX@s.whatsapp.net",
        "120363402106XXXXX@g.us",
        "6289685XXXXXX@s.whatsapp.net",
    ),
    (
        "greenapi_incoming_message_text.json",
        (),
        "greenapi",
        "incomingMessageReceived",
        "text from 79001234568@c.us (GREEN-API): I use GREEN-API to send this message to you!",
        "F7AEC1B7086ECDC7E6E45923F5EDB825",
        "79001234568@c.us",
        "79001234568@c.us",
    ),
    (
        "greenapi_outgoing_message_status.json",
        (),
        "greenapi",
        "outgoingMessageStatus",
        "status noAccount for 3EB0608D6A2901063D63",
        "3EB0608D6A2901063D63:noAccount",
        "",
        "",
    ),
    (
        "synthetic_evolution_messages_upsert.json",
        (),
        "evolution",
        "messages.upsert",
        "text from 5511999999999@s.whatsapp.net (Maria Silva): Olá, tudo bem?",
        "3EB0A0C1D2E3F4A5B6C7",
        "5511999999999@s.whatsapp.net",
        "5511999999999@s.whatsapp.net",
    ),
    (
        "synthetic_evolution_messages_update.json",
        (),
        "evolution",
        "messages.update",
        "status read for 3EB0A0C1D2E3F4A5B6C7 → 5511999999999@s.whatsapp.net",
        "3EB0A0C1D2E3F4A5B6C7:read",
        "5511999999999@s.whatsapp.net",
        "5511999999999@s.whatsapp.net",
    ),
    (
        "synthetic_wsapi_message_text.json",
        (("X-Instance-Id", "ins_ABCdefGHIjk"),),
        "wsapi",
        "message",
        "text from 1234567890@s.whatsapp.net: Hello, world!",
        "evt_ef01234567890123",
        "1234567890@s.whatsapp.net",
        "1234567890@s.whatsapp.net",
    ),
    (
        "synthetic_wsapi_message_read.json",
        (),
        "wsapi",
        "message_read",
        "status read for 0123456789012345",
        "evt_4567890123456789",
        "1234567890@s.whatsapp.net",
        "1234567890@s.whatsapp.net",
    ),
    (
        "synthetic_github_push.json",
        (("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")),
        "github",
        "push",
        "push to refs/heads/main by octocat",
        "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "octocat/Hello-World",
        "octocat",
    ),
    (
        "synthetic_github_pull_request_opened.json",
        (("X-GitHub-Event", "pull_request"), ("X-GitHub-Delivery", "d-2"), HUB_256),
        "github",
        "pull_request.opened",
        "pull_request.opened in octocat/Hello-World: #1347 Amazing new feature",
        "d-2",
        "octocat/Hello-World",
        "hubot",
    ),
    (
        "synthetic_stripe_customer_created.json",
        (("Stripe-Signature", "t=1700000000,v1=00"),),
        "stripe",
        "customer.created",
        "customer.created evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "",
        "",
    ),
    (
        "synthetic_slack_event_callback_message.json",
        (("X-Slack-Signature", "v0=00"), ("X-Slack-Request-Timestamp", "1355517523")),
        "slack",
        "message",
        "message from U123ABC456 in C123ABC456: Live long and prospect.",
        "Ev123ABC456",
        "C123ABC456",
        "U123ABC456",
    ),
    (
        "synthetic_slack_url_verification.json",
        (),
        "slack",
        "url_verification",
        "url_verification challenge 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "",
        "",
        "",
    ),
    (
        "synthetic_slack_slash_command.txt",
        (FORM_CT, ("X-Slack-Signature", "v0=00"), ("X-Slack-Request-Timestamp", "1531420618")),
        "slack",
        "slash_command",
        "/webhook-collect by roadrunner in #foobar",
        SLACK_TRIGGER,
        "G8PSS9T3V",
        "U2CERLKJA",
    ),
    (
        "synthetic_shopify_orders_create.json",
        (
            ("X-Shopify-Topic", "orders/create"),
            ("X-Shopify-Shop-Domain", "example.myshopify.com"),
            ("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
            ("X-Shopify-Hmac-Sha256", "AAAA"),
        ),
        "shopify",
        "orders/create",
        "orders/create from example.myshopify.com: #9999",
        "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "example.myshopify.com",
        "",
    ),
    (
        "synthetic_standard_webhook.json",
        (
            ("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"),
            ("webhook-timestamp", "1614265330"),
            ("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
        ),
        "standard",
        "webhook",
        "webhook msg_p5jXN8AQM9LWM0D4loKWxJek: {test}",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "",
        "",
    ),
    (
        "synthetic_standard_user_created.json",
        (
            ("svix-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
            ("svix-timestamp", "1674087231"),
            ("svix-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
        ),
        "standard",
        "user.created",
        "user.created msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        "",
        "",
    ),
    (
        "synthetic_twilio_whatsapp_inbound.txt",
        (FORM_CT, ("X-Twilio-Signature", "AAAA")),
        "twilio",
        "message",
        "text from whatsapp:+14155550100 (Jane Doe): Hello from WhatsApp!",
        TWILIO_SID,
        "whatsapp:+14155550100",
        "whatsapp:+14155550100",
    ),
    (
        "synthetic_twilio_status_delivered.txt",
        (FORM_CT,),
        "twilio",
        "status.delivered",
        f"status delivered for {TWILIO_SID} → whatsapp:+14155550100",
        f"{TWILIO_SID}:delivered",
        "whatsapp:+14155550100",
        "",
    ),
]


def test_fixture_table_covers_every_fixture_file() -> None:
    on_disk = {p.name for p in PROVIDER_FIXTURES.iterdir() if p.suffix in (".json", ".txt")}
    assert on_disk == {row[0] for row in FIXTURES}


@pytest.mark.parametrize(
    ("name", "headers", "provider", "event_type", "summary", "event_id", "chat", "sender"),
    FIXTURES,
    ids=[row[0] for row in FIXTURES],
)
def test_fixture_detection(
    provider_fixture: Any,
    name: str,
    headers: tuple[Header, ...],
    provider: str,
    event_type: str,
    summary: str,
    event_id: str,
    chat: str,
    sender: str,
) -> None:
    if not any(key.lower() == "content-type" for key, _ in headers):
        headers = (JSON_CT, *headers)
    got_provider, events = detect(request(provider_fixture(name), *headers))
    assert_well_formed(got_provider, events)
    assert got_provider == provider
    assert len(events) == 1
    (event,) = events
    assert event == Event(provider, event_type, summary, event_id, chat, sender)


def test_every_provider_is_listed_once() -> None:
    assert len(PROVIDERS) == len(set(PROVIDERS)) >= 13
    assert {row[2] for row in FIXTURES} | {"generic"} <= set(PROVIDERS)


# ---------------------------------------------------------------------------------------------
# Meta batches and message kinds


def _meta_value(provider_fixture: Any, name: str) -> dict[str, Any]:
    body = json.loads(provider_fixture(name))
    value: dict[str, Any] = body["entry"][0]["changes"][0]["value"]
    return value


def _meta_body(*changes: dict[str, Any]) -> bytes:
    entry = {"id": "102290129340398", "changes": list(changes)}
    return json.dumps({"object": "whatsapp_business_account", "entry": [entry]}).encode()


def test_meta_batch_expands_to_one_event_per_message_and_status_in_order(
    provider_fixture: Any,
) -> None:
    text = _meta_value(provider_fixture, "meta_message_text.json")
    reaction = _meta_value(provider_fixture, "meta_message_reaction.json")
    button = _meta_value(provider_fixture, "meta_message_interactive_button_reply.json")
    sent = _meta_value(provider_fixture, "meta_status_sent.json")
    failed = _meta_value(provider_fixture, "meta_status_failed.json")
    batch = dict(text)
    batch["messages"] = text["messages"] + reaction["messages"] + button["messages"]
    batch["statuses"] = sent["statuses"] + failed["statuses"]
    template = {
        "event": "APPROVED",
        "message_template_id": 594425479261596,
        "message_template_name": "order_update",
        "message_template_language": "en_US",
        "reason": "NONE",
    }
    body = _meta_body(
        {"field": "messages", "value": batch},
        {"field": "message_template_status_update", "value": template},
    )

    provider, events = detect(request(body, JSON_CT, HUB_256))

    assert provider == "meta"
    assert_well_formed(provider, events)
    assert [e.event_type for e in events] == [
        "message.text",
        "message.reaction",
        "message.interactive",
        "statuses.sent",
        "statuses.failed",
        "message_template_status_update",
    ]
    assert [e.event_id for e in events[:5]] == [
        WAMID_TEXT,
        WAMID_REACTION,
        WAMID_BUTTON,
        f"{WAMID_SENT}:sent",
        f"{WAMID_FAILED}:failed",
    ]
    # the same wamid as a message and as a status must not look like a duplicate
    assert events[1].event_id != events[3].event_id
    assert events[5].summary == "template order_update (en_US) APPROVED"


def test_meta_entries_and_changes_are_all_walked(provider_fixture: Any) -> None:
    text = _meta_value(provider_fixture, "meta_message_text.json")
    sent = _meta_value(provider_fixture, "meta_status_sent.json")
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [{"field": "messages", "value": text}]},
            {"id": "2", "changes": [{"field": "messages", "value": sent}] * 2},
        ],
    }
    _, events = detect(request(json.dumps(body).encode(), JSON_CT))
    assert [e.event_type for e in events] == ["message.text", "statuses.sent", "statuses.sent"]


def _meta_message(message: dict[str, Any], name: str = "Sheena Nelson") -> Event:
    value = {
        "messaging_product": "whatsapp",
        "contacts": [{"profile": {"name": name}, "wa_id": "16505551234"}],
        "messages": [{"from": "16505551234", "id": "wamid.X", "timestamp": "1", **message}],
    }
    provider, events = detect(request(_meta_body({"field": "messages", "value": value})))
    assert provider == "meta"
    assert len(events) == 1
    return events[0]


@pytest.mark.parametrize(
    ("message", "event_type", "summary"),
    [
        (
            {"type": "reaction", "reaction": {"message_id": "wamid.OLD"}},
            "message.reaction",
            "reaction removed on wamid.OLD",
        ),
        (
            {"type": "image", "image": {"caption": "look", "mime_type": "image/jpeg", "id": "1"}},
            "message.image",
            "image from 16505551234 (Sheena Nelson): look",
        ),
        (
            {"type": "document", "document": {"mime_type": "application/pdf", "id": "1"}},
            "message.document",
            "document from 16505551234 (Sheena Nelson): application/pdf",
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"id": "row-1", "title": "Blue", "description": "d"},
                },
            },
            "message.interactive",
            'list reply "Blue" (row-1) from 16505551234',
        ),
        (
            {"type": "button", "button": {"text": "Stop promotions", "payload": "STOP"}},
            "message.button",
            'button "Stop promotions" (STOP) from 16505551234',
        ),
        (
            {"type": "location", "location": {"latitude": 37.48, "longitude": -122.14}},
            "message.location",
            "location from 16505551234 (Sheena Nelson): 37.48, -122.14",
        ),
        (
            {"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]},
            "message.unsupported",
            "unsupported from 16505551234 (Sheena Nelson): 131051 Message type unknown",
        ),
        (
            {"type": "text", "text": {"body": "line one\n\n  line\ttwo\r\n"}},
            "message.text",
            "text from 16505551234 (Sheena Nelson): line one line two",
        ),
    ],
)
def test_meta_message_kinds(message: dict[str, Any], event_type: str, summary: str) -> None:
    event = _meta_message(message)
    assert (event.event_type, event.summary) == (event_type, summary)
    assert event.event_id == "wamid.X"


def test_long_message_text_is_cut_to_one_line_with_ellipsis() -> None:
    event = _meta_message({"type": "text", "text": {"body": "word\n" * 500}})
    assert SUMMARY_MAX - 5 <= len(event.summary) <= SUMMARY_MAX
    assert event.summary.endswith("word…")
    assert "\n" not in event.summary


def test_meta_errors_and_other_fields() -> None:
    errors = {"errors": [{"code": 131000, "title": "Something went wrong"}]}
    update = {"display_phone_number": "15550783881", "event": "APPROVED"}
    body = _meta_body(
        {"field": "messages", "value": errors},
        {"field": "phone_number_name_update", "value": update},
        {"field": "messages", "value": {}},
    )
    _, events = detect(request(body, JSON_CT))
    assert [(e.event_type, e.summary) for e in events] == [
        ("errors", "error 131000: Something went wrong"),
        (
            "phone_number_name_update",
            "phone_number_name_update: display_phone_number=15550783881, event=APPROVED",
        ),
        ("messages", "messages"),
    ]


def test_meta_calls_echoes_and_user_preferences() -> None:
    metadata = {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}
    calls = [
        {"id": "wacid.ABC", "to": "15550783881", "from": "16505551234", "event": "connect",
         "timestamp": "1700000000", "direction": "USER_INITIATED",
         "session": {"sdp_type": "offer", "sdp": "v=0"}},
        {"id": "wacid.ABC", "to": "15550783881", "from": "16505551234", "event": "terminate",
         "timestamp": "1700000033", "direction": "USER_INITIATED", "status": "COMPLETED",
         "duration": 33},
    ]  # fmt: skip
    echoes = [{"from": "15550783881", "to": "16505551234", "id": "wamid.ECHO", "timestamp": "1",
               "type": "text", "text": {"body": "We ship tomorrow"}}]  # fmt: skip
    contacts = [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}]
    preferences = [{"wa_id": "16505551234", "detail": "User requested to stop marketing messages",
                    "category": "marketing_messages", "value": "stop", "timestamp": 1700000000}]
    body = _meta_body(
        {"field": "calls", "value": {"metadata": metadata, "calls": calls}},
        {"field": "smb_message_echoes", "value": {"metadata": metadata, "message_echoes": echoes}},
        {"field": "user_preferences",
         "value": {"metadata": metadata, "contacts": contacts, "user_preferences": preferences}},
    )  # fmt: skip
    provider, events = detect(request(body, JSON_CT))
    assert_well_formed(provider, events)
    assert [(e.event_type, e.summary) for e in events] == [
        ("calls.connect", "call connect from 16505551234 to 15550783881"),
        ("calls.terminate", "call terminate from 16505551234 to 15550783881 (COMPLETED, 33 s)"),
        ("message_echoes.text", "echo: text sent to 16505551234: We ship tomorrow"),
        ("user_preferences.stop", "16505551234 (Sheena Nelson): stop marketing messages: "
                                  "User requested to stop marketing messages"),
    ]  # fmt: skip
    assert [(e.event_id, e.chat) for e in events[:3]] == [
        ("wacid.ABC:connect", "16505551234"), ("wacid.ABC:terminate", "16505551234"),
        ("wamid.ECHO", "16505551234"),
    ]  # fmt: skip


def test_meta_without_changes_still_gives_one_event() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    provider, events = detect(request(body, JSON_CT))
    assert provider == "meta"
    assert [e.event_type for e in events] == ["unknown"]


def test_huge_meta_batch_is_capped() -> None:
    status = {"id": "wamid.A", "status": "read", "timestamp": "1", "recipient_id": "1"}
    value = {"messaging_product": "whatsapp", "statuses": [status] * (MAX_EVENTS + 50)}
    _, events = detect(request(_meta_body({"field": "messages", "value": value}), JSON_CT))
    assert len(events) == MAX_EVENTS + 1
    assert events[-1].event_type == "truncated"
    assert events[-1].summary == "… and 50 more events not listed"


def test_meta_verification_get() -> None:
    query = "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"
    provider, events = detect(request(b"", method="GET", query=query))
    assert provider == "meta"
    assert events[0].event_type == "verification"
    assert "1158201444" in events[0].summary
    assert default_scheme("meta", request(b"", method="GET", query=query)) is None


# ---------------------------------------------------------------------------------------------
# Other WhatsApp gateways: details beyond the fixtures


def test_waha_session_status_and_old_acks_differ_by_level() -> None:
    body = b'{"event":"session.status","session":"default","payload":{"status":"WORKING"}}'
    assert detect(request(body, JSON_CT))[1][0].summary == "session default WORKING"

    def ack(level: int) -> Event:
        payload = {"id": "true_1@c.us_AAA", "from": "1@c.us", "fromMe": True, "ack": level}
        body = {"event": "message.ack", "session": "default", "payload": payload}
        return detect(request(json.dumps(body).encode(), JSON_CT))[1][0]

    assert ack(2).summary == "ack DEVICE for true_1@c.us_AAA"
    assert ack(2).event_id != ack(3).event_id


def test_waha_ack_without_payload_says_so() -> None:
    for body in (b'{"event":"message.ack","session":"default","payload":null}',
                 b'{"event":"message.ack","session":"default","payload":{}}'):  # fmt: skip
        event = detect(request(body, JSON_CT))[1][0]
        assert event.summary == (
            "message.ack (session default): no payload (no message id or ack state)"
        )


@pytest.mark.parametrize(
    ("payload", "summary"),
    [
        ({"media": {"mimetype": "image/jpeg", "url": "http://x/f"}, "body": ""},
         "image from 1@c.us: image/jpeg"),
        ({"media": None, "body": "", "_data": {"type": "ptt"}}, "audio from 1@c.us"),
        ({"body": "look", "_data": {"type": "image"}}, "image from 1@c.us: look"),
        ({"body": "", "_data": {"message": {"videoMessage": {"seconds": 3}}}},
         "video from 1@c.us"),
        ({"body": "hi", "_data": {"type": "chat"}}, "text from 1@c.us: hi"),
    ],
    ids=["media-object", "webjs-ptt", "webjs-image", "noweb-video", "text"],
)  # fmt: skip
def test_waha_media_without_has_media(payload: dict[str, Any], summary: str) -> None:
    payload = {"id": "false_1@c.us_AAA", "from": "1@c.us", **payload}
    body = json.dumps({"event": "message", "session": "default", "payload": payload})
    assert detect(request(body.encode(), JSON_CT))[1][0].summary == summary


def test_github_security_advisory() -> None:
    advisory = {"ghsa_id": "GHSA-abcd-1234-efgh", "cve_id": "CVE-2026-0001", "severity": "high",
                "summary": "Heap overflow in libfoo", "vulnerabilities": []}  # fmt: skip
    body = json.dumps({"action": "published", "security_advisory": advisory}).encode()
    headers = (("X-GitHub-Event", "security_advisory"), ("X-GitHub-Delivery", "d1"))
    provider, events = detect(request(body, JSON_CT, *headers))
    assert provider == "github"
    assert events[0].summary == (
        "security_advisory.published GHSA-abcd-1234-efgh CVE-2026-0001 (high): "
        "Heap overflow in libfoo"
    )


def test_waha_group_participants_and_wahooks_scheme() -> None:
    payload = {"type": "leave", "group": {"id": "123@g.us"}, "participants": [{"id": "1"}] * 2}
    body = json.dumps({"event": "group.v2.participants", "session": "s", "payload": payload})
    wahooks = ("X-WAHooks-Signature", "sha256=00")
    req = request(body.encode(), JSON_CT, wahooks, ("X-WAHooks-Timestamp", "1"))
    provider, events = detect(req)
    assert provider == "waha"
    assert events[0].summary == "group 123@g.us: leave 2 participants"
    assert default_scheme(provider, req) == "wahooks"


def test_gowa_reaction_and_media() -> None:
    payload = {
        "id": "88760C69",
        "chat_id": "6289@s.whatsapp.net",
        "from": "6281@s.whatsapp.net",
        "reaction": "👍",
        "reacted_message_id": "3EB0C127",
    }
    body = json.dumps(
        {"event": "message.reaction", "device_id": "6289@s.whatsapp.net", "payload": payload}
    )
    assert detect(request(body.encode()))[1][0].summary == "reaction 👍 on 3EB0C127"
    payload = {
        "id": "3EB0",
        "from": "6281@s.whatsapp.net",
        "from_name": "John Doe",
        "image": {"url": "https://mmg.whatsapp.net/x", "caption": "Check this out!"},
    }
    body = json.dumps({"event": "message", "device_id": "d", "payload": payload})
    event = detect(request(body.encode()))[1][0]
    assert event.summary == "image from 6281@s.whatsapp.net (John Doe): Check this out!"


def test_evolution_apikey_never_reaches_a_summary(provider_fixture: Any) -> None:
    for name in (
        "synthetic_evolution_messages_upsert.json",
        "synthetic_evolution_messages_update.json",
    ):
        body = json.loads(provider_fixture(name))
        key = body["apikey"]
        for event_name in ("messages.upsert", "connection.update", "whatever.else"):
            body["event"] = event_name
            provider, events = detect(request(json.dumps(body).encode(), JSON_CT))
            assert provider == "evolution"
            assert all(key not in repr(event) for event in events)


def test_greenapi_outgoing_and_state() -> None:
    body = {
        "typeWebhook": "outgoingMessageReceived",
        "instanceData": {"idInstance": 1234, "wid": "11001234567@c.us"},
        "idMessage": "3EB0",
        "senderData": {"chatId": "79001234568@c.us", "sender": "11001234567@c.us"},
        "messageData": {"typeMessage": "textMessage", "textMessageData": {"textMessage": "Hi"}},
    }
    assert (
        detect(request(json.dumps(body).encode()))[1][0].summary == "text to 79001234568@c.us: Hi"
    )
    state = {
        "typeWebhook": "stateInstanceChanged",
        "instanceData": {"idInstance": 7},
        "stateInstance": "authorized",
    }
    assert (
        detect(request(json.dumps(state).encode()))[1][0].summary == "state authorized (instance 7)"
    )


# ---------------------------------------------------------------------------------------------
# More message kinds and events per provider (documented shapes, docs/providers.md)

W = "5511999999999@s.whatsapp.net"


def _waha(event: str, payload: object) -> dict[str, object]:
    return {"event": event, "session": "default", "payload": payload, "engine": "NOWEB"}


def _gowa(event: str, payload: object) -> dict[str, object]:
    return {"event": event, "device_id": "628111@s.whatsapp.net", "payload": payload}


def _wsapi(event_type: str, data: object) -> dict[str, object]:
    return {
        "eventId": "evt_1",
        "instanceId": "ins_1",
        "receivedAt": "2025-05-19T00:51:44.816Z",
        "eventType": event_type,
        "eventData": data,
    }


def _evolution(event: str, data: object) -> dict[str, object]:
    return {"event": event, "instance": "inst", "data": data, "apikey": "SECRET-KEY"}


def _green(type_webhook: str, **fields: object) -> dict[str, object]:
    return {"typeWebhook": type_webhook, "instanceData": {"idInstance": 7}, **fields}


def _meta_single(message: dict[str, object]) -> dict[str, object]:
    value = {"messages": [{"from": "1650", "id": "wamid.Y", **message}]}
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}


SENDER = {"id": W, "lid": "1@lid", "phone": "5511999999999", "isMe": False}
GH = ("X-GitHub-Event", "release")

# (headers, body, provider, event_type, summary, event_id, chat, sender)
EXTRA: list[tuple[tuple[Header, ...], object, str, str, str, str, str, str]] = [
    # Meta
    (
        (),
        _meta_single({"type": "contacts", "contacts": [{"name": {"formatted_name": "Ann"}}] * 2}),
        "meta",
        "message.contacts",
        "contacts from 1650: Ann (+1 more)",
        "wamid.Y",
        "1650",
        "1650",
    ),
    (
        (),
        _meta_single({"type": "order", "order": {"product_items": [{}, {}]}}),
        "meta",
        "message.order",
        "order from 1650: 2 items",
        "wamid.Y",
        "1650",
        "1650",
    ),
    (
        (),
        _meta_single({"type": "system", "system": {"body": "User changed number"}}),
        "meta",
        "message.system",
        "system message from 1650: User changed number",
        "wamid.Y",
        "1650",
        "1650",
    ),
    (
        (),
        _meta_single(
            {
                "type": "interactive",
                "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow"}},
            }
        ),
        "meta",
        "message.interactive",
        "flow reply flow from 1650",
        "wamid.Y",
        "1650",
        "1650",
    ),
    (
        (),
        _meta_single({"type": "interactive", "interactive": {"type": "call_permission_reply"}}),
        "meta",
        "message.interactive",
        "interactive call_permission_reply from 1650",
        "wamid.Y",
        "1650",
        "1650",
    ),
    (
        (),
        _meta_single({"type": "text", "group_id": "G1", "text": {"body": "hi"}}),
        "meta",
        "message.text",
        "text from 1650: hi",
        "wamid.Y",
        "G1",
        "1650",
    ),
    (
        (),
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "statuses": [
                                    {
                                        "id": "wamid.G",
                                        "status": "read",
                                        "recipient_id": "G1",
                                        "recipient_type": "group",
                                        "recipient_participant_id": "1650",
                                    }
                                ]
                            },
                        }
                    ]
                }
            ],
        },
        "meta",
        "statuses.read",
        "status read for wamid.G → G1",
        "wamid.G:read:1650",
        "G1",
        "",
    ),
    (
        (),
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "message_template_status_update",
                            "value": {
                                "event": "REJECTED",
                                "message_template_name": "promo",
                                "reason": "INCORRECT_CATEGORY",
                            },
                        }
                    ]
                }
            ],
        },
        "meta",
        "message_template_status_update",
        "template promo REJECTED: INCORRECT_CATEGORY",
        "",
        "",
        "",
    ),
    # WAHA
    (
        (),
        _waha(
            "message",
            {
                "id": "false_1@c.us_M",
                "from": "1@c.us",
                "fromMe": False,
                "body": "see",
                "hasMedia": True,
                "media": {"mimetype": "image/jpeg", "url": "http://x"},
            },
        ),
        "waha",
        "message",
        "image from 1@c.us: see",
        "false_1@c.us_M:message",
        "1@c.us",
        "1@c.us",
    ),
    (
        (),
        _waha(
            "message.any",
            {
                "id": "true_2@c.us_M",
                "from": "9@c.us",
                "to": "2@c.us",
                "fromMe": True,
                "body": "",
                "hasMedia": True,
                "media": {"mimetype": "application/pdf", "filename": "a.pdf"},
            },
        ),
        "waha",
        "message.any",
        "document from 9@c.us: a.pdf",
        "true_2@c.us_M:message.any",
        "2@c.us",
        "9@c.us",
    ),
    (
        (),
        {
            **_waha(
                "message",
                {
                    "id": "false_3@g.us_M_4@c.us",
                    "from": "3@g.us",
                    "fromMe": False,
                    "participant": "4@c.us",
                    "body": "yo",
                },
            ),
            "id": "evt_01abc",
        },
        "waha",
        "message",
        "text from 3@g.us: yo",
        "evt_01abc",
        "3@g.us",
        "4@c.us",
    ),
    (
        (),
        _waha(
            "message.revoked",
            {"revokedMessageId": "R1", "after": {"from": "1@c.us"}, "before": None},
        ),
        "waha",
        "message.revoked",
        "revoked R1 in 1@c.us",
        "",
        "1@c.us",
        "",
    ),
    (
        (),
        _waha("message.edited", {"id": "E1", "editedMessageId": "M1", "body": "fixed"}),
        "waha",
        "message.edited",
        "edited M1: fixed",
        "E1:message.edited",
        "",
        "",
    ),
    (
        (),
        _waha(
            "message.reaction",
            {"id": "X", "from": "1@c.us", "reaction": {"text": "", "messageId": "M1"}},
        ),
        "waha",
        "message.reaction",
        "reaction removed on M1",
        "X:message.reaction",
        "1@c.us",
        "1@c.us",
    ),
    (
        (),
        _waha("call.received", {"id": "C1", "from": "1@c.us", "isVideo": True}),
        "waha",
        "call.received",
        "call received from 1@c.us (video)",
        "",
        "1@c.us",
        "1@c.us",
    ),
    (
        (),
        _waha(
            "poll.vote",
            {
                "vote": {"from": "1@c.us", "to": "2@c.us", "selectedOptions": ["Yes", "Maybe"]},
                "poll": {},
            },
        ),
        "waha",
        "poll.vote",
        "poll vote from 1@c.us: Yes, Maybe",
        "",
        "2@c.us",
        "1@c.us",
    ),
    (
        (),
        _waha("label.upsert", {"id": "1", "name": "VIP"}),
        "waha",
        "label.upsert",
        "label.upsert (session default)",
        "",
        "",
        "",
    ),
    # GOWA
    (
        (),
        _gowa(
            "message",
            {
                "id": "L1",
                "chat_id": "c",
                "from": "f",
                "from_name": "Jo",
                "location": {"degreesLatitude": -6.2, "degreesLongitude": 106.8},
            },
        ),
        "gowa",
        "message",
        "location from f (Jo): -6.2, 106.8",
        "L1",
        "c",
        "f",
    ),
    (
        (),
        _gowa(
            "message",
            {
                "id": "K1",
                "chat_id": "c",
                "from": "f",
                "contact": {"displayName": "3Care", "vcard": "BEGIN:VCARD"},
            },
        ),
        "gowa",
        "message",
        "contact from f: 3Care",
        "K1",
        "c",
        "f",
    ),
    (
        (),
        _gowa(
            "message",
            {
                "id": "K2",
                "chat_id": "c",
                "from": "f",
                "contacts_array": [{"displayName": "Alice"}, {"displayName": "Bob"}],
            },
        ),
        "gowa",
        "message",
        "contacts array from f: Alice (+1 more)",
        "K2",
        "c",
        "f",
    ),
    (
        (),
        _gowa("message", {"id": "A1", "chat_id": "c", "from": "f", "audio": "statics/a.ogg"}),
        "gowa",
        "message",
        "audio from f",
        "A1",
        "c",
        "f",
    ),
    (
        (),
        _gowa(
            "message.revoked",
            {"id": "R", "chat_id": "c", "from": "f", "from_name": "Jo", "revoked_message_id": "M"},
        ),
        "gowa",
        "message.revoked",
        "revoked M by f (Jo)",
        "R",
        "c",
        "f",
    ),
    (
        (),
        _gowa(
            "message.edited",
            {"id": "E", "chat_id": "c", "from": "f", "original_message_id": "M", "body": "new"},
        ),
        "gowa",
        "message.edited",
        "edited M: new",
        "E",
        "c",
        "f",
    ),
    (
        (),
        _gowa(
            "message.deleted",
            {"deleted_message_id": "D", "chat_id": "c", "from": "f", "original_content": "old"},
        ),
        "gowa",
        "message.deleted",
        "deleted D in c: old",
        "D:deleted",
        "c",
        "f",
    ),
    (
        (),
        _gowa("group.participants", {"chat_id": "1@g.us", "type": "promote", "jids": ["a"]}),
        "gowa",
        "group.participants",
        "group 1@g.us: promote 1 participant",
        "",
        "1@g.us",
        "",
    ),
    (
        (),
        _gowa("group.joined", {"chat_id": "1@g.us"}),
        "gowa",
        "group.joined",
        "joined group 1@g.us",
        "",
        "1@g.us",
        "",
    ),
    (
        (),
        _gowa("newsletter.message", {"newsletter_id": "9@newsletter", "messages": [{}, {}]}),
        "gowa",
        "newsletter.message",
        "newsletter.message 9@newsletter: 2 messages",
        "",
        "9@newsletter",
        "",
    ),
    (
        (),
        _gowa("newsletter.joined", {"newsletter_id": "9@newsletter", "name": "Tech News"}),
        "gowa",
        "newsletter.joined",
        "newsletter.joined 9@newsletter (Tech News)",
        "",
        "9@newsletter",
        "",
    ),
    (
        (),
        _gowa("call.offer", {"call_id": "CALL1", "from": "f", "auto_rejected": True}),
        "gowa",
        "call.offer",
        "call from f (auto-rejected)",
        "CALL1",
        "f",
        "f",
    ),
    (
        (),
        _gowa("something.new", {}),
        "gowa",
        "something.new",
        "something.new (device 628111@s.whatsapp.net)",
        "",
        "",
        "",
    ),
    # WSAPI
    (
        (),
        _wsapi(
            "message",
            {
                "id": "1",
                "chatId": W,
                "sender": SENDER,
                "type": "media",
                "media": {
                    "mediaType": "image",
                    "mimeType": "image/jpeg",
                    "caption": "Check this out",
                },
            },
        ),
        "wsapi",
        "message",
        f"image from {W}: Check this out",
        "evt_1",
        W,
        W,
    ),
    (
        (),
        _wsapi(
            "message",
            {
                "id": "2",
                "chatId": W,
                "sender": SENDER,
                "type": "reaction",
                "reaction": {"messageId": "0123", "emoji": "👍"},
            },
        ),
        "wsapi",
        "message",
        "reaction 👍 on 0123",
        "evt_1",
        W,
        W,
    ),
    (
        (),
        _wsapi(
            "message",
            {
                "id": "3",
                "chatId": W,
                "sender": W,
                "type": "contact",
                "contact": "BEGIN:VCARD\nVERSION:3.0\nFN:Jane Doe\nEND:VCARD\n",
            },
        ),
        "wsapi",
        "message",
        f"contact from {W}: Jane Doe",
        "evt_1",
        W,
        W,
    ),
    (
        (),
        _wsapi("message_delete", {"id": "M", "chatId": W, "sender": SENDER}),
        "wsapi",
        "message_delete",
        f"deleted M in {W}",
        "evt_1",
        W,
        W,
    ),
    (
        (),
        _wsapi("message_star", {"id": "M", "chatId": W, "isStarred": False}),
        "wsapi",
        "message_star",
        "unstarred M",
        "evt_1",
        W,
        "",
    ),
    (
        (),
        _wsapi("logged_in", {"deviceId": "1:12@s.whatsapp.net"}),
        "wsapi",
        "logged_in",
        "logged in as 1:12@s.whatsapp.net",
        "evt_1",
        "",
        "",
    ),
    (
        (),
        _wsapi("logged_out", {"reason": "api_logout"}),
        "wsapi",
        "logged_out",
        "logged out: api_logout",
        "evt_1",
        "",
        "",
    ),
    (
        (),
        _wsapi("login_error", {"id": "1:12@s.whatsapp.net", "error": "timeout"}),
        "wsapi",
        "login_error",
        "login error: timeout",
        "evt_1",
        "1:12@s.whatsapp.net",
        "",
    ),
    (
        (),
        _wsapi("chat_presence", {"id": "1@g.us", "sender": SENDER, "state": "typing"}),
        "wsapi",
        "chat_presence",
        f"presence typing in 1@g.us by {W}",
        "evt_1",
        "1@g.us",
        W,
    ),
    (
        (),
        _wsapi("user_presence", {"user": {"id": W}, "status": "available"}),
        "wsapi",
        "user_presence",
        f"presence available for {W}",
        "evt_1",
        "",
        W,
    ),
    (
        (),
        _wsapi("call_offer", {"id": "call_1", "caller": {"id": W}, "isVideo": True}),
        "wsapi",
        "call_offer",
        f"call offer from {W} (video)",
        "evt_1",
        W,
        W,
    ),
    (
        (),
        _wsapi("group", {"id": "1-2@g.us", "sender": SENDER, "join": [{"id": "a"}, {"id": "b"}]}),
        "wsapi",
        "group",
        "group 1-2@g.us: join 2 participants",
        "evt_1",
        "1-2@g.us",
        W,
    ),
    (
        (),
        _wsapi("group", {"id": "1-2@g.us", "name": {"name": "New Name"}}),
        "wsapi",
        "group",
        "group 1-2@g.us: name → New Name",
        "evt_1",
        "1-2@g.us",
        "",
    ),
    (
        (),
        _wsapi("group", {"id": "1-2@g.us", "description": {"topic": "t"}}),
        "wsapi",
        "group",
        "group 1-2@g.us: update",
        "evt_1",
        "1-2@g.us",
        "",
    ),
    (
        (),
        _wsapi("initial_sync_finished", {}),
        "wsapi",
        "initial_sync_finished",
        "initial_sync_finished (instance ins_1)",
        "evt_1",
        "",
        "",
    ),
    # Evolution
    (
        (),
        _evolution(
            "messages.upsert",
            {
                "key": {"remoteJid": W, "fromMe": True, "id": "K"},
                "message": {"imageMessage": {"caption": "pic", "mimetype": "image/jpeg"}},
            },
        ),
        "evolution",
        "messages.upsert",
        f"image to {W}: pic",
        "K",
        W,
        "",
    ),
    (
        (),
        {
            **_evolution(
                "send.message",
                {
                    "key": {"remoteJid": W, "fromMe": True, "id": "K"},
                    "message": {"extendedTextMessage": {"text": "hey"}},
                },
            ),
            "sender": "5511888@s.whatsapp.net",
        },
        "evolution",
        "send.message",
        f"text to {W}: hey",
        "K",
        W,
        "5511888@s.whatsapp.net",
    ),
    (
        (),
        _evolution(
            "messages.upsert",
            {
                "key": {"remoteJid": "1@g.us", "participant": "2@lid", "id": "K"},
                "pushName": "Bo",
                "message": {"reactionMessage": {"key": {"id": "T"}, "text": "❤️"}},
            },
        ),
        "evolution",
        "messages.upsert",
        "reaction ❤️ on T",
        "K",
        "1@g.us",
        "2@lid",
    ),
    (
        (),
        _evolution(
            "messages.upsert",
            {
                "key": {"remoteJid": W, "id": "K"},
                "message": {"audioMessage": {"seconds": 3}},
                "messageType": "audioMessage",
            },
        ),
        "evolution",
        "messages.upsert",
        f"audio from {W}",
        "K",
        W,
        W,
    ),
    (
        (),
        _evolution(
            "messages.upsert",
            {
                "key": {"remoteJid": W, "id": "K"},
                "message": {"newFancyMessage": {}},
                "messageType": "newFancyMessage",
            },
        ),
        "evolution",
        "messages.upsert",
        f"newFancyMessage from {W}",
        "K",
        W,
        W,
    ),
    (
        (),
        _evolution(
            "messages.update", {"key": {"remoteJid": W, "id": "K"}, "update": {"status": 3}}
        ),
        "evolution",
        "messages.update",
        f"status delivered for K → {W}",
        "K:delivered",
        W,
        W,
    ),
    (
        (),
        _evolution("messages.delete", {"key": {"remoteJid": W, "id": "K"}}),
        "evolution",
        "messages.delete",
        f"deleted K in {W}",
        "K:deleted",
        W,
        W,
    ),
    (
        (),
        _evolution(
            "connection.update", {"instance": "inst", "state": "close", "statusReason": 401}
        ),
        "evolution",
        "connection.update",
        "connection close (401) (instance inst)",
        "",
        "",
        "",
    ),
    (
        (),
        _evolution("qrcode.updated", {"qrcode": {"base64": "data:image/png;base64,AAAA"}}),
        "evolution",
        "qrcode.updated",
        "QR code updated (instance inst)",
        "",
        "",
        "",
    ),
    (
        (),
        _evolution(
            "presence.update",
            {"id": "1@g.us", "presences": {W: {"lastKnownPresence": "composing"}}},
        ),
        "evolution",
        "presence.update",
        "presence composing in 1@g.us",
        "",
        "1@g.us",
        W,
    ),
    (
        (),
        _evolution("contacts.upsert", [{"id": W}, {"id": "2"}]),
        "evolution",
        "contacts.upsert",
        "contacts.upsert: 2 items (instance inst)",
        "",
        "",
        "",
    ),
    # Green API
    (
        (),
        _green(
            "incomingMessageReceived",
            idMessage="I1",
            senderData={"chatId": "1@c.us", "sender": "1@c.us", "senderName": "Al"},
            messageData={
                "typeMessage": "imageMessage",
                "fileMessageData": {"caption": "photo", "mimeType": "image/jpeg"},
            },
        ),
        "greenapi",
        "incomingMessageReceived",
        "image from 1@c.us (Al): photo",
        "I1",
        "1@c.us",
        "1@c.us",
    ),
    (
        (),
        _green(
            "incomingMessageReceived",
            idMessage="I2",
            senderData={"chatId": "1@c.us", "sender": "1@c.us"},
            messageData={
                "typeMessage": "reactionMessage",
                "extendedTextMessageData": {"text": "👍"},
                "quotedMessage": {"stanzaId": "Q1"},
            },
        ),
        "greenapi",
        "incomingMessageReceived",
        "reaction 👍 on Q1",
        "I2",
        "1@c.us",
        "1@c.us",
    ),
    (
        (),
        _green(
            "outgoingMessageStatus",
            idMessage="I3",
            chatId="1@c.us",
            status="failed",
            description="not on WhatsApp",
        ),
        "greenapi",
        "outgoingMessageStatus",
        "status failed for I3 → 1@c.us: not on WhatsApp",
        "I3:failed",
        "1@c.us",
        "",
    ),
    (
        (),
        _green("incomingCall", **{"from": "1@c.us", "status": "offer", "idMessage": "C"}),
        "greenapi",
        "incomingCall",
        "call offer from 1@c.us",
        "C",
        "1@c.us",
        "1@c.us",
    ),
    ((), _green("deviceInfo"), "greenapi", "deviceInfo", "deviceInfo (instance 7)", "", "", ""),
    # Header-identified
    (
        (GH, ("X-GitHub-Delivery", "D")),
        {
            "action": "published",
            "release": {"tag_name": "v1.0.0"},
            "repository": {"full_name": "o/r"},
            "sender": {"login": "me"},
        },
        "github",
        "release.published",
        "release.published in o/r: v1.0.0",
        "D",
        "o/r",
        "me",
    ),
    (
        (("X-GitHub-Event", "issues"),),
        {"action": "opened", "issue": {"number": 5, "title": "Bug"}, "sender": {"login": "me"}},
        "github",
        "issues.opened",
        "issues.opened by me: #5 Bug",
        "",
        "",
        "me",
    ),
    (
        (("X-GitHub-Event", "ping"),),
        {"zen": "Keep it logically awesome.", "repository": {"full_name": "o/r"}},
        "github",
        "ping",
        "ping in o/r: Keep it logically awesome.",
        "",
        "o/r",
        "",
    ),
    (
        (("X-Shopify-Topic", "products/update"),),
        {"id": 788032119674292922, "title": "Shirt"},
        "shopify",
        "products/update",
        "products/update: Shirt",
        "",
        "",
        "",
    ),
    (
        (("X-Slack-Signature", "v0=0"),),
        {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": "Ev1",
            "event": {"type": "channel_created", "channel": {"id": "C9", "name": "new"}},
        },
        "slack",
        "channel_created",
        "channel_created in team T1",
        "Ev1",
        "C9",
        "",
    ),
    (
        (),
        {"type": "app_rate_limited", "team_id": "T1", "token": "x"},
        "slack",
        "app_rate_limited",
        "app_rate_limited (team T1)",
        "",
        "",
        "",
    ),
    (
        (("webhook-id", "msg_9"), ("webhook-signature", "v1,x")),
        b"not json",
        "standard",
        "webhook",
        "webhook msg_9",
        "msg_9",
        "",
        "",
    ),
    (
        (("Stripe-Signature", "t=1,v1=0"),),
        {"id": "evt_2", "object": "event", "type": "payment_intent.succeeded", "account": "acct_1"},
        "stripe",
        "payment_intent.succeeded",
        "payment_intent.succeeded evt_2",
        "evt_2",
        "acct_1",
        "",
    ),
    (
        (FORM_CT,),
        b"AccountSid=AC1&MessageSid=MM1&From=whatsapp%3A%2B1&NumMedia=1"
        b"&MediaContentType0=image%2Fjpeg&Body=",
        "twilio",
        "message",
        "image from whatsapp:+1: image/jpeg",
        "MM1",
        "whatsapp:+1",
        "whatsapp:+1",
    ),
    (
        (FORM_CT,),
        b"AccountSid=AC1&MessageSid=MM2&MessageStatus=failed&ErrorCode=63016&To=whatsapp%3A%2B1",
        "twilio",
        "status.failed",
        "status failed 63016 for MM2 → whatsapp:+1",
        "MM2:failed",
        "whatsapp:+1",
        "",
    ),
    (
        (FORM_CT,),
        b"AccountSid=AC1&CallSid=CA1&CallStatus=ringing&From=%2B1&To=%2B2",
        "twilio",
        "call.ringing",
        "call ringing from +1 to +2",
        "CA1",
        "+1",
        "+1",
    ),
    (
        (("X-Twilio-Signature", "x"), FORM_CT),
        b"AccountSid=AC1&Foo=1",
        "twilio",
        "webhook",
        "Twilio webhook: {AccountSid, Foo}",
        "",
        "",
        "",
    ),
    (
        (("X-Twilio-Signature", "x"), ("I-Twilio-Idempotency-Token", "tok1"), JSON_CT),
        {"ChannelSid": "1"},
        "twilio",
        "webhook",
        "Twilio webhook: {ChannelSid}",
        "tok1",
        "",
        "",
    ),
    (
        (("X-Slack-Signature", "v0=0"), FORM_CT),
        b"command=%2Fdeploy&text=prod%0Anow&user_id=U1&channel_id=C1&trigger_id=T.1",
        "slack",
        "slash_command",
        "/deploy by U1: prod now",
        "T.1",
        "C1",
        "U1",
    ),
]


@pytest.mark.parametrize(
    ("headers", "body", "provider", "event_type", "summary", "event_id", "chat", "sender"),
    EXTRA,
    ids=[f"{row[2]}-{row[3]}-{i}" for i, row in enumerate(EXTRA)],
)
def test_more_events(
    headers: tuple[Header, ...],
    body: object,
    provider: str,
    event_type: str,
    summary: str,
    event_id: str,
    chat: str,
    sender: str,
) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    got, events = detect(request(raw, *headers))
    assert_well_formed(got, events)
    assert got == provider
    assert events == (Event(provider, event_type, summary, event_id, chat, sender),)
    assert "SECRET-KEY" not in repr(events)


def test_refused_request_summary() -> None:
    req = CapturedRequest("POST", "/big", refused="body over 10 MB", declared_size=11_000_000)
    assert detect(req) == (
        "generic",
        (Event("generic", "post", "POST /big (refused: body over 10 MB)"),),
    )


# ---------------------------------------------------------------------------------------------
# Header-identified providers and the shared X-Hub-Signature-256 header


def test_header_only_providers_with_unhelpful_bodies() -> None:
    cases: list[tuple[tuple[Header, ...], str, str]] = [
        ((("X-GitHub-Event", "ping"), ("X-GitHub-Delivery", "g1")), "github", "ping"),
        ((("Stripe-Signature", "t=1,v1=00"),), "stripe", "unknown"),
        ((("X-Shopify-Topic", "products/update"),), "shopify", "products/update"),
        ((("X-Slack-Signature", "v0=00"),), "slack", "unknown"),
        ((("webhook-id", "msg_1"), ("webhook-signature", "v1,AA==")), "standard", "webhook"),
        ((("svix-id", "msg_2"), ("svix-signature", "v1,AA==")), "standard", "webhook"),
        ((("X-Twilio-Signature", "AA=="),), "twilio", "webhook"),
    ]
    for headers, provider, event_type in cases:
        for body in (b"not json at all", b'{"hello": "world"}', b"", b"[1,2]"):
            got, events = detect(request(body, *headers))
            assert_well_formed(got, events)
            assert (got, events[0].event_type) == (provider, event_type), (headers, body)


def test_github_form_encoded_payload() -> None:
    payload = json.dumps(
        {"action": "created", "repository": {"full_name": "o/r"}, "sender": {"login": "me"}}
    )
    body = ("payload=" + payload.replace("%", "%25").replace("&", "%26")).encode()
    req = request(body, FORM_CT, ("X-GitHub-Event", "star"), ("X-Hub-Signature", "sha1=00"))
    provider, events = detect(req)
    assert (provider, events[0].event_type, events[0].summary) == (
        "github",
        "star.created",
        "star.created in o/r",
    )
    assert default_scheme(provider, req) == "github_sha1"


def test_stripe_and_slack_detected_from_body_without_headers(provider_fixture: Any) -> None:
    stripe = provider_fixture("synthetic_stripe_customer_created.json")
    assert detect(request(stripe, JSON_CT))[0] == "stripe"
    slack = provider_fixture("synthetic_slack_event_callback_message.json")
    assert detect(request(slack, JSON_CT))[0] == "slack"
    command = provider_fixture("synthetic_slack_slash_command.txt")
    assert detect(request(command, FORM_CT))[0] == "slack"


def test_slack_block_actions_form_payload() -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "username": "alice"},
        "channel": {"id": "C1"},
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "actions": [{"action_id": "approve"}],
        "token": "x",
    }
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(payload)}).encode()
    provider, events = detect(request(body, FORM_CT))
    assert provider == "slack"
    assert events[0] == Event(
        "slack",
        "block_actions",
        "block_actions by alice in C1: approve",
        "13345224609.738474920.8088930838d88f008e0",
        "C1",
        "U1",
    )


def test_x_hub_signature_alone_is_not_a_provider() -> None:
    for body in (b'{"hello": "world"}', b"plain", b"", b'{"object": "page", "entry": []}'):
        req = request(body, JSON_CT, HUB_256)
        provider, _ = detect(req)
        assert provider == "generic"
        assert default_scheme(provider, req) is None


def test_gowa_and_meta_share_the_header_and_are_told_apart_by_body(provider_fixture: Any) -> None:
    gowa = request(provider_fixture("gowa_message_text.json"), JSON_CT, HUB_256)
    meta = request(provider_fixture("meta_message_text.json"), JSON_CT, HUB_256)
    assert detect(gowa)[0] == "gowa"
    assert detect(meta)[0] == "meta"
    assert default_scheme("gowa", gowa) == "gowa"
    assert default_scheme("meta", meta) == "meta"


def test_body_shape_wins_over_headers(provider_fixture: Any) -> None:
    body = provider_fixture("waha_message.json")
    assert detect(request(body, JSON_CT, ("X-GitHub-Event", "push")))[0] == "waha"
    assert detect(request(body, JSON_CT, ("webhook-id", "1"), ("webhook-signature", "x")))[0] == (
        "waha"
    )


# ---------------------------------------------------------------------------------------------
# default_scheme


@pytest.mark.parametrize(
    ("provider", "headers", "scheme"),
    [
        ("meta", (HUB_256,), "meta"),
        ("github", (HUB_256,), "github"),
        ("github", (("X-Hub-Signature", "sha1=00"),), "github_sha1"),
        ("github", (("X-Hub-Signature", "sha1=00"), HUB_256), "github"),
        ("gowa", (HUB_256,), "gowa"),
        ("waha", (("X-Webhook-Hmac", "00"),), "waha"),
        ("waha", (), "waha"),
        ("waha", (("X-WAHooks-Signature", "sha256=00"),), "wahooks"),
        ("wsapi", (("X-Webhook-Signature", "sha256=00"),), "wsapi"),
        ("stripe", (), "stripe"),
        ("standard", (), "standard"),
        ("slack", (), "slack"),
        ("shopify", (), "shopify"),
        ("twilio", (), "twilio"),
        ("evolution", (("Authorization", "Bearer x"),), None),
        ("greenapi", (), None),
        ("generic", (HUB_256,), None),
        ("no-such-provider", (), None),
    ],
)
def test_default_scheme(provider: str, headers: tuple[Header, ...], scheme: str | None) -> None:
    assert default_scheme(provider, request(b"{}", *headers)) == scheme


# ---------------------------------------------------------------------------------------------
# mask_credentials


def test_mask_credentials_masks_evolution_apikey_and_nested_secrets(provider_fixture: Any) -> None:
    body = json.loads(provider_fixture("synthetic_evolution_messages_upsert.json"))
    body["data"]["auth"] = {"Token": "t0k", "PASSWORD": "hunter2", "user": "bob"}
    body["data"]["list"] = [{"access_token": {"nested": 1}}, {"Secret": None}, "token"]
    body["data"]["Api_Key"] = 12345
    original = copy.deepcopy(body)

    masked = mask_credentials(body)

    assert body == original, "input must not be modified"
    assert isinstance(masked, dict)
    assert masked["apikey"] == "***"
    assert masked["data"]["auth"] == {"Token": "***", "PASSWORD": "***", "user": "bob"}
    assert masked["data"]["list"] == [{"access_token": "***"}, {"Secret": "***"}, "token"]
    assert masked["data"]["Api_Key"] == "***"
    # everything else is unchanged
    assert masked["data"]["message"] == original["data"]["message"]
    assert masked["server_url"] == original["server_url"]
    masked["data"]["key"]["id"] = "changed"
    assert body["data"]["key"]["id"] == "3EB0A0C1D2E3F4A5B6C7", "the copy is deep"


def test_mask_credentials_leaves_other_values_alone() -> None:
    for value in (None, 1, "apikey", [1, "token", {"a": [True]}], {"tokens": 1, "key": "v"}):
        assert mask_credentials(value) == value


def test_mask_credentials_handles_very_deep_nesting() -> None:
    deep: list[Any] = []
    node = deep
    for _ in range(100_000):
        child: list[Any] = []
        node.append(child)
        node = child
    node.append({"password": "x"})
    masked = mask_credentials(deep)
    for _ in range(100_000):
        assert isinstance(masked, list)
        masked = masked[0]
    assert masked == [{"password": "***"}]


# ---------------------------------------------------------------------------------------------
# Hostile input never raises


HOSTILE_BODIES: list[tuple[bytes, str]] = [
    (b"\xff\xfe\x00garbage\x80", "generic"),
    (b'{"text": "\xff\xfe"}', "generic"),
    (b"[" * 100_000 + b"]" * 100_000, "generic"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "generic"),
    (
        b'{"object":"whatsapp_business_account","entry":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "generic",
    ),
    (b'{"object":"whatsapp_business_account","entry":"x"}', "meta"),
    (b'{"object":"whatsapp_business_account","entry":[1,"x",null,{"changes":{"a":1}}]}', "meta"),
    (
        b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":5,"value":[]},'
        b'{"field":"messages","value":{"messages":[1,"x",null,{"type":["a"],"from":{}}],'
        b'"statuses":{"a":1},"contacts":"x","errors":[[]]}}]}]}',
        "meta",
    ),
    (b'{"event":1,"session":[],"payload":null}', "waha"),
    (b'{"event":"message.ack","session":"s","payload":{"ack":1e400,"id":[]}}', "waha"),
    (b'{"event":"presence.update","session":"s","payload":{"presences":"x"}}', "waha"),
    (b'{"event":"group.v2.join","session":"s","payload":{"group":[]}}', "waha"),
    (b'{"eventId":[],"instanceId":{},"eventType":5,"eventData":"x"}', "wsapi"),
    (b'{"eventId":"e","instanceId":"i","eventType":"group","eventData":{"join":5}}', "wsapi"),
    (b'{"typeWebhook":null,"instanceData":1,"messageData":[]}', "greenapi"),
    (
        b'{"typeWebhook":"incomingMessageReceived","instanceData":1,"messageData":{"x":1}}',
        "greenapi",
    ),
    (b'{"event":{},"instance":[],"data":7}', "evolution"),
    (b'{"event":"messages.update","instance":"i","data":{"status":99}}', "evolution"),
    (b'{"event":"presence.update","instance":"i","data":{"presences":{"a":5}}}', "evolution"),
    (b'{"event":"message","device_id":null,"payload":"x"}', "gowa"),
    (b'{"event":"message.ack","device_id":"d","payload":{"ids":"x"}}', "gowa"),
    (b'{"object":"event","type":"x","id":"evt_1","data":5}', "stripe"),
    (b'{"type":"event_callback","team_id":5,"event":"x"}', "slack"),
    (b'"just a string"', "generic"),
    (b"12345", "generic"),
    (b"1" * 5000, "generic"),
    (b"null", "generic"),
    (b"[]", "generic"),
    (b"", "generic"),
]


@pytest.mark.parametrize(("body", "provider"), HOSTILE_BODIES, ids=range(len(HOSTILE_BODIES)))
def test_hostile_bodies_never_raise(body: bytes, provider: str) -> None:
    got, events = providers._detect(request(body, JSON_CT))  # unguarded: no hidden exceptions
    assert_well_formed(got, events)
    assert got == provider
    assert detect(request(body, JSON_CT)) == (got, events)


def test_five_megabyte_bodies() -> None:
    blob = bytes(range(256)) * (5 * 1024 * 1024 // 256)
    started = time.monotonic()
    for body, headers in (
        (blob, (("Content-Type", "application/octet-stream"),)),
        (blob, (FORM_CT, ("X-Twilio-Signature", "x"))),
        (b'{"x": "' + b"a" * 5_000_000 + b'"}', (JSON_CT,)),
        (
            b'{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages",'
            b'"value":{"messages":[{"type":"text","text":{"body":"'
            + b"\\n x" * 1_300_000
            + b'"}}]}}]}]}',
            (JSON_CT,),
        ),
    ):
        provider, events = providers._detect(request(body, *headers))
        assert_well_formed(provider, events)
    assert time.monotonic() - started < 20


def test_generic_summaries() -> None:
    cases = [
        (
            request(b"hello", ("Content-Type", "text/plain")),
            "post",
            "POST /webhook (5 bytes, text/plain)",
        ),
        (request(b"", method="GET", path="/x"), "get", "GET /x (0 bytes)"),
        (request(b'{"a":1,"b":2}', JSON_CT), "post", "POST /webhook: {a, b}"),
        (
            request(b'{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}', JSON_CT),
            "post",
            "POST /webhook: {a, b, c, d, e, …}",
        ),
        (request(b"[1,2,3]", JSON_CT), "post", "POST /webhook: [3 items]"),
        (request(b'"hi\\nthere"', JSON_CT), "post", 'POST /webhook: "hi\\nthere"'),
        (request(b"x", method=""), "request", "REQUEST /webhook (1 bytes)"),
    ]
    for req, event_type, summary in cases:
        provider, events = detect(req)
        assert (provider, len(events)) == ("generic", 1)
        assert (events[0].event_type, events[0].summary) == (event_type, summary)


def test_detect_falls_back_to_generic_when_a_parser_fails(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, provider_fixture: Any
) -> None:
    def boom(*_: object) -> None:
        raise RuntimeError("bug")

    broken = dataclasses.replace(registry.REGISTRY[0], events=boom)
    assert broken.name == "meta"
    monkeypatch.setattr(registry, "REGISTRY", (broken, *registry.REGISTRY[1:]))
    provider, events = detect(request(provider_fixture("meta_message_text.json"), JSON_CT))
    assert provider == "generic"
    assert len(events) == 1
    assert "provider detection failed" in caplog.text


# ---------------------------------------------------------------------------------------------
# Property tests

KEYS = sorted(
    {
        "object",
        "entry",
        "changes",
        "field",
        "value",
        "messages",
        "statuses",
        "errors",
        "contacts",
        "wa_id",
        "profile",
        "name",
        "from",
        "id",
        "type",
        "text",
        "body",
        "reaction",
        "emoji",
        "message_id",
        "interactive",
        "button_reply",
        "list_reply",
        "title",
        "status",
        "recipient_id",
        "code",
        "event",
        "session",
        "payload",
        "fromMe",
        "to",
        "participant",
        "ack",
        "ackName",
        "media",
        "hasMedia",
        "mimetype",
        "group",
        "participants",
        "presences",
        "lastKnownPresence",
        "me",
        "eventId",
        "instanceId",
        "eventType",
        "eventData",
        "data",
        "sender",
        "chatId",
        "messageIds",
        "receiptType",
        "instance",
        "key",
        "remoteJid",
        "message",
        "conversation",
        "reactionMessage",
        "typeWebhook",
        "instanceData",
        "idInstance",
        "idMessage",
        "senderData",
        "messageData",
        "typeMessage",
        "textMessageData",
        "textMessage",
        "device_id",
        "chat_id",
        "ids",
        "receipt_type",
        "action",
        "repository",
        "full_name",
        "pull_request",
        "number",
        "ref",
        "pusher",
        "login",
        "team_id",
        "token",
        "apikey",
        "password",
        "challenge",
        "event_id",
        "trigger_id",
        "user",
        "channel",
        "actions",
        "image",
        "location",
        "contact",
        "caption",
        "stateInstance",
    }
)
WORDS = [
    "whatsapp_business_account",
    "event",
    "message",
    "message.ack",
    "message.any",
    "message.reaction",
    "message.revoked",
    "message.edited",
    "messages",
    "messages.upsert",
    "messages.update",
    "messages.delete",
    "send.message",
    "connection.update",
    "qrcode.updated",
    "presence.update",
    "group.v2.join",
    "group.v2.participants",
    "group.participants",
    "group.joined",
    "newsletter.joined",
    "session.status",
    "engine.event",
    "call.received",
    "call.offer",
    "poll.vote",
    "message_read",
    "message_delete",
    "message_star",
    "logged_in",
    "logged_out",
    "login_error",
    "chat_presence",
    "user_presence",
    "call_offer",
    "group",
    "media",
    "reaction",
    "text",
    "interactive",
    "button_reply",
    "list_reply",
    "nfm_reply",
    "button",
    "image",
    "document",
    "location",
    "contacts",
    "order",
    "system",
    "failed",
    "outgoingMessageStatus",
    "incomingMessageReceived",
    "outgoingMessageReceived",
    "stateInstanceChanged",
    "incomingCall",
    "textMessage",
    "reactionMessage",
    "event_callback",
    "url_verification",
    "block_actions",
    "evt_1",
    "true_1@c.us_A",
    "1@g.us",
    "message_template_status_update",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(WORDS)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)
SHAPES = [
    ("object", "entry"),
    ("event", "session", "payload"),
    ("event", "session", "engine"),
    ("eventId", "instanceId", "eventType", "eventData"),
    ("event", "instance", "data"),
    ("typeWebhook", "instanceData", "messageData", "senderData"),
    ("event", "device_id", "payload"),
    ("object", "type", "id"),
    ("type", "team_id", "event"),
]


@st.composite
def shaped_bodies(draw: st.DrawFn) -> object:
    """Provider envelopes (right keys) whose values are arbitrary JSON."""
    keys = draw(st.sampled_from(SHAPES))
    body = {key: draw(json_values) for key in keys}
    if keys[0] == "object" and draw(st.booleans()):
        body["object"] = draw(st.sampled_from(["whatsapp_business_account", "event"]))
    if "type" in keys and draw(st.booleans()):
        body["type"] = draw(st.sampled_from(["event_callback", "url_verification", "x.y"]))
    if "id" in keys and draw(st.booleans()):
        body["id"] = "evt_" + draw(st.text(max_size=5))
    if "event" in keys and draw(st.booleans()):
        body["event"] = draw(st.sampled_from(WORDS))
    return body


HEADER_SETS: list[tuple[Header, ...]] = [
    (),
    (JSON_CT,),
    (FORM_CT,),
    (HUB_256,),
    (("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "\xff\x00weird")),
    (("X-Shopify-Topic", "orders/create\n"),),
    (("Stripe-Signature", "t=1"),),
    (("X-Slack-Signature", "v0=1"),),
    (("X-Twilio-Signature", "x"),),
    (("webhook-id", "msg\r\n"), ("webhook-signature", "v1,x")),
    (("svix-id", "a"), ("svix-signature", "b")),
    (("X-WAHooks-Signature", "x"), ("X-Webhook-Request-Id", "r")),
]
methods = st.sampled_from(["POST", "GET", "PUT", "", "m-search"])
queries = st.sampled_from(["", "hub.mode=subscribe&hub.challenge=1", "hub.challenge=", "a=b"])
header_sets = st.lists(st.sampled_from(HEADER_SETS), max_size=3).map(
    lambda groups: tuple(h for group in groups for h in group)
)


def _check(body: bytes, headers: tuple[Header, ...], method: str, query: str) -> None:
    req = request(body, *headers, method=method, query=query)
    provider, events = providers._detect(req)
    assert_well_formed(provider, events)
    assert default_scheme(provider, req) in (
        None,
        *(p.scheme for p in providers.REGISTRY if p.scheme),
        "github_sha1",
        "wahooks",
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=json_values | shaped_bodies(),
    headers=header_sets,
    method=methods,
    query=queries,
    ascii_only=st.booleans(),
)
def test_detect_never_raises_on_json(
    value: object, headers: tuple[Header, ...], method: str, query: str, ascii_only: bool
) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    _check(body, headers, method, query)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=2000), headers=header_sets, method=methods, query=queries)
def test_detect_never_raises_on_bytes(
    body: bytes, headers: tuple[Header, ...], method: str, query: str
) -> None:
    _check(body, headers, method, query)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=300),
    fields=st.dictionaries(
        st.sampled_from(
            [
                "From",
                "To",
                "Body",
                "MessageStatus",
                "ProfileName",
                "NumMedia",
                "ErrorCode",
                "CallStatus",
                "command",
                "user_name",
                "channel_name",
                "payload",
            ]
        ),
        st.text(max_size=50),
        max_size=6,
    ),
)
def test_form_bodies_never_raise(text: str, fields: dict[str, str]) -> None:
    from urllib.parse import urlencode

    form = {"AccountSid": "AC1", "MessageSid": "SM1", "Body": text, **fields}
    for extra in ({}, {"team_id": "T", "token": "t", "command": "/x"}):
        body = urlencode({**form, **extra}).encode()
        provider, events = providers._detect(request(body, FORM_CT))
        assert_well_formed(provider, events)
        assert provider in ("twilio", "slack")


@settings(max_examples=200, deadline=None)
@given(value=json_values | shaped_bodies())
def test_mask_credentials_property(value: object) -> None:
    before = json.dumps(value, sort_keys=True)
    masked = mask_credentials(value)
    assert json.dumps(value, sort_keys=True) == before

    def check(original: object, copy_: object) -> None:
        if isinstance(original, dict):
            assert isinstance(copy_, dict)
            assert copy_ is not original
            assert list(copy_) == list(original)
            for key, item in original.items():
                if key.lower() in providers.CREDENTIAL_KEYS:
                    assert copy_[key] == "***"
                else:
                    check(item, copy_[key])
        elif isinstance(original, list):
            assert isinstance(copy_, list)
            assert copy_ is not original
            assert len(copy_) == len(original)
            for a, b in zip(original, copy_, strict=True):
                check(a, b)
        else:
            assert copy_ is original

    check(value, masked)


def _templates() -> list[tuple[object, tuple[Header, ...]]]:
    """Every JSON fixture and every JSON example above, with the headers it is sent with."""
    out: list[tuple[object, tuple[Header, ...]]] = []
    for name, headers, *_ in FIXTURES:
        if name.endswith(".json"):
            out.append((json.loads((PROVIDER_FIXTURES / name).read_bytes()), headers))
    for headers, body, *_ in EXTRA:
        if not isinstance(body, bytes):
            out.append((body, headers))
    return out


TEMPLATES = _templates()


def _slots(doc: object) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) position inside `doc`."""
    found: list[tuple[Any, Any]] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.extend((node, key) for key in node)
            stack.extend(node.values())
        elif isinstance(node, list):
            found.extend((node, index) for index in range(len(node)))
            stack.extend(node)
    return found


@st.composite
def mutated_payloads(draw: st.DrawFn) -> tuple[object, tuple[Header, ...]]:
    """A real payload with a few values swapped for arbitrary JSON (or keys deleted)."""
    template, headers = draw(st.sampled_from(TEMPLATES))
    doc = copy.deepcopy(template)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        slots = _slots(doc)
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        if isinstance(container, dict) and draw(st.booleans()):
            del container[key]
        else:
            container[key] = draw(json_values)
    return doc, headers


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_payloads())
def test_detect_never_raises_on_mutated_real_payloads(
    case: tuple[object, tuple[Header, ...]],
) -> None:
    doc, headers = case
    body = json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass")
    provider, events = providers._detect(request(body, JSON_CT, *headers))
    assert_well_formed(provider, events)
    masked = mask_credentials(doc)
    assert "SECRET-KEY" not in json.dumps(masked)
