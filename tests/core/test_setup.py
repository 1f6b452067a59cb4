"""The Connect-a-provider pages: what is shown for a given URL, secret and token."""

from __future__ import annotations

import json

import pytest

from inspector.core import setup
from inspector.core.config import SecretRule, Settings
from inspector.core.models import (
    CapturedRequest,
    Derived,
    Event,
    SigStatus,
    StoredRequest,
    Verification,
)

BASE = "https://run1-quiet-words.trycloudflare.com"
SECRET = "s3cret-value"
TOKEN = "tok-123"
KEYS = ("meta", "waha", "wahooks", "wawp", "wsapi", "gowa", "evolution", "greenapi", "vesper",
        "github", "stripe", "slack", "shopify", "twilio", "standard")  # fmt: skip


def texts(key: str) -> dict[str, str]:
    return {step.title: step.text for step in setup.steps(key, BASE + "/", SECRET, TOKEN)}


def test_every_provider_has_a_page() -> None:
    assert tuple(t.key for t in setup.TARGETS) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_every_page_shows_the_url_with_its_own_path(key: str) -> None:
    steps = setup.steps(key, BASE + "/", SECRET, TOKEN)
    url = f"{BASE}/webhook/{key}"
    assert any(url in step.text for step in steps if step.copy)
    assert all(step.title for step in steps)


@pytest.mark.parametrize("key", [t.key for t in setup.TARGETS if t.scheme])
def test_pages_of_signing_providers_name_the_secret(key: str) -> None:
    steps = setup.steps(key, BASE, SECRET)
    chosen_here = any(SECRET in step.text for step in steps if step.copy)
    found_there = any("paste it into the secret field above" in step.title for step in steps)
    assert chosen_here != found_there  # we show it, or say where the provider shows it
    assert setup.target(key).chosen_here == chosen_here
    assert all(SECRET not in step.text for step in steps if not step.copy)
    assert setup.secret_rule(key, SECRET) == SecretRule(
        f"/webhook/{key}", setup.target(key).scheme or "", SECRET
    )


def test_meta_page() -> None:
    page = texts("meta")
    assert page["Meta App Dashboard > WhatsApp > Configuration > Webhook: Callback URL"] == (
        f"{BASE}/webhook/meta"
    )
    assert page["Same place: Verify token (the receiver answers Meta's check with it)"] == TOKEN
    assert any("App settings > Basic > App secret" in title for title in page)


def test_waha_page_has_session_config_and_env() -> None:
    steps = setup.steps("waha", BASE, SECRET)
    config = json.loads(steps[0].text)
    assert config == {"webhooks": [{"url": f"{BASE}/webhook/waha",
                                    "events": ["message", "session.status"],
                                    "hmac": {"key": SECRET}}]}  # fmt: skip
    assert steps[1].text.splitlines() == [
        f"WHATSAPP_HOOK_URL={BASE}/webhook/waha", "WHATSAPP_HOOK_EVENTS=message,session.status",
        f"WHATSAPP_HOOK_HMAC_KEY={SECRET}"]  # fmt: skip


def test_evolution_page_has_the_webhook_set_body() -> None:
    steps = setup.steps("evolution", BASE, SECRET)
    assert steps[0].title.startswith("POST {server}/webhook/set/{instance}")
    body = json.loads(steps[0].text)["webhook"]
    assert body["enabled"] is True
    assert body["url"] == f"{BASE}/webhook/evolution"
    assert "MESSAGES_UPSERT" in body["events"]
    assert setup.secret_rule("evolution", SECRET) is None  # unsigned sender


def test_gowa_page_has_its_variables() -> None:
    page = texts("gowa")
    assert page["Environment of the GOWA container"] == (
        f"WHATSAPP_WEBHOOK={BASE}/webhook/gowa\nWHATSAPP_WEBHOOK_SECRET={SECRET}"
    )


def test_greenapi_github_stripe_twilio_pages() -> None:
    assert json.loads(texts("greenapi")[
        "Or POST {apiUrl}/waInstance{idInstance}/setSettings/{apiTokenInstance}"])[
        "webhookUrl"] == f"{BASE}/webhook/greenapi"  # fmt: skip
    assert texts("github")["Content type"] == "application/json"
    assert texts("github")["Secret (X-Hub-Signature-256)"] == SECRET
    assert any("whsec_" in title for title in texts("stripe"))
    assert any("Auth Token" in title for title in texts("twilio"))


def test_missing_secret_and_token_are_placeholders() -> None:
    page = {s.title: s.text for s in setup.steps("meta", BASE)}
    assert "<a verify token>" in page.values()
    assert "<the secret you choose>" in setup.steps("waha", BASE)[0].text


def test_apply_sets_the_secret_rule_and_meta_token() -> None:
    old = Settings(secrets=(SecretRule("/webhook/waha", "waha", "old"),
                            SecretRule("/other", "github", "x")))  # fmt: skip
    new = setup.apply(old, "waha", SECRET)
    assert new.secrets == (SecretRule("/other", "github", "x"),
                           SecretRule("/webhook/waha", "waha", SECRET))  # fmt: skip
    meta = setup.apply(Settings(), "meta", "app-secret", TOKEN)
    assert meta.verify_token == TOKEN
    assert meta.secret_for("/webhook/meta", "meta") == SecretRule("/webhook/meta", "meta",
                                                                  "app-secret")  # fmt: skip
    assert setup.apply(Settings(), "evolution", SECRET).secrets == ()


def test_unknown_provider() -> None:
    with pytest.raises(ValueError, match="unknown provider 'nope'"):
        setup.steps("nope", BASE)


def test_docker_steps() -> None:
    steps = setup.docker_steps("waha", 8080, "172.17.0.1")
    shown = [step.text for step in steps]
    assert "http://host.docker.internal:8080/webhook/waha" in shown
    assert "--add-host=host.docker.internal:host-gateway" in shown
    assert "http://172.17.0.1:8080/webhook/waha" in shown
    assert len(setup.docker_steps("waha", 8080, None)) == len(steps) - 1


def stored(status: SigStatus, reason: str = "") -> StoredRequest:
    request = CapturedRequest("POST", "/webhook/waha", id=123)
    derived = Derived(
        "waha", (Event("waha", "message", "hi"),), Verification(status, "waha", reason)
    )
    return StoredRequest(request, derived)


def test_arrival_texts() -> None:
    assert setup.waiting_text("waha") == "waiting for the first event from WAHA…"
    assert setup.arrival_text(stored(SigStatus.VALID)) == (
        "received #123: message, signature valid"
    )
    assert setup.arrival_text(stored(SigStatus.INVALID, "secret does not match")) == (
        "received #123: message, signature invalid: secret does not match"
    )
    assert setup.arrival_text(stored(SigStatus.NO_SECRET)) == (
        "received #123: message, signed, but no secret is set for this path"
    )
    assert setup.arrival_text(stored(SigStatus.UNSIGNED)) == "received #123: message, not signed"
