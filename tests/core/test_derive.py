from __future__ import annotations

import hashlib
import hmac

from inspector.core.config import SecretRule, Settings
from inspector.core.derive import derive, handshake_answer, meta_handshake
from inspector.core.models import CapturedRequest, SigStatus


def meta_request(body: bytes, secret: str = "app-secret") -> CapturedRequest:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = (("Content-Type", "application/json"), ("X-Hub-Signature-256", signature))
    return CapturedRequest("POST", "/webhook/meta", headers=headers, body=body)


def test_configured_secret_verifies(provider_fixture) -> None:
    request = meta_request(provider_fixture("meta_message_text.json"))
    settings = Settings(secrets=(SecretRule("/webhook", "meta", "app-secret"),))
    derived = derive(request, settings)
    assert derived.provider == "meta"
    assert derived.event_type == "message.text"
    assert derived.verification.status is SigStatus.VALID


def test_wrong_secret_is_invalid_and_never_shows_the_secret(provider_fixture) -> None:
    request = meta_request(provider_fixture("meta_message_text.json"), "other")
    settings = Settings(secrets=(SecretRule("/webhook", "meta", "app-secret"),))
    verification = derive(request, settings).verification
    assert verification.status is SigStatus.INVALID
    assert "app-secret" not in repr(verification)


def test_signed_without_a_secret_says_how_to_add_one(provider_fixture) -> None:
    request = meta_request(provider_fixture("meta_message_text.json"))
    verification = derive(request, Settings()).verification
    assert verification.status is SigStatus.NO_SECRET
    assert verification.scheme == "meta"
    assert "--secret /webhook/meta=meta:SECRET" in verification.reason


def test_unsigned_request_is_unsigned() -> None:
    derived = derive(CapturedRequest("POST", "/x", body=b"hello"), Settings())
    assert derived.verification.status is SigStatus.UNSIGNED


def test_refused_request_is_described_not_analysed() -> None:
    request = CapturedRequest("POST", "/x", refused="body of 12 MiB is over the 10 MiB limit")
    derived = derive(request, Settings())
    assert derived.event_type == "refused"
    assert "12 MiB" in derived.summary


def test_meta_handshake_is_a_verification_event() -> None:
    query = "hub.mode=subscribe&hub.challenge=42&hub.verify_token=tok"
    request = CapturedRequest("GET", "/webhook", query=query)
    params = meta_handshake(request)
    assert params is not None
    assert handshake_answer(params, "tok") == (200, b"42")
    assert handshake_answer(params, "nope")[0] == 403
    assert handshake_answer(params, None)[0] == 403
    derived = derive(request, Settings(verify_token="tok"))
    assert (derived.provider, derived.event_type) == ("meta", "verification")
    assert derived.verification.status is SigStatus.VALID
    unconfigured = derive(request, Settings())
    assert "no verify token configured" in unconfigured.summary


def test_post_with_hub_query_is_not_a_handshake() -> None:
    request = CapturedRequest("POST", "/w", query="hub.mode=subscribe")
    assert meta_handshake(request) is None


def meta_batch(*values: dict[str, object]) -> bytes:
    import json

    changes = [{"field": "messages", "value": value} for value in values]
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "1", "changes": changes}]}).encode()  # fmt: skip


def status(state: str) -> dict[str, object]:
    return {"statuses": [{"id": f"wamid.{state}", "status": state, "recipient_id": "155"}]}


def test_a_mixed_meta_batch_is_labelled_by_its_message_not_its_first_status() -> None:
    message = {"contacts": [{"wa_id": "155", "profile": {"name": "Ann"}}],
               "messages": [{"from": "155", "id": "wamid.M", "type": "text",
                             "text": {"body": "hello there"}}]}  # fmt: skip
    body = meta_batch(status("sent"), status("delivered"), status("read"), message)
    derived = derive(meta_request(body), Settings())
    assert derived.events[0].event_type == "statuses.sent"
    assert derived.event_type == "message.text + 3 statuses"
    assert derived.summary.startswith(derived.events[3].summary)
    assert "hello there" in derived.summary
    assert derived.summary.endswith("(+3 more)")


def test_a_batch_of_one_type_keeps_that_type() -> None:
    derived = derive(meta_request(meta_batch(status("sent"), status("sent"))), Settings())
    assert derived.event_type == "statuses.sent"
    statuses = derive(meta_request(meta_batch(status("sent"), status("read"))), Settings())
    assert statuses.event_type == "statuses.sent + 1 status"
