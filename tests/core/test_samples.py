from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core import samples
from inspector.core.config import SecretRule, Settings
from inspector.core.providers import detect
from inspector.core.samples import (
    DEMO_SECRETS,
    SampleError,
    build_sample,
    default_url,
    list_samples,
    sample_info,
    send_sample,
)
from inspector.core.service import InspectorService
from inspector.core.signatures import verify_request

ROOT = Path(__file__).resolve().parents[2]
ALL = list_samples()


def rules(secret: str | None = None) -> tuple[SecretRule, ...]:
    return tuple(
        SecretRule(f"/webhook/{provider}", scheme, secret or DEMO_SECRETS[provider])
        for provider, scheme in samples.SCHEMES.items()
    )


@pytest.fixture
async def service(tmp_path: Path):
    svc = InspectorService(Settings(db_path=tmp_path / "s.db", port=0, secrets=rules()))
    await svc.start()
    yield svc
    await svc.stop()


def test_catalogue_has_the_promised_events() -> None:
    names = {(provider, event) for provider, event, _ in ALL}
    assert {("meta", e) for e in ("text", "image", "button", "reaction", "status.sent",
                                  "status.delivered", "status.read", "status.failed")} <= names
    assert {("waha", e) for e in ("message", "message.ack", "session.status",
                                  "group.v2.join")} <= names  # fmt: skip
    assert {("wsapi", "message"), ("standard", "user.created"), ("github", "push"),
            ("github", "ping"), ("stripe", "customer.created")} <= names  # fmt: skip
    assert all(description for _, _, description in ALL)


async def test_every_sample_is_stored_valid_with_its_provider_and_event(service) -> None:
    sent: dict[int, tuple[str, str]] = {}
    for provider, event, _ in ALL:
        request = build_sample(provider, event)
        status, body = await send_sample(request, f"{service.url}/webhook/{provider}")
        assert (status, body) == (200, b'{"ok":true}'), (provider, event)
        sent[len(sent)] = (provider, event)
    await service.settled()
    rows = sorted(service.store.page(limit=100), key=lambda row: row.id)
    assert len(rows) == len(ALL)
    problems = []
    for row, (provider, event) in zip(rows, sent.values(), strict=True):
        _, event_type = sample_info(provider, event)
        got = (row.provider, row.event_type, row.sig_status, row.duplicate_of)
        if got != (provider, event_type, "valid", None):
            problems.append((provider, event, got))
    assert problems == []


async def test_a_wrong_secret_is_stored_invalid(service) -> None:
    request = build_sample("waha", "message", secret="not-the-configured-one")
    status, _ = await send_sample(request, f"{service.url}/webhook/waha")
    assert status == 200
    await service.settled()
    [row] = service.store.page()
    assert row.sig_status == "invalid"


@pytest.mark.parametrize(("provider", "event"), [(p, e) for p, e, _ in ALL])
def test_each_sample_verifies_and_is_detected(provider: str, event: str) -> None:
    request = build_sample(provider, event, secret="s3cret-for-the-test-1234567890")
    scheme, event_type = sample_info(provider, event)
    secret = "s3cret-for-the-test-1234567890"
    assert verify_request(request, scheme, secret).status == "valid"
    found, events = detect(request)
    assert (found, events[0].event_type) == (provider, event_type)
    assert request.method == "POST"
    assert request.path == f"/webhook/{provider}"
    assert request.header("host") is None
    assert json.loads(request.body)


def test_fresh_ids_and_timestamps_on_every_build() -> None:
    one, two = build_sample("meta", "text", now=1_700_000_000), build_sample("meta", "text")
    first, second = json.loads(one.body), json.loads(two.body)
    message = "entry.0.changes.0.value.messages.0"
    assert samples._get(first, f"{message}.id") != samples._get(second, f"{message}.id")
    assert samples._get(first, f"{message}.id").startswith("wamid.")
    assert samples._get(first, f"{message}.timestamp") == "1700000000"
    for provider, event, _ in ALL:
        a, b = build_sample(provider, event), build_sample(provider, event)
        assert a.body != b.body or a.headers != b.headers, (provider, event)


def test_waha_headers_and_envelope() -> None:
    request = build_sample("waha", "message", now=1_700_000_000.5)
    doc = json.loads(request.body)
    assert doc["id"].startswith("evt_")
    assert len(doc["id"]) == 30
    assert doc["timestamp"] == 1_700_000_000_500
    assert request.header("X-Webhook-Timestamp") == "1700000000500"
    assert request.header("User-Agent").startswith("WAHA/")
    assert len(request.header("X-Webhook-Request-Id") or "") == 26
    assert request.header("X-Webhook-Hmac-Algorithm") == "sha512"
    assert doc["payload"]["fromMe"] is False
    assert doc["payload"]["id"].startswith("false_11111111111@c.us_")


def test_provider_headers() -> None:
    github = build_sample("github", "ping")
    assert github.header("X-GitHub-Event") == "ping"
    assert len(github.header("X-GitHub-Delivery") or "") == 36
    assert (github.header("X-Hub-Signature") or "").startswith("sha1=")
    assert verify_request(github, "github_sha1", DEMO_SECRETS["github"]).status == "valid"
    stripe = build_sample("stripe", "customer.created", now=1_700_000_000)
    assert (stripe.header("Stripe-Signature") or "").startswith("t=1700000000,v1=")
    standard = build_sample("standard", "user.created")
    assert (standard.header("webhook-id") or "").startswith("msg_")
    assert (standard.header("webhook-signature") or "").startswith("v1,")
    wsapi = build_sample("wsapi", "message")
    assert wsapi.header("X-Instance-Id") == json.loads(wsapi.body)["instanceId"]
    meta = build_sample("meta", "status.read")
    assert meta.header("Content-Type") == "application/json"
    assert "conversation" not in meta.body.decode()


