from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.core.formats import FormatError
from inspector.core.formats.native import read_export, write_json, write_ndjson
from inspector.core.models import CapturedRequest, Derived, StoredRequest

header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=20)


def stored(request: CapturedRequest) -> StoredRequest:
    return StoredRequest(request, Derived(), 200, (("X", "1"),), b"\xff answer")


requests = st.builds(
    CapturedRequest,
    method=st.sampled_from(["GET", "POST", "PUT"]),
    path=st.just("/p"),
    query=st.text(max_size=10),
    headers=st.lists(st.tuples(header_text.filter(bool), header_text), max_size=5).map(tuple),
    body=st.binary(max_size=200),
    received_at_ns=st.integers(min_value=0, max_value=2**62),
    id=st.integers(min_value=1, max_value=10**6),
)


@given(st.lists(requests, max_size=5))
def test_json_export_round_trips_requests_exactly(items: list[CapturedRequest]) -> None:
    out = io.StringIO()
    assert write_json(out, (stored(r) for r in items)) == len(items)
    back = list(read_export(out.getvalue()))
    assert [(b.body, b.headers, b.query, b.method) for b in back] == [
        (r.body, r.headers, r.query, r.method) for r in items
    ]


@given(st.lists(requests, max_size=5))
def test_ndjson_export_round_trips_requests_exactly(items: list[CapturedRequest]) -> None:
    out = io.StringIO()
    write_ndjson(out, (stored(r) for r in items))
    assert [b.body for b in read_export(out.getvalue())] == [r.body for r in items]


def test_export_has_no_secret_and_says_encodings() -> None:
    out = io.StringIO()
    write_json(out, [stored(CapturedRequest("POST", "/", body=b"\x80"))])
    data = json.loads(out.getvalue())
    assert data["format"] == "webhook-inspector"
    assert data["headers_encoding"] == "latin-1"
    assert data["requests"][0]["body_encoding"] == "base64"
    assert data["requests"][0]["response"]["body_encoding"] == "base64"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"format": "other", "requests": []}', "not a webhook-inspector export"),
        ('{"format": "webhook-inspector", "requests": [3]}', "request #1"),
        ("not json at all", "line 1"),
        ('{"method": "POST", "body": "%%%", "body_encoding": "base64"}', "line 1"),
    ],
)
def test_bad_files_raise_format_error_naming_the_entry(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        list(read_export(text))


def test_credentials_in_payloads_are_masked_unless_kept(provider_fixture) -> None:
    body = provider_fixture("synthetic_evolution_messages_upsert.json")
    item = stored(CapturedRequest("POST", "/evo", body=body))
    masked, kept = io.StringIO(), io.StringIO()
    write_json(masked, [item])
    write_json(kept, [item], keep_credentials=True)
    masked_data = json.loads(masked.getvalue())["requests"][0]
    assert masked_data["body_masked"] is True
    assert json.loads(masked_data["body"])["apikey"] == "***"
    assert json.loads(body)["apikey"] not in masked.getvalue()
    [back] = read_export(kept.getvalue())
    assert back.body == body


def test_write_export_dispatches_every_format_and_masks(provider_fixture) -> None:
    from inspector.core.formats import EXPORT_FORMATS, write_export

    body = provider_fixture("meta_message_text.json")
    item = stored(CapturedRequest("POST", "/m", headers=(("Host", "h"),), body=body))
    for fmt in EXPORT_FORMATS:
        plain, masked = io.StringIO(), io.StringIO()
        assert write_export(plain, [item], fmt) == 1
        assert write_export(masked, [item], fmt, mask=True) == 1
        assert "Sheena Nelson" in plain.getvalue(), fmt
        assert "Sheena Nelson" not in masked.getvalue(), fmt
        assert "16505551234" not in masked.getvalue(), fmt
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        write_export(io.StringIO(), [item], "xml")
