"""Row 13: the signature verifier never raises, whatever the headers, body and scheme name,
and its result is always one of the documented statuses."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.models import CapturedRequest, SigStatus
from inspector.core.signatures import SCHEMES, verify_request

DOCUMENTED = {"valid", "invalid", "missing_header", "no_secret", "expired", "malformed",
              "unsigned"}  # fmt: skip
NAMES = sorted(SCHEMES)
HEADER_NAMES = st.sampled_from([
    "X-Hub-Signature-256", "X-Hub-Signature", "Stripe-Signature", "X-Webhook-Hmac",
    "X-Webhook-Hmac-Algorithm", "X-Webhook-Timestamp", "webhook-id", "webhook-timestamp",
    "webhook-signature", "svix-signature", "X-Slack-Signature", "X-Slack-Request-Timestamp",
    "X-Shopify-Hmac-Sha256", "X-Twilio-Signature", "X-Signature", "Content-Type", "Host",
]) | st.text(max_size=20)  # fmt: skip
LATIN1 = st.text(st.characters(max_codepoint=255), max_size=80)
HEADER_VALUES = LATIN1 | st.text(max_size=40) | st.sampled_from(
    ["sha256=", "t=1,v1=", "v1,", "v1a,x", "t=abc,v1=zz", "sha512", "9" * 40, "=" * 10, ""])
SCHEME = (st.sampled_from(NAMES) | st.text(max_size=30)
          | st.builds(lambda s: "hmac:" + s, st.text(max_size=60)))  # fmt: skip
COUNTER = {"examples": 0}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=10),
    body=st.binary(max_size=300) | st.sampled_from([b"[" * 3000, b'{"a":"\\udfff"}', b"\xff"]),
    scheme=SCHEME,
    secret=st.none() | st.text(max_size=30) | st.builds(lambda s: "Zq9#" + s, st.text(max_size=20)),
    now=st.none() | st.floats(allow_nan=True, allow_infinity=True),
)
def test_signature_verifier_never_raises_and_returns_a_documented_status(
    headers, body, scheme, secret, now  # type: ignore[no-untyped-def]
) -> None:
    COUNTER["examples"] += 1
    request = CapturedRequest("POST", "/hook", headers=tuple(headers), body=body)
    result = verify_request(request, scheme, secret, now=now)
    assert result.status in SigStatus
    assert str(result.status) in DOCUMENTED
    assert isinstance(result.reason, str)
    echoed = scheme + repr(headers) + body.decode("latin-1")
    if secret and secret.startswith("Zq9#") and secret not in echoed:
        assert secret not in repr(result)  # the secret never leaks into the explanation


def test_signature_fuzz_ran(figure) -> None:
    test_signature_verifier_never_raises_and_returns_a_documented_status()
    request = CapturedRequest("POST", "/hook", headers=(("X-Hub-Signature-256", "x"),), body=b"")
    assert derive(request, Settings()) is not None
    figure(f"{COUNTER['examples']} hypothesis examples (verify_request over {len(NAMES)} "
           "built-in schemes, random and custom hmac: names): no exception, statuses documented")
