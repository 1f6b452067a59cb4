from __future__ import annotations

import pickle

from inspector.core.events import Stored
from inspector.core.models import (
    CapturedRequest,
    Derived,
    Event,
    SigStatus,
    StoredRequest,
    Verification,
    display_text,
    first_header,
    header_values,
    parse_json,
)
from inspector.core.store import Record

REQUEST = CapturedRequest(
    "POST", "/p", "a=1", (("X-A", "1"), ("x-a", "2"), ("Host", "h:1")), b"\xff{}", id=7
)


def test_everything_sent_to_the_writer_process_pickles_to_an_equal_object() -> None:
    derived = Derived(
        "meta", (Event("meta", "message.text", "hi", "wamid.1"),), Verification(SigStatus.VALID)
    )
    for value in (
        REQUEST,
        derived,
        Record(REQUEST, None, 200, (("A", "b"),), b"ok"),
        Stored(3, Record(REQUEST, derived)),
        StoredRequest(REQUEST, derived, 200, (), b"", 1),
    ):
        assert pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) == value


def test_headers_are_case_insensitive_and_keep_duplicates() -> None:
    assert header_values(REQUEST.headers, "x-a") == ["1", "2"]
    assert first_header(REQUEST.headers, "X-MISSING") is None
    assert REQUEST.url == "http://h:1/p?a=1"
    assert REQUEST.target == "/p?a=1"


def test_display_text_shows_utf8_header_bytes() -> None:
    assert display_text("caf\xc3\xa9") == "café"
    assert display_text("\xff") == "\xff"


def test_parse_json_never_raises() -> None:
    assert parse_json(b"[" * 100_000) is None
    assert parse_json(b"\xff") is None
    assert parse_json(b'{"a": 1}') == {"a": 1}


def test_headers_json_is_what_json_writes_for_any_text() -> None:
    """Stored header lists are searched with LIKE over this text: the quick join must write
    exactly what json.dumps(ensure_ascii=False) writes."""
    import json

    from inspector.core.models import headers_from_json, headers_to_json

    tricky = (
        ("Host", "127.0.0.1:8080"),
        ("X-Quote", 'say "hi" \\ then\ttab'),
        ("X-Control", "\x00\x1f\x7f"),
        ("X-Latin", "ünïcödé ÿ"),
        ("X-Emoji", "\U0001f600"),
        ("", ""),
        ("X-Dup", "1"),
        ("X-Dup", "2"),
    )
    for headers in ((), tricky[:1], tricky, [list(pair) for pair in tricky]):
        assert headers_to_json(headers) == json.dumps(
            [list(pair) for pair in headers], ensure_ascii=False
        )
        assert headers_from_json(headers_to_json(headers)) == tuple(map(tuple, headers))
    odd = (("X-Number", 5),)  # not text: left to the encoder
    assert headers_to_json(odd) == '[["X-Number", 5]]'  # type: ignore[arg-type]
