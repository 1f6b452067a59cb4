from __future__ import annotations

import logging

from inspector.core.redact import REDACTED, SecretFilter, redact, redact_bytes


def test_redact_removes_credential_values_to_the_end_of_the_line() -> None:
    text = "b'GET / HTTP/1.1\\nAuthorization: Be\\x01arer abc\\n'\nnext line"
    assert redact(text) == f"b'GET / HTTP/1.1\\nAuthorization{REDACTED}\nnext line"


def test_redact_replaces_known_secrets_anywhere() -> None:
    assert redact("GET /?t=s3cret HTTP/1.1", ["s3cret", ""]) == f"GET /?t={REDACTED} HTTP/1.1"


def test_filter_renders_the_traceback_redacted() -> None:
    try:
        raise ValueError("b'Cookie: session=abc'")
    except ValueError as exc:
        record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "from %s",
                                   ("127.0.0.1",), (type(exc), exc, exc.__traceback__))  # fmt: skip
    assert SecretFilter(lambda: ["abc"]).filter(record)
    text = logging.Formatter().format(record)
    assert "abc" not in text
    assert "from 127.0.0.1" in text
    assert "ValueError" in text


def test_redact_bytes_keeps_every_other_byte_and_the_line_ends() -> None:
    raw = (
        b"GET /_inspector/stream?x=tok123 HTTP/1.1\r\nHost: h\r\n"
        b"Authorization: Bearer tok123\x01\r\nX-A: caf\xe9\nCookie:\r\n\r\n"
    )
    assert redact_bytes(raw, ["tok123"]) == (
        b"GET /_inspector/stream?x=[redacted] HTTP/1.1\r\nHost: h\r\n"
        b"Authorization: [redacted]\r\nX-A: caf\xe9\nCookie:\r\n\r\n"
    )
