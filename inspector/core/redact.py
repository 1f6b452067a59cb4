"""Keep credentials out of the log.

aiohttp's server logs a request its HTTP parser refuses (bare LF line ends, a control character
in a header...) with the raw bytes it choked on, and those bytes can hold an `Authorization`
header: the stream token. `SecretFilter`, installed on aiohttp's loggers by the receiver, renders
such a record (message and traceback) as text with every credential header value and every known
secret replaced by `[redacted]`, before any handler sees it.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable

REDACTED = "[redacted]"
AIOHTTP_LOGGERS = ("aiohttp.server", "aiohttp.web", "aiohttp.access", "aiohttp.internal")
_NAMES = "(?:authorization|cookie|x-api-key|api-key|apikey)"
_CREDENTIAL = re.compile(rf"(?i)({_NAMES})(.*)$", re.MULTILINE)
"""From a credential's name to the end of the line: raw header bytes are shown on one line
(`b'...\\r\\nAuthorization: Bearer T\\x01'`), so whatever follows the name may be the value,
even after a control character."""


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with known secrets and everything after a credential's name on its line removed."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return _CREDENTIAL.sub(lambda m: f"{m.group(1)}{REDACTED}" if m.group(2) else m.group(0), text)


_HEADER_LINE = re.compile(rf"(?im)^([^:\r\n]*{_NAMES}[^:\r\n]*:)(.*?)(\r?)$")
"""A raw header line whose name holds a credential's name: the name with its colon, the value
(up to the line end, bare CRs included), and the CR of a CRLF end (kept)."""


def redact_bytes(data: bytes, secrets: Iterable[str] = ()) -> bytes:
    """Raw request bytes with known secrets and the values of credential headers replaced by
    `[redacted]`; every other byte as it was."""
    text = data.decode("latin-1")
    for secret in secrets:
        if secret:
            for form in {secret, secret.encode("utf-8").decode("latin-1")}:
                text = text.replace(form, REDACTED)
    text = _HEADER_LINE.sub(
        lambda m: f"{m.group(1)} {REDACTED}{m.group(3)}" if m.group(2).strip() else m.group(0),
        text,
    )
    return text.encode("latin-1")


class SecretFilter(logging.Filter):
    """Redacts every record of the logger it is attached to (see the module doc)."""

    def __init__(self, secrets: Callable[[], Iterable[str]] = tuple) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        record.msg = redact(text, list(self.secrets()))
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def install(secrets: Callable[[], Iterable[str]] = tuple) -> SecretFilter:
    """Attach one SecretFilter to aiohttp's loggers (replacing one installed before)."""
    new = SecretFilter(secrets)
    for name in AIOHTTP_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, SecretFilter)]:
            logger.removeFilter(old)
        logger.addFilter(new)
    return new
