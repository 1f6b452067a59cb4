"""Webhook signature schemes: sign, verify and explain (pure functions, standard library only).

Every check runs over the raw ``request.body`` bytes, never a re-serialised body. Header names are
case-insensitive; signatures are compared with ``hmac.compare_digest``. A `Verification` never
holds the secret: expected and received signatures are shown through `mask`.

`base` holds what every scheme shares, `scheme` the `Scheme` class, one module per scheme family
(`hmac_scheme` with the ``hmac:`` spec parser, `waha`, `stripe`, `standard`, `twilio`),
`diagnose` the explanations of a mismatch, and `registry` every scheme by name.
"""

from inspector.core.signatures.base import TOLERANCE, mask, mask_secret
from inspector.core.signatures.hmac_scheme import HmacScheme
from inspector.core.signatures.registry import (
    SCHEMES,
    get_scheme,
    guess_scheme,
    sign_request,
    verify_request,
)
from inspector.core.signatures.scheme import Scheme

__all__ = [
    "SCHEMES",
    "TOLERANCE",
    "HmacScheme",
    "Scheme",
    "get_scheme",
    "guess_scheme",
    "mask",
    "mask_secret",
    "sign_request",
    "verify_request",
]
