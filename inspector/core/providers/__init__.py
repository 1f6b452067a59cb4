"""Which provider sent a request, and the logical events inside it.

One module per provider (`meta`, `waha`, ...) owns everything about it: body shape and header
test, events and summaries, signature scheme, answer deadline, retry schedule and message
statuses. `registry` lists them in detection order. Shared helpers live in `base`.
"""

from inspector.core.providers.base import (
    CREDENTIAL_KEYS,
    FORM_PARSE_LIMIT,
    MASK,
    MAX_EVENTS,
    SUMMARY_MAX,
    Provider,
    SchemeSpec,
    Wrapper,
    mask_credentials,
    masked_body,
)
from inspector.core.providers.registry import (
    BY_NAME,
    PROVIDERS,
    REGISTRY,
    _detect,
    answer_deadline,
    chips,
    deadlines,
    default_scheme,
    detect,
    error_meaning,
    get_provider,
    has_lifecycle,
    lifecycle,
    own_schemes,
    retry_schedule,
    too_slow_for,
)

__all__ = [
    "BY_NAME",
    "CREDENTIAL_KEYS",
    "FORM_PARSE_LIMIT",
    "MASK",
    "MAX_EVENTS",
    "PROVIDERS",
    "REGISTRY",
    "SUMMARY_MAX",
    "Provider",
    "SchemeSpec",
    "Wrapper",
    "_detect",
    "answer_deadline",
    "chips",
    "deadlines",
    "default_scheme",
    "detect",
    "error_meaning",
    "get_provider",
    "has_lifecycle",
    "lifecycle",
    "mask_credentials",
    "masked_body",
    "own_schemes",
    "retry_schedule",
    "too_slow_for",
]
