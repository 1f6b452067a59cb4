from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.core.formats import FormatError
from inspector.core.formats.har import HarRequests, is_har, read_har, stream_har, write_har
from inspector.core.models import CapturedRequest, Derived, StoredRequest

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "formats"
latin1 = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=20)
token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789", min_size=1, max_size=12)


def stored(request: CapturedRequest, status: int = 200) -> StoredRequest:
    return StoredRequest(request, Derived(), status, (("Content-Type", "text/plain"),), b"\xffok")


requests = st.builds(
    CapturedRequest,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.sampled_from(["/", "/webhook", "/a%20b/c", "/ü"]),
    query=st.sampled_from(["", "a=1", "x=%zz&&y", "hub.mode=subscribe&b=%C3%A9"]),
    headers=st.lists(st.tuples(token, latin1), max_size=5).map(
        lambda h: (("Host", "example.com:8080"), *h)
    ),
    body=st.binary(max_size=200) | st.text(max_size=50).map(lambda t: t.encode("utf-8")),
    remote=st.sampled_from(["", "127.0.0.1"]),
    received_at_ns=st.integers(min_value=0, max_value=2**62),
    id=st.integers(min_value=1, max_value=10**6),
)


@given(st.lists(requests, max_size=4))
def test_our_har_round_trips_requests_exactly(items: list[CapturedRequest]) -> None:
    out = io.StringIO()
    assert write_har(out, (stored(r) for r in items), keep_credentials=True) == len(items)
    back = read_har(out.getvalue())
    fields = ("method", "path", "query", "headers", "body", "remote", "received_at_ns")
    assert [tuple(getattr(b, f) for f in fields) for b in back] == [
        tuple(getattr(r, f) for f in fields) for r in items
    ]
    assert all(b.source == "import" for b in back)


def test_har_document_shape() -> None:
    request = CapturedRequest(
        "POST", "/webhook", "a=1&b=%20", (("Host", "h:1"), ("Content-Type", "application/x")),
        b"\x00\xff", http_version="1.1", received_at_ns=1_700_000_000_000_000_000, id=7,
    )  # fmt: skip
    out = io.StringIO()
    write_har(out, [stored(request, 202)])
    document = json.loads(out.getvalue())
    assert is_har(document)
    log = document["log"]
    assert log["version"] == "1.2"
    assert log["creator"]["name"] == "webhook-inspector"
    [entry] = log["entries"]
    assert entry["startedDateTime"].startswith("2023-11-14T22:13:20")
    req = entry["request"]
    assert req["url"] == "http://h:1/webhook?a=1&b=%20"
    assert req["httpVersion"] == "HTTP/1.1"
    assert req["headers"] == [{"name": "Host", "value": "h:1"},
                              {"name": "Content-Type", "value": "application/x"}]  # fmt: skip
    assert req["queryString"] == [{"name": "a", "value": "1"}, {"name": "b", "value": " "}]
    assert req["postData"] == {"mimeType": "application/x", "text": "AP8=", "_encoding": "base64"}
    assert req["bodySize"] == 2
    response = entry["response"]
    assert (response["status"], response["statusText"]) == (202, "Accepted")
    assert response["content"]["encoding"] == "base64"
    assert set(entry["timings"]) >= {"send", "wait", "receive"}
    assert entry["_webhookInspector"]["id"] == 7


def test_credentials_and_personal_data_are_masked(provider_fixture) -> None:
    evolution = provider_fixture("synthetic_evolution_messages_upsert.json")
    meta = provider_fixture("meta_message_text.json")
    items = [stored(CapturedRequest("POST", "/e", body=evolution)),
             stored(CapturedRequest("POST", "/m", body=meta))]  # fmt: skip
    out = io.StringIO()
    write_har(out, items, mask=True)
    text = out.getvalue()
    assert json.loads(evolution)["apikey"] not in text
    assert "Sheena Nelson" not in text
    assert "16505551234" not in text
    entries = json.loads(text)["log"]["entries"]
    assert all(e["_webhookInspector"]["body_masked"] for e in entries)
    assert entries[1]["_webhookInspector"]["body_size"] == len(meta)
    kept = io.StringIO()
    write_har(kept, items, keep_credentials=True)
    assert [r.body for r in read_har(kept.getvalue())] == [evolution, meta]


