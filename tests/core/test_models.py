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
