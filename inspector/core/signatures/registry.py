"""Every signature scheme by name, which one a request's headers suggest, and the two entry
points `verify_request` and `sign_request`.

Built-in schemes are defined here from their families (`hmac_scheme`, `waha`, `stripe`,
`standard`, `twilio`); a provider whose scheme is a plain HMAC declares it in its own module
(`inspector.core.providers.base.SchemeSpec`) and is added here. `get_scheme` also builds a
custom scheme from an ``hmac:`` spec (see `hmac_scheme`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from inspector.core.models import CapturedRequest, Header, SigStatus, Verification
from inspector.core.providers import own_schemes
from inspector.core.signatures.base import TOLERANCE, _need_secret, _short
from inspector.core.signatures.diagnose import GUESSES, Guess, guess
from inspector.core.signatures.hmac_scheme import HmacScheme, _custom_scheme
from inspector.core.signatures.scheme import Scheme
from inspector.core.signatures.standard import _Standard
from inspector.core.signatures.stripe import _Stripe
from inspector.core.signatures.twilio import _Twilio
from inspector.core.signatures.waha import _Waha, _Wsapi


def _builtins() -> tuple[Scheme, ...]:
    hub = "X-Hub-Signature-256"
    return (
        HmacScheme(
            "meta",
            f"Meta Cloud API ({hub})",
            (hub.lower(),),
            header=hub,
            prefix="sha256=",
            guess=(hub.lower(),),  # telling Meta, GitHub and GOWA apart needs the body
            guess_rank=90,
        ),
        HmacScheme("github", f"GitHub ({hub})", (hub.lower(),), header=hub, prefix="sha256="),
        HmacScheme(
            "github_sha1",
            "GitHub legacy SHA-1 (X-Hub-Signature)",
            ("x-hub-signature",),
            header="X-Hub-Signature",
            alg="sha1",
            prefix="sha1=",
            guess=("x-hub-signature",),
            guess_rank=100,
        ),
        HmacScheme(
            "gowa",
            f"GOWA go-whatsapp-web-multidevice ({hub})",
            (hub.lower(),),
            header=hub,
            prefix="sha256=",
            default_secret="secret",
        ),
        _Waha(
            "waha",
            "WAHA (X-Webhook-Hmac)",
            (
                "x-webhook-hmac",
                "x-webhook-hmac-algorithm",
                "x-webhook-timestamp",
                "x-webhook-hmac-version",
            ),
            header="X-Webhook-Hmac",
            alg="sha512",
            unit=1000,
            guess=("x-webhook-hmac",),
            guess_rank=10,
        ),
        HmacScheme(
            "wahooks",
            "WAHooks (X-WAHooks-Signature)",
            ("x-wahooks-signature", "x-wahooks-timestamp"),
            header="X-WAHooks-Signature",
            prefix="sha256=",
            template="{timestamp}.{body}",
            ts_header="X-WAHooks-Timestamp",
            tolerance=TOLERANCE,
            guess=("x-wahooks-signature",),
            guess_rank=70,
        ),
        _Wsapi(
            "wsapi",
            "WSAPI (X-Webhook-Signature / X-Signature)",
            ("x-webhook-signature", "x-signature"),
            header="X-Webhook-Signature",
            prefix="sha256=",
            guess=("x-webhook-signature", "x-signature"),
            guess_rank=80,
        ),
        _Stripe(
            "stripe",
            "Stripe (Stripe-Signature)",
            ("stripe-signature",),
            header="Stripe-Signature",
            template="{timestamp}.{body}",
            tolerance=TOLERANCE,
            guess=("stripe-signature",),
            guess_rank=20,
        ),
        _Standard(
            "standard",
            "Standard Webhooks / Svix (webhook-signature)",
            tuple(
                f"{f}-{p}" for f in ("webhook", "svix") for p in ("signature", "timestamp", "id")
            ),
            header="webhook-signature",
            enc="base64",
            template="{id}.{timestamp}.{body}",
            tolerance=TOLERANCE,
            guess=("webhook-signature", "svix-signature"),
            guess_rank=30,
        ),
        HmacScheme(
            "shopify",
            "Shopify (X-Shopify-Hmac-SHA256)",
            ("x-shopify-hmac-sha256",),
            header="X-Shopify-Hmac-SHA256",
            enc="base64",
            guess=("x-shopify-hmac-sha256",),
            guess_rank=50,
        ),
        HmacScheme(
            "slack",
            "Slack (X-Slack-Signature)",
            ("x-slack-signature", "x-slack-request-timestamp"),
            header="X-Slack-Signature",
            prefix="v0=",
            template="v0:{timestamp}:{body}",
            ts_header="X-Slack-Request-Timestamp",
            tolerance=TOLERANCE,
            guess=("x-slack-signature",),
            guess_rank=40,
        ),
        _Twilio(
            "twilio",
            "Twilio (X-Twilio-Signature)",
            ("x-twilio-signature",),
            guess=("x-twilio-signature",),
            guess_rank=60,
        ),
    )


def _declared() -> tuple[Scheme, ...]:
    """The schemes providers declare in their own modules."""
    return tuple(
        replace(
            _custom_scheme(spec.spec),
            name=spec.name,
            title=spec.title,
            guess=spec.guess,
            guess_rank=spec.guess_rank,
        )
        for spec in own_schemes()
    )


SCHEMES: dict[str, Scheme] = {scheme.name: scheme for scheme in (*_builtins(), *_declared())}
"""Every scheme by name: the built-in ones, then those providers declare."""


def _guesses(schemes: Iterable[Scheme]) -> list[Guess]:
    ranked = sorted(schemes, key=lambda scheme: scheme.guess_rank)
    return [Guess(h, s.name, _names_for(h, s.name)) for s in ranked for h in s.guess]


def _names_for(header: str, scheme: str) -> str:
    """The schemes whose signature header is `header`, in words ("meta, github or gowa")."""
    names = [s.name for s in SCHEMES.values() if s.headers[:1] == (header,)] or [scheme]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


GUESSES[:] = _guesses(SCHEMES.values())


def guess_scheme(request: CapturedRequest) -> str | None:
    """The built-in scheme the request's headers suggest, or None.

    X-Hub-Signature-256 gives "meta"; telling Meta, GitHub and GOWA apart needs the body.
    """
    found = guess(request)
    return found[0].scheme if found else None


def get_scheme(name: str) -> Scheme:
    """A built-in scheme by name, or a custom one from an ``hmac:key=value;…`` spec."""
    if not isinstance(name, str):
        raise ValueError("A signature scheme name must be text.")
    key = name.strip().lower()
    if key in SCHEMES:
        return SCHEMES[key]
    if key.startswith("hmac:"):
        return _custom_scheme(name)
    raise ValueError(
        f"Unknown signature scheme {_short(name)}. Known: {', '.join(SCHEMES)}, "
        "or a custom hmac:header=<name>;… spec."
    )


def verify_request(
    request: CapturedRequest, scheme: str, secret: str | None, *, now: float | None = None
) -> Verification:
    """Check `request` against `scheme`; never raises (an unknown scheme gives MALFORMED)."""
    try:
        chosen = get_scheme(scheme)
    except ValueError as exc:
        return Verification(SigStatus.MALFORMED, str(scheme), str(exc))
    try:
        return chosen.verify(secret, request, now=now)
    except Exception as exc:  # a safety net: the checks above are meant never to raise
        reason = f"The signature could not be checked ({type(exc).__name__})."
        return Verification(SigStatus.MALFORMED, chosen.name, reason)


def sign_request(
    request: CapturedRequest,
    scheme: str,
    secret: str,
    *,
    now: float | None = None,
    msg_id: str | None = None,
    wrong: bool = False,
) -> CapturedRequest:
    """A copy of `request` signed with `scheme` (wrong=True: a deliberately invalid signature).

    Headers with the same names as the new ones are removed; the new ones go where the first
    removed one was, or at the end. Raises ValueError for an unknown scheme or an empty secret.
    """
    chosen = get_scheme(scheme)
    _need_secret(secret)
    key = f"wrong-{secret}" if wrong else secret
    new = chosen.sign(key, request, now=now, msg_id=msg_id)
    return replace(request, headers=_replace_headers(request.headers, new))


def _replace_headers(headers: Iterable[Header], new: tuple[Header, ...]) -> tuple[Header, ...]:
    names = {name.lower() for name, _ in new}
    out: list[Header] = []
    placed = False
    for header in headers:
        if header[0].lower() not in names:
            out.append(header)
        elif not placed:
            out.extend(new)
            placed = True
    if not placed:
        out.extend(new)
    return tuple(out)
