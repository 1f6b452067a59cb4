"""The Vesper WhatsApp gateway: detection, summaries, its `vesper` signature and its samples."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from inspector.core import filters, providers, samples
from inspector.core.config import SecretRule, Settings
from inspector.core.derive import derive
from inspector.core.models import CapturedRequest, Event, Header, SigStatus
from inspector.core.signatures import SCHEMES, guess_scheme, sign_request, verify_request
from tests.conftest import PROVIDER_FIXTURES

SECRET = "vesper-test-secret"


def request(body: bytes, *headers: Header) -> CapturedRequest:
    headers = (("Content-Type", "application/json"), *headers)
    return CapturedRequest(method="POST", path="/webhook/vesper", headers=headers, body=body)


FIXTURES = PROVIDER_FIXTURES / "vesper"
TEMPLATES = Path(__file__).resolve().parents[2] / "inspector" / "resources" / "samples"


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("message_received", Event(
            "vesper", "message.received",
            "text from 905551234567 (John Doe): Merhaba, is my order on its way?",
            "3EB0A1C2D3E4F5061728", "905551234567", "905551234567",
        )),
        ("message_delivered", Event(
            "vesper", "message.delivered", "delivered 3EB0A1C2D3E4F5061728 → 905551234567",
            "3EB0A1C2D3E4F5061728:delivered", "905551234567",
        )),
        ("session_disconnected", Event(
            "vesper", "session.disconnected", "session disconnected: phone_offline",
        )),
    ],
)  # fmt: skip
def test_detected_and_summarised(name: str, expected: Event) -> None:
    assert providers.detect(request(fixture(name))) == ("vesper", (expected,))


def summary_of(body: dict[str, object]) -> str:
    provider, (event,) = providers.detect(request(json.dumps(body).encode()))
    assert provider == "vesper"
    return event.summary


def test_sent_read_media_and_connected_summaries() -> None:
    data = {"messageId": "3EB0FF", "sessionId": "s1", "from": "1", "to": "905551234567"}
    sent = {"type": "message.sent", "timestamp": "t", "data": {**data, "text": "hi"}}
    assert summary_of(sent) == "text to 905551234567: hi"
    read = {"type": "message.read", "timestamp": "t", "data": data}
    assert summary_of(read) == "read 3EB0FF → 905551234567"
    media = {**data, "fromName": "Ann", "hasMedia": True, "mediaType": "image", "caption": "look"}
    image = {"type": "message.received", "timestamp": "t", "data": media}
    assert summary_of(image) == "image from 1 (Ann): look"
    connected = {"type": "session.connected", "timestamp": "t", "data": {"sessionId": "s1"}}
    assert summary_of(connected) == "session connected"


def test_standard_webhooks_with_the_same_envelope_stay_standard() -> None:
    body = fixture("message_received").replace(b'"sessionId": "main",', b"")
    headers = (("webhook-id", "msg_1"), ("webhook-signature", "v1,x"), ("webhook-timestamp", "1"))
    assert providers.detect(request(body, *headers))[0] == "standard"
    unknown_type = request(b'{"type": "user.created"}', ("X-Vesper-Signature", "00"))
    assert providers.detect(unknown_type)[0] == "vesper"


def test_signature_is_hex_hmac_sha256_of_the_raw_body() -> None:
    body = fixture("message_received")
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    signed = sign_request(request(body), "vesper", SECRET)
    assert signed.header("X-Vesper-Signature") == expected
    assert verify_request(signed, "vesper", SECRET).status is SigStatus.VALID
    assert verify_request(signed, "vesper", "other").status is SigStatus.INVALID
    assert verify_request(request(body), "vesper", SECRET).status is SigStatus.MISSING_HEADER
    assert SCHEMES["vesper"].title == "Vesper (X-Vesper-Signature)"


def test_default_and_guessed_scheme_and_derive() -> None:
    signed = sign_request(request(fixture("message_delivered")), "vesper", SECRET)
    assert providers.default_scheme("vesper", signed) == "vesper"
    assert guess_scheme(signed) == "vesper"
    unconfigured = derive(signed, Settings())
    assert (unconfigured.provider, unconfigured.verification.status) == (
        "vesper",
        SigStatus.NO_SECRET,
    )
    settings = Settings(secrets=(SecretRule("/webhook/vesper", "vesper", SECRET),))
    assert derive(signed, settings).verification.status is SigStatus.VALID


@pytest.mark.parametrize("event", ["message.received", "message.delivered", "session.disconnected"])
def test_samples_are_detected_and_signed(event: str) -> None:
    sample = samples.build_sample("vesper", event)
    assert providers.detect(sample)[1][0].event_type == event
    secret = samples.DEMO_SECRETS["vesper"]
    assert verify_request(sample, "vesper", secret).status is SigStatus.VALID
    assert samples.sample_info("vesper", event) == ("vesper", event)


@pytest.mark.parametrize("name", ["message_received", "session_disconnected"])
def test_sample_templates_match_the_fixtures(name: str) -> None:
    assert (TEMPLATES / f"synthetic_vesper_{name}.json").read_bytes() == fixture(name)


def test_sample_overrides() -> None:
    sample = samples.build_sample(
        "vesper", "message.received", overrides={"phone": "+49 151 1234", "text": "Hallo"}
    )
    assert providers.detect(sample)[1][0].summary == "text from 491511234 (John Doe): Hallo"


def test_in_the_filter_language_and_the_quick_chips() -> None:
    assert "vesper" in filters.VALUES["provider"]
    assert "provider:vesper" in filters.completions("provider:v", 10)
    assert filters.compile_filter("provider:vesper").params == ("vesper",)
    assert ("vesper", "Vesper") in providers.chips()