def test_foreign_har_best_effort() -> None:
    errors: list[str] = []
    first, second, third = read_har((FORMATS / "browser.har").read_text("utf-8"), errors)
    assert errors == ["entry 4: request.url is not text"]
    assert (first.method, first.scheme, first.path, first.query) == (
        "POST", "https", "/webhook/meta", "x=1&y=%20z")  # fmt: skip
    assert first.headers[0] == ("Host", "hooks.example.com")
    assert not any(name.startswith(":") for name, _ in first.headers)
    assert ("x-note", "café".encode().decode("latin-1")) in first.headers
    assert first.body == '{"text":"caf\\u00e9 ☕","n":1}'.encode()
    assert first.http_version == "2.0"
    assert first.received_at_ns == 1_767_323_045_678_000_000
    assert second.body == b"\xff\x00\x80\x01"
    assert (second.method, second.path) == ("PUT", "/upload")
    assert third.body == b"a=1+2&b=%C3%A9"
    assert ("Content-Type", "application/x-www-form-urlencoded") in third.headers


def test_bad_entries_raise_without_an_error_list() -> None:
    with pytest.raises(FormatError, match="entry 4"):
        read_har((FORMATS / "browser.har").read_text("utf-8"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "not a HAR file"),
        ('{"log": {}}', "not a HAR file"),
        ("{", "not valid JSON"),
    ],
)
def test_not_har(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_har(text)


def test_bad_base64_is_an_entry_error() -> None:
    document = {"log": {"entries": [{"request": {
        "method": "POST", "url": "http://x/", "headers": [],
        "postData": {"text": "%%%", "_encoding": "base64"}}}]}}  # fmt: skip
    errors: list[str] = []
    assert read_har(json.dumps(document), errors) == []
    assert errors[0].startswith("entry 1: postData.text is not valid base64")


@pytest.mark.parametrize("url", ["http://a]/b", "http://[::1/b", "http://[x]/b"])
def test_an_invalid_url_is_an_entry_error(url: str) -> None:
    document = {"log": {"entries": [
        {"request": {"method": "POST", "url": url, "headers": []}},
        {"request": {"method": "POST", "url": "http://x/ok", "headers": []}},
    ]}}  # fmt: skip
    errors: list[str] = []
    assert [r.path for r in read_har(json.dumps(document), errors)] == ["/ok"]
    assert errors[0].startswith(f"entry 1: request.url {url!r} is not a valid URL")
    streamed: list[str] = []
    assert [r.path for r in stream_har(json.dumps(document), streamed) or []] == ["/ok"]
    assert streamed == errors


# --- streamed import ---------------------------------------------------------------------------

FIELDS = ("method", "scheme", "path", "query", "headers", "body", "http_version", "received_at_ns")


def fields(requests: list[CapturedRequest]) -> list[tuple[object, ...]]:
    return [tuple(getattr(r, f) for f in FIELDS) for r in requests]


def test_stream_har_reads_what_read_har_reads() -> None:
    text = (FORMATS / "browser.har").read_text("utf-8")
    errors: list[str] = []
    streamed = stream_har(text, errors)
    assert isinstance(streamed, HarRequests)
    assert errors == ["entry 4: request.url is not text"]
    assert fields(list(streamed)) == fields(read_har(text, []))
    assert len(streamed) == 3
    assert fields(streamed[1:]) == fields([streamed[1], streamed[-1]])


@given(st.lists(requests, max_size=4))
def test_our_har_streams_back_exactly(items: list[CapturedRequest]) -> None:
    out = io.StringIO()
    write_har(out, (stored(r) for r in items), keep_credentials=True)
    streamed = stream_har(out.getvalue(), [])
    assert streamed is not None
    assert fields(list(streamed)) == fields(read_har(out.getvalue()))


@pytest.mark.parametrize(
    "text",
    ['{"log": {"entries": [{"request": {}}]', '{"format": "x", "log": {"entries": []}}',
     '{"log": {"pages": []}}', '{"log": {"entries": {}}}', '{"log": {"entries": []}} x',
     "[1]", '{"log": {"entries": [' + "[" * 5000 + "]" * 5000 + "]}}"],
    ids=["truncated", "format-key", "no-entries", "entries-not-a-list", "extra-data",
         "array", "deep-entry"],
)  # fmt: skip
def test_stream_har_leaves_other_documents_to_the_whole_reader(text: str) -> None:
    assert stream_har(text, []) is None


def test_entries_are_read_again_only_when_used(monkeypatch) -> None:
    entry = {"request": {"method": "POST", "url": "http://h/x", "headers": []}}
    text = json.dumps({"log": {"version": "1.2", "entries": [entry] * 5, "pages": []}})
    streamed = stream_har(text, [])
    assert streamed is not None
    built: list[object] = []
    from inspector.core.formats import har

    real = har._entry_request
    monkeypatch.setattr(har, "_entry_request", lambda e: built.append(e) or real(e))
    assert [r.path for r in streamed[1:3]] == ["/x", "/x"]
    assert len(built) == 2
