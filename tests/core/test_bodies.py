"""Body classification, formatting, hex dumps, inflating, raw text and the JSON-aware diff."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.core import bodies
from inspector.core.bodies import (
    DISPLAY_CAP,
    HEX_CAP,
    IGNORED,
    INFLATE_CAP,
    SHOW_ALL_CAP,
    JsonNumber,
    JsonObject,
    Kind,
    blank_volatile,
    comparable_headers,
    compare_requests,
    describe,
    diff_lines,
    hex_dump,
    iter_pretty,
    json_spans,
    parse_json_exact,
    raw_text,
)
from inspector.core.models import CapturedRequest

MARKUP = '<b>x</b><img src="http://127.0.0.1:9/canary">'
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


# --- small helpers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 bytes"), (1, "1 byte"), (1023, "1023 bytes"), (1536, "1.5 KiB"),
     (DISPLAY_CAP, "256 KiB"), (8 * 1024 * 1024, "8.0 MiB")],
)  # fmt: skip
def test_format_size(size: int, text: str) -> None:
    assert bodies.format_size(size) == text


def test_content_type_param_handles_quotes_and_case() -> None:
    value = 'multipart/form-data; Boundary="a \\"b\\"; c"; charset=utf-8'
    assert bodies.content_type_param(value, "boundary") == 'a "b"; c'
    assert bodies.content_type_param(value, "charset") == "utf-8"
    assert bodies.content_type_param(value, "missing") is None
    assert bodies.media_type(" Application/JSON ; charset=x") == "application/json"


def test_first_bad_byte_and_decode_prefix() -> None:
    assert bodies.first_bad_byte("café".encode()) is None
    assert bodies.first_bad_byte(b"ab\xffcd") == 2
    cut = "é".encode()[:1]
    assert bodies.decode_prefix(b"ab" + cut) == "ab"  # a cap fell inside the character
    assert bodies.decode_prefix(b"a\xffb") is None


# --- hex dump ------------------------------------------------------------------------------


def test_hex_dump_line_format() -> None:
    dump = hex_dump(b"Hello, world!\n\x00\x01" + b"\x02\xff")
    assert dump.splitlines() == [
        "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|",
        "00000010  02 ff                                             |..|",
    ]


def test_hex_dump_is_16_bytes_a_line_with_running_offsets() -> None:
    lines = hex_dump(bytes(range(256)) * 2).splitlines()
    assert len(lines) == 32
    assert [line[:8] for line in lines[:3]] == ["00000000", "00000010", "00000020"]
    assert lines[-1].startswith("000001f0")
    assert all(len(line) == len(lines[0]) for line in lines)
    assert hex_dump(b"") == ""


# --- classification --------------------------------------------------------------------------


def test_empty_body() -> None:
    display = describe(b"")
    assert display.kind is Kind.EMPTY
    assert display.size == 0


def test_json_is_pretty_printed_like_json_dumps(provider_fixture) -> None:
    raw = provider_fixture("meta_message_text.json")
    display = describe(raw, "application/json")
    assert display.kind is Kind.JSON
    assert display.text == json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    assert not display.truncated
    assert display.line_count == display.text.count("\n") + 1


def test_json_keeps_key_order_duplicates_and_number_spelling() -> None:
    body = b'{"z": 1.50, "a": 1e3, "z": -0, "e": "\\ud83d\\ude00 caf\\u00e9", "n": [], "o": {}}'
    display = describe(body, "application/json; charset=utf-8")
    assert display.text == (
        '{\n  "z": 1.50,\n  "a": 1e3,\n  "z": -0,\n  "e": "😀 café",\n  "n": [],\n  "o": {}\n}'
    )
    assert isinstance(display.data, JsonObject)
    assert display.data[0] == ("z", "1.50")
    assert isinstance(display.data[0][1], JsonNumber)


def test_json_is_sniffed_without_a_content_type() -> None:
    assert describe(b' [1, true, null, "x"]').kind is Kind.JSON
    assert describe(b"{not json").kind is Kind.TEXT  # sniffed only: no complaint


def test_invalid_json_with_json_content_type_says_why() -> None:
    display = describe(b'{"a": 1,}', "application/json")
    assert display.kind is Kind.TEXT
    assert display.text == '{"a": 1,}'
    assert display.notes[0].startswith("Not valid JSON:")


def test_deep_json_falls_back_to_raw_text_with_a_note() -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    display = describe(body, "application/json")
    assert display.kind is Kind.TEXT
    assert "nested too deeply" in display.notes[0]
    assert display.text == body[:DISPLAY_CAP].decode()


def test_pretty_printing_never_recurses() -> None:
    value: object = []
    for _ in range(3_000):  # deeper than the recursion limit
        value = [value]
    text = "".join(iter_pretty(value))
    assert text.count("[") == 3_001


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)  # fmt: skip


@given(json_values)
def test_pretty_matches_json_dumps(value: object) -> None:
    text = json.dumps(value)
    expected = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    assert "".join(iter_pretty(parse_json_exact(text))) == expected


def test_form_fields_in_order_with_blanks() -> None:
    display = describe(b"b=2&a=&c=caf%C3%A9+x&b=3", "application/x-www-form-urlencoded")
    assert display.kind is Kind.FORM
    assert display.fields == (("b", "2"), ("a", ""), ("c", "café x"), ("b", "3"))
    assert display.text == "b=2&a=&c=caf%C3%A9+x&b=3"


def test_multipart_parts() -> None:
    body = (
        b"preamble\r\n--XyZ\r\n"
        b'Content-Disposition: form-data; name="field"\r\n\r\nvalue one\r\n'
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a b.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG_1PX + b"\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="notes"\r\nContent-Type: text/plain\r\n\r\n'
        b"line 1\r\nline 2\r\n--XyZ--\r\nepilogue"
    )
    display = describe(body, 'multipart/form-data; boundary="XyZ"')
    assert display.kind is Kind.MULTIPART
    field, upload, notes = display.parts
    assert (field.name, field.filename, field.content_type, field.size, field.text) == (
        "field", None, "", 9, "value one",
    )  # fmt: skip
    assert (upload.name, upload.filename, upload.content_type) == ("file", "a b.png", "image/png")
    assert upload.size == len(PNG_1PX)
    assert upload.text is None
    assert notes.text == "line 1\r\nline 2"


def test_multipart_without_parts_falls_back_to_text() -> None:
    display = describe(b"just text", "multipart/form-data; boundary=nope")
    assert display.kind is Kind.TEXT
    assert describe(b"x", "multipart/form-data").kind is Kind.TEXT


def test_text_is_utf8() -> None:
    display = describe("héllo\nwörld".encode(), "text/plain")
    assert (display.kind, display.text, display.notes) == (Kind.TEXT, "héllo\nwörld", ())


def test_invalid_utf8_text_is_hex_with_offset_of_first_bad_byte() -> None:
    display = describe(b"caf\xe9 au lait", "text/plain")
    assert display.kind is Kind.BINARY
    assert display.notes == ("Not valid UTF-8 (first bad byte at offset 3): shown as hex.",)
    assert display.text == hex_dump(b"caf\xe9 au lait")


def test_binary_content_type_and_nul_bytes_are_hex() -> None:
    binary = describe(b"\xff\xfe\x00\x01", "application/octet-stream")
    assert binary.kind is Kind.BINARY
    assert binary.notes == ("Binary data: shown as hex.",)
    nul = describe(b"abc\x00def", "text/plain")
    assert nul.kind is Kind.BINARY
    assert "NUL" in nul.notes[0]


@pytest.mark.parametrize(
    ("data", "name"),
    [(PNG_1PX, "PNG"), (b"\xff\xd8\xff\xe0rest", "JPEG"), (b"GIF89a....", "GIF"),
     (b"GIF87a....", "GIF"), (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "WEBP")],
)  # fmt: skip
def test_images_by_magic_bytes(data: bytes, name: str) -> None:
    display = describe(data, "application/octet-stream")  # the magic decides, not the header
    assert display.kind is Kind.IMAGE
    assert display.payload == data
    assert display.notes[0].startswith(f"{name} image")


def test_markup_stays_text() -> None:
    display = describe(MARKUP.encode(), "text/html")
    assert display.text == MARKUP


# --- compressed bodies ----------------------------------------------------------------------


def test_gzip_is_described_as_stored_until_inflated() -> None:
    body = gzip.compress(b'{"x": 1}')
    display = describe(body, "application/json", "gzip")
    assert display.kind is Kind.ENCODED
    assert display.notes == (f"Stored as received (gzip, {len(body)} bytes).",)
    inflated = describe(body, "application/json", "GZIP ", inflate_body=True)
    assert inflated.kind is Kind.JSON
    assert inflated.text == '{\n  "x": 1\n}'
    assert inflated.notes[0].startswith("Inflated for viewing")


def test_gzip_bomb_is_inflated_only_up_to_the_cap() -> None:
    bomb = gzip.compress(b"a" * (INFLATE_CAP + 4 * 1024 * 1024))
    display = describe(bomb, "text/plain", "gzip", inflate_body=True, cap=SHOW_ALL_CAP)
    assert "Stopped at 8.0 MiB" in display.notes[0]
    assert len(display.text) == INFLATE_CAP
    data, capped = bodies.inflate(bomb, "gzip", 100)
    assert (len(data), capped) == (100, True)


def test_invalid_or_truncated_gzip_is_shown_as_stored() -> None:
    display = describe(b"\x1f\x8bnot really", "text/plain", "gzip", inflate_body=True)
    assert display.kind is Kind.BINARY
    assert display.notes[0].startswith("Could not inflate (gzip)")
    cut = gzip.compress(b"hello world" * 100)[:-12]
    assert describe(cut, "", "gzip", inflate_body=True).notes[0].startswith("Could not inflate")


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_zlib_wrapped_or_raw(wbits: int) -> None:
    packer = zlib.compressobj(wbits=wbits)
    body = packer.compress(b"plain text") + packer.flush()
    assert describe(body, "text/plain", "deflate", inflate_body=True).text == "plain text"


def test_unknown_encoding_is_hex_with_a_note() -> None:
    display = describe(b"\x0b\x02\x80hi", "text/plain", "br")
    assert display.kind is Kind.BINARY
    assert "br is not decoded" in display.notes[0]


# --- caps ---------------------------------------------------------------------------------


def test_text_over_the_cap_is_truncated_with_a_note() -> None:
    body = ("é" * DISPLAY_CAP).encode()  # two bytes each: the cap falls inside a character
    display = describe(body, "text/plain")
    assert display.truncated
    assert display.text == "é" * (DISPLAY_CAP // 2)
    assert display.notes == ("Showing the first 256 KiB of 512 KiB.",)
    assert not describe(body, "text/plain", cap=SHOW_ALL_CAP).truncated


def test_json_over_the_cap_is_cut_at_a_line_end() -> None:
    body = json.dumps([{"n": n, "text": "x" * 40} for n in range(15_000)]).encode()
    display = describe(body, "application/json")
    assert display.kind is Kind.JSON
    assert display.truncated
    assert len(display.text) <= DISPLAY_CAP
    assert display.text.endswith(",")  # a whole line
    assert "formatted JSON" in display.notes[0]
    assert len(display.data) == 15_000  # type: ignore[arg-type]  # the tree has all of it
    full = describe(body, "application/json", cap=SHOW_ALL_CAP)
    assert not full.truncated


def test_hex_dumps_stop_at_hex_cap_even_when_showing_all() -> None:
    body = b"\x00" * (HEX_CAP + 16)
    display = describe(body, cap=SHOW_ALL_CAP)
    assert display.truncated
    assert display.text.count("\n") + 1 == HEX_CAP // 16
    assert any("save the body" in note for note in display.notes)


# --- highlighting ---------------------------------------------------------------------------


def test_json_spans_are_in_utf16_units() -> None:
    text = '{"😀": "é😀", "n": 1.5, "t": true}'
    spans = json_spans(text)
    kinds = [kind for _, _, kind in spans]
    assert kinds == [
        "Token.Name.Tag", "Token.Literal.String.Double", "Token.Name.Tag",
        "Token.Literal.Number.Float", "Token.Name.Tag", "Token.Keyword.Constant",
    ]  # fmt: skip
    utf16 = text.encode("utf-16-le")
    pieces = [
        utf16[2 * start : 2 * (start + length)].decode("utf-16-le") for start, length, _ in spans
    ]
    assert pieces == ['"😀"', '"é😀"', '"n"', "1.5", '"t"', "true"]


def test_json_spans_of_ascii_text_match_positions() -> None:
    text = json.dumps({"a": [1, None]}, indent=2)
    assert [text[s : s + n] for s, n, _ in json_spans(text)] == ['"a"', "1", "null"]


# --- raw request -----------------------------------------------------------------------------


def test_raw_text_has_request_line_headers_in_order_blank_line_and_body() -> None:
    request = CapturedRequest(
        "POST", "/hook", "a=1", (("Host", "x"), ("X-Dup", "1"), ("x-dup", "caf\xc3\xa9")),
        b'{"a": 1}', http_version="1.1",
    )  # fmt: skip
    assert raw_text(request) == (
        'POST /hook?a=1 HTTP/1.1\nHost: x\nX-Dup: 1\nx-dup: café\n\n{"a": 1}'
    )


def test_raw_text_shows_replacement_for_a_few_bad_bytes() -> None:
    request = CapturedRequest("POST", "/", body=b"almost text \xff here")
    assert raw_text(request).endswith("almost text \ufffd here")


def test_raw_text_shows_binary_as_hex() -> None:
    request = CapturedRequest("POST", "/", body=PNG_1PX)
    body = raw_text(request).split("\n\n", 1)[1]
    assert body.startswith(f"<{len(PNG_1PX)} bytes binary>\n00000000  89 50 4e 47")


def test_raw_text_is_capped() -> None:
    request = CapturedRequest("POST", "/", body=b"x" * 100)
    text = raw_text(request, cap=10)
    assert text.endswith("xxxxxxxxxx\n… 90 more bytes not shown (Save to file… has them all)")


# --- diff --------------------------------------------------------------------------------------


def test_volatile_keys_cover_the_documented_names() -> None:
    wanted = {"timestamp", "time", "ts", "id", "eventId", "event_id", "receivedAt", "date_time",
              "created", "created_at", "idMessage", "X-Webhook-Request-Id"}  # fmt: skip
    assert {key.lower() for key in wanted} <= bodies.VOLATILE_KEYS


def test_blank_volatile_matches_keys_case_insensitively_and_wamid_values() -> None:
    data = parse_json_exact(
        '{"Timestamp": 1, "eventId": "e", "idMessage": "m", "keep": "wamid.ABC",'
        ' "nested": [{"receivedAt": "now", "ID": 7, "name": "n"}]}'
    )
    assert "".join(iter_pretty(blank_volatile(data))) == json.dumps(
        {"Timestamp": IGNORED, "eventId": IGNORED, "idMessage": IGNORED, "keep": IGNORED,
         "nested": [{"receivedAt": IGNORED, "ID": IGNORED, "name": "n"}]},
        indent=2,
    )  # fmt: skip


def test_diff_lines_counts_changed_blocks_by_their_longer_side() -> None:
    diff = diff_lines(["a", "b", "c"], ["a", "B", "c", "d"])
    assert diff.lines == ((" ", "a"), ("-", "b"), ("+", "B"), (" ", "c"), ("+", "d"))
    assert diff.changed == 2
    assert diff.summary == "2 lines differ"
    assert diff_lines(["a"], ["b"]).summary == "1 line differs"
    assert diff_lines(["a"], ["a"]).summary == "No differences"


def test_comparable_headers_sorted_and_volatile_blanked() -> None:
    headers = (("X-B", "2"), ("Date", "today"), ("x-a", "1"), ("X-Webhook-Request-Id", "r1"))
    assert comparable_headers(headers) == [
        "Date: today", "x-a: 1", "X-B: 2", "X-Webhook-Request-Id: r1",
    ]  # fmt: skip
    blanked = comparable_headers(headers, ignore_volatile=True)
    assert "Date: <ignored>" in blanked
    assert "X-Webhook-Request-Id: <ignored>" in blanked
    assert "X-B: 2" in blanked


def meta(provider_fixture, name: str, request_id: str) -> CapturedRequest:
    headers = (("Content-Type", "application/json"), ("X-Webhook-Request-Id", request_id))
    return CapturedRequest("POST", "/webhook", headers=headers, body=provider_fixture(name))


def test_compare_meta_statuses_and_ignoring_volatile_keys_reduces_differences(
    provider_fixture,
) -> None:
    sent = meta(provider_fixture, "meta_status_sent.json", "one")
    failed = meta(provider_fixture, "meta_status_failed.json", "two")
    plain = compare_requests(sent, failed)
    quiet = compare_requests(sent, failed, ignore_volatile=True)
    assert plain.body_mode == "JSON, keys sorted"
    assert 0 < quiet.body.changed < plain.body.changed
    removed = [line.strip() for tag, line in quiet.body.lines if tag == "-"]
    added = [line.strip() for tag, line in quiet.body.lines if tag == "+"]
    assert '"status": "sent",' in removed
    assert '"status": "failed",' in added
    assert plain.headers.changed == 1
    assert quiet.headers.changed == 0


def test_compare_same_body_with_reordered_keys_has_no_differences() -> None:
    first = CapturedRequest("POST", "/", body=b'{"a": 1, "b": {"y": 2, "x": 1}}')
    second = CapturedRequest("POST", "/", body=b'{"b": {"x": 1, "y": 2}, "a": 1}')
    assert compare_requests(first, second).body.summary == "No differences"


def test_compare_text_and_binary_bodies() -> None:
    first = CapturedRequest("POST", "/", body=b"one\ntwo\nthree")
    second = CapturedRequest("POST", "/", body=b"one\n2\nthree")
    comparison = compare_requests(first, second)
    assert comparison.body_mode == "text"
    assert comparison.body.changed == 1
    binary = compare_requests(CapturedRequest("POST", "/", body=b"\x00\x01"), first)
    assert binary.body_mode == "hex vs text"


def test_compare_inflates_gzip_bodies() -> None:
    headers = (("Content-Encoding", "gzip"),)
    first = CapturedRequest("POST", "/", headers=headers, body=gzip.compress(b'{"a": 1}'))
    second = CapturedRequest("POST", "/", body=b'{"a": 2}')
    comparison = compare_requests(first, second)
    assert comparison.body_mode == "JSON, keys sorted"
    assert comparison.body.changed == 1


# --- big bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ['{}', '[]', '"s"', "12", '[[[]]]', '{"k": [1, {"z": []}]}',
     '{"a":{},"b":[],"d":"x\\u00e9\\n","e":-1.50e+3,"f":[true,false,null],"a":1}'],
)  # fmt: skip
def test_reindent_prints_like_the_exact_parse(text: str) -> None:
    want = bodies.pretty_json(bodies.parse_json_exact(text))[0]
    assert bodies.reindent_json(text) == (want, False)


@pytest.mark.parametrize("text", ["{", '{"a"}', "[1,]", "[1 2]", '{"a":1,}', "01", "tru", "[}"])
def test_reindent_refuses_what_is_not_json(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        bodies.reindent_json(text)


def test_cut_view_of_one_long_line_pretty_prints_what_it_shows() -> None:
    body = json.dumps({"data": "A" * (3 * bodies.MIB), "n": 1}, separators=(",", ":")).encode()
    display = describe(body, "application/json")
    assert display.kind is Kind.JSON
    assert display.truncated
    assert display.text.startswith('{\n  "data": "AAAA')  # not just "{"
    assert len(display.text) == DISPLAY_CAP
    assert display.data is None  # over TREE_CAP: no tree
    full = describe(body, "application/json", cap=SHOW_ALL_CAP)
    assert full.text.endswith('",\n  "n": 1\n}')


def test_fold_lines() -> None:
    assert bodies.fold_lines("ab\ncd", 3) == ("ab\ncd", False)
    assert bodies.fold_lines("abcdefg\nhi", 3) == ("abc\ndef\ng\nhi", True)
