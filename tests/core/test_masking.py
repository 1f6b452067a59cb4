from __future__ import annotations

import io
import json

from inspector.core.formats.native import write_json
from inspector.core.masking import (
    mask_body,
    mask_digits,
    mask_export_item,
    mask_json,
    mask_stored,
)
from inspector.core.models import CapturedRequest, Derived, StoredRequest
from inspector.core.providers import detect


def stored(body: bytes, content_type: str = "application/json") -> StoredRequest:
    request = CapturedRequest("POST", "/w", headers=(("Content-Type", content_type),), body=body)
    provider, events = detect(request)
    return StoredRequest(request, Derived(provider, events), 200)


def test_digit_runs_keep_their_last_four() -> None:
    assert mask_digits("16505551234") == "*******1234"
    assert mask_digits("491511234567@c.us") == "********4567@c.us"
    assert mask_digits("call 1234567 or 12345678") == "call 1234567 or ****5678"


def test_names_text_and_phones_are_masked_timestamps_kept(provider_fixture) -> None:
    masked = mask_json(json.loads(provider_fixture("meta_message_text.json")))
    text = json.dumps(masked)
    for secret in ("Sheena Nelson", "16505551234", "Does it come in another color?"):
        assert secret not in text
    value = masked["entry"][0]["changes"][0]["value"]  # type: ignore[index]
    assert value["contacts"][0]["profile"]["name"] == "***"
    assert value["contacts"][0]["wa_id"] == "*******1234"
    assert value["messages"][0]["text"]["body"] == "***"
    assert value["messages"][0]["timestamp"] == "1749416383"
    assert value["messages"][0]["id"].startswith("wamid.masked-")


def test_same_wamid_masks_the_same_way() -> None:
    assert mask_json({"id": "wamid.ABC"}) == {"id": mask_json("wamid.ABC")}
    assert mask_json("wamid.ABC") == mask_json(["wamid.ABC"])[0]  # type: ignore[index]


def test_waha_green_and_form_bodies(provider_fixture) -> None:
    waha = json.loads(mask_body(provider_fixture("waha_message.json")) or b"")
    assert waha["payload"]["body"] == "***"
    assert waha["payload"]["from"] == "*******1111@c.us"
    assert waha["payload"]["_data"]["notifyName"] == "***"
    green = mask_body(provider_fixture("greenapi_incoming_message_text.json")) or b""
    assert b"***" in green
    form = mask_body(
        provider_fixture("synthetic_twilio_whatsapp_inbound.txt"),
        "application/x-www-form-urlencoded",
    )
    assert form is not None
    assert b"Body=%2A%2A%2A" in form
    assert b"ProfileName=%2A%2A%2A" in form


def test_bodies_that_are_neither_json_nor_form_are_kept() -> None:
    assert mask_body(b"\xff\x00binary") is None
    assert mask_body(b"plain text 16505551234", "text/plain") is None
    assert mask_body(b'{"n": 1}') is None  # nothing to mask


def test_mask_stored_re_derives_the_summary(provider_fixture) -> None:
    original = stored(provider_fixture("meta_message_text.json"))
    masked, changed = mask_stored(original)
    assert changed
    assert "Sheena" not in masked.derived.summary
    assert "16505551234" not in masked.derived.summary
    assert masked.derived.provider == "meta"
    assert original.request.body == provider_fixture("meta_message_text.json")


def test_export_masker_marks_the_body_and_keeps_original_hash(provider_fixture) -> None:
    body = provider_fixture("meta_message_text.json")
    out = io.StringIO()
    write_json(out, [stored(body)], mask_export_item)
    [item] = json.loads(out.getvalue())["requests"]
    assert item["body_masked"] is True
    assert "Sheena" not in out.getvalue()
    assert "16505551234" not in out.getvalue()
    assert "another color" not in out.getvalue()
    assert item["body_size"] == len(body)
    assert item["events"][0]["type"] == "message.text"
