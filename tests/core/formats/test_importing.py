from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from inspector.core.formats import importing, write_export
from inspector.core.formats.importing import import_bytes, import_file
from inspector.core.models import CapturedRequest, Derived, StoredRequest

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "formats"
BODIES = [b'{"a": "caf\\u00e9"}', b"\xff\x00binary\x80", b"", b"line\r\n", b"\x00"]


def items() -> list[StoredRequest]:
    return [
        StoredRequest(
            CapturedRequest("POST", f"/p{n}", "q=%20x", (("Host", "h:1"), ("X-B", "\xe9")), body,
                            received_at_ns=1_700_000_000_000_000_000 + n, id=n + 1),
            Derived(), 200,
        )
        for n, body in enumerate(BODIES)
    ]  # fmt: skip


def files_in(folder: Path) -> list[tuple[str, int]]:
    return sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir() if not p.is_symlink())


@pytest.mark.parametrize(("fmt", "expected"), [("json", "export"), ("ndjson", "export"),
                                                ("har", "har"), ("curl", "curl")])  # fmt: skip
def test_our_exports_import_back_byte_exact(tmp_path: Path, fmt: str, expected: str) -> None:
    out = io.StringIO()
    write_export(out, items(), fmt, keep_credentials=True)
    path = tmp_path / f"export.{fmt}"
    path.write_text(out.getvalue(), "utf-8")
    before = files_in(tmp_path)
    result = import_file(path)
    assert result.errors == ()
    assert result.ok
    assert result.format == expected
    assert [r.body for r in result.requests] == BODIES
    assert all(r.source == "import" and r.id is None for r in result.requests)
    assert [r.path for r in result.requests] == [f"/p{n}" for n in range(len(BODIES))]
    assert all(r.query == "q=%20x" for r in result.requests)
    assert all(("X-B", "\xe9") in r.headers for r in result.requests)
    if fmt != "curl":
        assert [r.headers for r in result.requests] == [s.request.headers for s in items()]
        assert result.requests[0].received_at_ns == 1_700_000_000_000_000_000
    assert files_in(tmp_path) == before  # nothing written


def test_single_line_ndjson_is_an_export(tmp_path: Path) -> None:
    out = io.StringIO()
    write_export(out, items()[:1], "ndjson")
    path = tmp_path / "one.ndjson"
    path.write_text(out.getvalue(), "utf-8")
    result = import_file(path)
    assert (result.format, [r.body for r in result.requests]) == ("export", BODIES[:1])


def test_plain_json_payload_becomes_one_post(tmp_path: Path, provider_fixture) -> None:
    body = provider_fixture("meta_message_text.json")
    path = tmp_path / "payload.json"
    path.write_bytes(body)
    [request] = import_file(path).requests
    assert (request.method, request.path, request.body) == ("POST", "/import", body)
    assert request.headers == (("Content-Type", "application/json"),)
    result = import_file(path, default_path="webhook/meta")
    assert result.format == "json"
    assert result.requests[0].path == "/webhook/meta"
    array = tmp_path / "array.json"
    array.write_bytes(b"\xef\xbb\xbf[1, 2]\n")
    assert import_file(array).requests[0].body == b"\xef\xbb\xbf[1, 2]\n"


def test_foreign_har_and_curl_files_report_bad_entries() -> None:
    har = import_file(FORMATS / "browser.har")
    assert (har.format, len(har.requests), har.errors) == (
        "har", 3, ("entry 4: request.url is not text",))  # fmt: skip
    curl = import_file(FORMATS / "requests.curl")
    assert (curl.format, len(curl.requests)) == ("curl", 5)
    assert curl.errors == ("command 4 (line 15): no URL",)
    assert not curl.ok


def test_export_with_bad_entries(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "webhook-inspector", "requests": [
        {"method": "POST", "body": "x", "headers": []}, 3]}), "utf-8")  # fmt: skip
    result = import_file(path)
    assert len(result.requests) == 1
    assert result.errors == ("request #2: expected an object, got int",)


def test_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = import_file(fifo)  # would block forever if it were opened for reading
    assert result.errors == ("a FIFO (named pipe), not a regular file",)


def test_directory_device_and_missing_files(tmp_path: Path) -> None:
    assert import_file(tmp_path).errors == ("a directory, not a regular file",)
    if Path("/dev/null").exists():
        assert import_file("/dev/null").errors == ("a device, not a regular file",)
    assert import_file(tmp_path / "missing").errors == ("no such file",)