def test_meta_body_escapes_non_ascii_like_meta() -> None:
    request = build_sample("meta", "text", overrides={"text": "café 👍"})
    assert b"caf\\u00e9 \\ud83d\\udc4d" in request.body
    assert request.body.isascii()


def test_set_changes_phone_name_and_text() -> None:
    request = build_sample(
        "meta", "text", overrides={"phone": "+49 151 1234567", "text": "Hallo", "name": "Zoë"}
    )
    doc = json.loads(request.body)
    value = doc["entry"][0]["changes"][0]["value"]
    assert value["messages"][0]["from"] == "491511234567"
    assert value["contacts"][0]["wa_id"] == "491511234567"
    assert value["contacts"][0]["profile"]["name"] == "Zoë"
    assert value["messages"][0]["text"]["body"] == "Hallo"
    _, events = detect(request)
    assert events[0].summary == "text from 491511234567 (Zoë): Hallo"

    waha = json.loads(build_sample("waha", "message", overrides={"from": "4915112345678",
                                                                   "text": "hi"}).body)
    assert waha["payload"]["from"] == "4915112345678@c.us"
    assert waha["payload"]["body"] == "hi"
    assert waha["payload"]["id"].startswith("false_4915112345678@c.us_")

    wsapi = json.loads(build_sample("wsapi", "message", overrides={"phone": "4915112345678"}).body)
    assert wsapi["eventData"]["sender"]["id"] == "4915112345678@s.whatsapp.net"


def test_set_dotted_paths_keep_or_parse_types() -> None:
    body = build_sample("meta", "text", overrides={
        "entry.0.changes.0.value.messages.0.text.body": "123",
        "entry.0.changes.0.value.messages.0.id": "wamid.PINNED",
    }).body  # fmt: skip
    message = json.loads(body)["entry"][0]["changes"][0]["value"]["messages"][0]
    assert message["text"]["body"] == "123"  # the field held a string: stays a string
    assert message["id"] == "wamid.PINNED"  # dotted paths run after the fresh ids
    ack = json.loads(build_sample("waha", "message.ack", overrides={"payload.ack": "2",
                                                                      "payload.ackName": "DEVICE"}
                                  ).body)  # fmt: skip
    assert ack["payload"]["ack"] == 2
    assert ack["payload"]["ackName"] == "DEVICE"
    added = json.loads(build_sample("stripe", "customer.created",
                                    overrides={"data.object.metadata": '{"plan": "pro"}',
                                               "livemode": "true"}).body)  # fmt: skip
    assert added["data"]["object"]["metadata"] == {"plan": "pro"}
    assert added["livemode"] is True


@pytest.mark.parametrize(
    ("provider", "event", "overrides", "message"),
    [
        ("nope", "text", {}, "no samples for provider 'nope'"),
        ("meta", "nope", {}, "no meta sample 'nope'"),
        ("meta", "status.read", {"text": "x"}, "has no 'text' field"),
        ("meta", "text", {"entry.5.id": "x"}, "nothing at 'entry.5'"),
        ("meta", "text", {"phone": "abc"}, "not a phone number"),
        ("meta", "text", {"txt": "hi"}, "'txt' is neither a friendly key of meta text"),
    ],
)
def test_bad_samples_and_overrides_are_clear_errors(
    provider: str, event: str, overrides: dict[str, str], message: str
) -> None:
    with pytest.raises(SampleError, match=message):
        build_sample(provider, event, overrides=overrides)


def test_event_type_is_accepted_as_event_name() -> None:
    assert json.loads(build_sample("meta", "statuses.read").body)


def test_default_url() -> None:
    assert default_url("meta") == "http://127.0.0.1:8080/webhook/meta"
    assert default_url("waha", "0.0.0.0", 9000) == "http://127.0.0.1:9000/webhook/waha"
    assert default_url("waha", "::1", 9000) == "http://[::1]:9000/webhook/waha"


def test_package_templates_match_the_test_fixtures(provider_fixture) -> None:
    folder = ROOT / "inspector" / "resources" / "samples"
    fixtures = ROOT / "tests" / "fixtures" / "providers"
    copied = [p for p in folder.glob("*.json") if (fixtures / p.name).exists()]
    assert len(copied) >= 12
    for path in copied:
        assert path.read_bytes() == provider_fixture(path.name), path.name
    assert (folder / "SOURCES.md").exists()


async def test_send_sample_reports_unreachable_targets() -> None:
    import socket

    import aiohttp

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(aiohttp.ClientError):
        await send_sample(build_sample("meta", "text"), f"http://127.0.0.1:{port}/webhook/meta")


def test_readme_documents_every_demo_secret_and_sample() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for provider, secret in DEMO_SECRETS.items():
        assert f"| {provider} | {samples.SCHEMES[provider]} | `{secret}` |" in readme
    for _, event, _ in ALL:
        assert f"`{event}`" in readme
