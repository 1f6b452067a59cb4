"""The provider registry: one module per provider, schemes that exist, the detection order."""

from __future__ import annotations

import importlib
import json

import pytest

from inspector.core import providers, signatures
from inspector.core.models import CapturedRequest, Header, SigStatus
from inspector.core.providers import REGISTRY, SchemeSpec, registry
from inspector.core.signatures import diagnose
from inspector.core.signatures import registry as scheme_registry
from tests.conftest import PROVIDER_FIXTURES

DETECTION_ORDER = (
    "meta", "wsapi", "greenapi", "evolution", "gowa", "waha", "github", "shopify", "stripe",
    "slack", "twilio", "standard", "generic",
)  # fmt: skip
"""Body shapes, forms, headers and fallbacks are each tried in this order (generic last)."""


def request(
    body: bytes, *headers: Header, content_type: str = "application/json"
) -> CapturedRequest:
    return CapturedRequest(
        method="POST", path="/hook", headers=(("Content-Type", content_type), *headers), body=body
    )


@pytest.mark.parametrize("provider", REGISTRY, ids=lambda p: p.name)
def test_every_provider_has_its_own_module(provider: providers.Provider) -> None:
    module = importlib.import_module(f"inspector.core.providers.{provider.name}")
    assert module.PROVIDER is provider
    assert provider.title
    assert provider.label


@pytest.mark.parametrize("provider", REGISTRY[:-1], ids=lambda p: p.name)
def test_every_provider_has_a_fixture(provider: providers.Provider) -> None:
    """In the shared table's folder, or in a folder of its own (tests/fixtures/providers/NAME/)."""
    names = [path.name.removeprefix("synthetic_") for path in PROVIDER_FIXTURES.iterdir()]
    own = PROVIDER_FIXTURES / provider.name
    assert any(name.startswith(f"{provider.name}_") for name in names) or any(own.glob("*.json"))


@pytest.mark.parametrize("provider", REGISTRY, ids=lambda p: p.name)
def test_every_scheme_a_provider_names_exists(provider: providers.Provider) -> None:
    named = {provider.scheme, *provider.signing_schemes(), *(w.scheme for w in provider.wrappers)}
    assert named - {None} <= set(signatures.SCHEMES)


def test_deadlines_are_positive_numbers() -> None:
    found = providers.deadlines()
    assert found  # several providers document one
    assert all(isinstance(v, float) and v > 0 for v in found.values())
    for provider in REGISTRY:
        for wrapper in provider.wrappers:
            assert providers.answer_deadline(provider.name, wrapper.scheme) == (
                wrapper.name,
                wrapper.deadline,
            )


def test_detection_order_is_the_documented_one() -> None:
    assert [name for name in providers.PROVIDERS if name in DETECTION_ORDER] == [*DETECTION_ORDER]
    assert providers.PROVIDERS[-1] == "generic"
    assert REGISTRY[-1].fallback is not None  # generic takes anything


def test_overlapping_shapes_go_to_the_first_provider() -> None:
    evolution_and_waha = {"event": "x", "instance": "i", "data": {}, "session": "s", "payload": {}}
    wsapi_and_waha = {"eventId": "e", "instanceId": "i", "eventType": "t", **evolution_and_waha}
    assert providers.detect(request(json.dumps(evolution_and_waha).encode()))[0] == "evolution"
    assert providers.detect(request(json.dumps(wsapi_and_waha).encode()))[0] == "wsapi"


def test_a_form_of_twilio_and_slack_stays_twilio_but_headers_go_to_slack() -> None:
    form = b"AccountSid=AC1&MessageSid=SM1&command=%2Fx&team_id=T1&token=t&From=a&Body=hi"
    both = request(form, content_type="application/x-www-form-urlencoded")
    assert providers.detect(both)[0] == "twilio"
    headers = (("X-Twilio-Signature", "x"), ("X-Slack-Signature", "v0=x"))
    assert providers.detect(request(b"{}", *headers))[0] == "slack"


def test_chips_are_the_whatsapp_gateways_in_registry_order() -> None:
    chips = dict(providers.chips())
    whatsapp = ["meta", "wsapi", "greenapi", "evolution", "gowa", "waha"]
    assert [name for name in chips if name in whatsapp] == whatsapp
    assert [name for name in providers.PROVIDERS if name in chips] == list(chips)
    assert (chips["meta"], chips["greenapi"], chips["evolution"]) == (
        "Meta",
        "Green API",
        "Evolution",
    )


def test_guess_order_is_unchanged() -> None:
    declared = {spec.name for spec in providers.own_schemes()}
    builtin = [(g.header, g.scheme) for g in diagnose.GUESSES if g.scheme not in declared]
    assert builtin == [
        ("x-webhook-hmac", "waha"),
        ("stripe-signature", "stripe"),
        ("webhook-signature", "standard"),
        ("svix-signature", "standard"),
        ("x-slack-signature", "slack"),
        ("x-shopify-hmac-sha256", "shopify"),
        ("x-twilio-signature", "twilio"),
        ("x-wahooks-signature", "wahooks"),
        ("x-webhook-signature", "wsapi"),
        ("x-signature", "wsapi"),
        ("x-hub-signature-256", "meta"),
        ("x-hub-signature", "github_sha1"),
    ]


def test_a_provider_can_declare_its_own_hmac_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SchemeSpec("demo", "Demo (X-Demo-Sig)", "hmac:header=X-Demo-Sig", ("x-demo-sig",), 75)
    monkeypatch.setattr(scheme_registry, "own_schemes", lambda: (spec,))
    (scheme,) = scheme_registry._declared()
    assert (scheme.name, scheme.title, scheme.guess, scheme.guess_rank) == (
        "demo", "Demo (X-Demo-Sig)", ("x-demo-sig",), 75,
    )  # fmt: skip
    signed = CapturedRequest(method="POST", path="/", headers=scheme.sign("k", request(b"{}")))
    assert signed.headers[0][0] == "X-Demo-Sig"
    assert scheme.verify("k", request(b"{}", *signed.headers)).status is SigStatus.VALID
    assert registry.own_schemes() == tuple(s for p in REGISTRY for s in p.own_schemes)


@pytest.mark.parametrize("provider", REGISTRY, ids=lambda p: p.name)
def test_samples_belong_to_their_provider_and_have_a_demo_secret(
    provider: providers.Provider,
) -> None:
    assert all(sample.provider == provider.name for sample in provider.samples)
    assert bool(provider.samples) == bool(provider.demo_secret)
    if provider.samples:
        assert provider.signing_schemes()[-1] == provider.scheme