def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    assert import_file(tmp_path / "a").errors == ("a symbolic link loop",)


def test_huge_file_is_refused_before_reading(tmp_path: Path, monkeypatch) -> None:
    big = tmp_path / "big.json"
    with big.open("wb") as handle:  # sparse: no data is written
        handle.truncate(importing.DEFAULT_MAX_SIZE + 1)
    assert big.stat().st_blocks * 512 < 1024 * 1024

    def no_open(*args: object, **kwargs: object) -> int:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(importing.os, "open", no_open)
    result = import_file(big)
    assert result.errors == ("too large: 256.0 MiB (the limit is 256.0 MiB)",)
    small = tmp_path / "small.json"
    small.write_bytes(b"[" + b"1," * 600 + b"1]")
    assert import_file(small, max_size=1000).errors == (
        "too large: 1.2 KiB (the limit is 1000 bytes)",)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (os.urandom(64) + b"\x00" + os.urandom(64), "not JSON, HAR or curl (binary data)"),
        (b"\xff\xfe\xfa junk", "not JSON, HAR or curl (not UTF-8 text)"),
        (b"hello world\n", "not JSON, HAR or curl"),
        (b"  \n", "the file is empty"),
        (b'{"a": ', "not valid JSON"),
        (b"[" * 100_000, "not valid JSON: expected a value (char 100000)"),
        (b"[" * 100_000 + b"]" * 99_999, "not valid JSON: expected ',' or ']' (char 199999)"),
    ],
)
def test_junk_is_refused_clearly(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "junk"
    path.write_bytes(data)
    [error] = import_file(path).errors
    assert error.startswith(message)


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
     b'{"n": ' + b"7" * 100_000 + b"}", b"[" + b"9" * 100_000 + b", -1" + b"0" * 100_000 + b"]",
     b'{"log": {"entries": [' + b"[" * 5000 + b"]" * 5000 + b"]}}"],
    ids=["deep-arrays", "deep-objects", "100k-digit-number", "two-huge-numbers", "deep-har"],
)  # fmt: skip
def test_valid_json_beyond_the_parser_limits_is_one_post(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(body)
    result = import_file(path)
    assert (result.format, result.errors) == ("json", ())
    [request] = result.requests
    assert (request.method, request.path, request.body) == ("POST", "/import", body)


async def test_deep_json_import_is_stored_and_derived(tmp_path: Path) -> None:
    from inspector.core.config import Settings
    from inspector.core.service import InspectorService

    body = b'{"event": "message", "session": "s", "payload": ' + b"[" * 100_000 + b"]" * 100_000
    body += b"}"
    [request] = importing.import_bytes(body).requests
    service = InspectorService(Settings(db_path=tmp_path / "h.db", port=0))
    await service.start(listen=False)
    try:
        await service.ingest(request)
        await service.settled()
        assert service.store is not None
        [stored] = service.store.iter_all()
    finally:
        await service.stop()
    assert stored.request.body == body
    assert stored.derived.provider == "generic"


def test_a_har_is_never_parsed_as_one_document(tmp_path: Path, monkeypatch) -> None:
    entry = {"request": {"method": "POST", "url": "http://h/x", "headers": [],
                         "postData": {"mimeType": "application/json", "text": "{}"}}}  # fmt: skip
    path = tmp_path / "many.har"
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry] * 1000}}))

    def whole(*args: object, **kwargs: object) -> object:
        raise AssertionError("the whole HAR was parsed at once")

    monkeypatch.setattr(importing.json, "loads", whole)
    result = import_file(path)
    assert (result.format, len(result.requests), result.errors) == ("har", 1000, ())
    assert [r.body for r in result.requests[998:]] == [b"{}", b"{}"]


def test_generic_ndjson_is_one_payload_per_line() -> None:
    result = import_bytes(b'{"a":1}\n{"b": 2}\r\n\n[3]\nnope\n', default_path="/in")
    assert result.format == "json"
    assert [(r.path, r.body) for r in result.requests] == [
        ("/in", b'{"a":1}'), ("/in", b'{"b": 2}'), ("/in", b"[3]")]  # fmt: skip
    assert result.errors == ("line 5: not valid JSON (Expecting value: line 1 column 1 (char 0))",)
    assert import_bytes(b'{"a":1} x').errors[0].startswith("not valid JSON: Extra data")
