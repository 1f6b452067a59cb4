from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.curl import looks_like_curl, parse_curl, to_curl, write_curl
from inspector.core.formats import FormatError
from inspector.core.models import CapturedRequest, Derived, StoredRequest

FORMATS = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
latin1 = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=20)
token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-ABCXYZ0123456789", min_size=1, max_size=12)

requests = st.builds(
    CapturedRequest,
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH"]),
    path=st.sampled_from(["/", "/webhook", "/a%20b/c", "/it's"]),
    query=st.sampled_from(["", "a=1", "x=%zz&&y", "q=$HOME"]),
    headers=st.lists(
        st.tuples(token.filter(lambda t: t.lower() not in ("host", "content-length")), latin1)
        .filter(lambda h: h[1].strip() == h[1] and h[1] != ""),
        max_size=4,
    ).map(tuple),
    body=st.binary(max_size=200) | st.text(max_size=60).map(lambda t: t.encode("utf-8")),
)


@given(requests)
def test_to_curl_then_parse_curl_is_byte_exact(request: CapturedRequest) -> None:
    text = to_curl(request, "http://127.0.0.1:8080")
    [back] = parse_curl(text)
    assert back.body == request.body
    assert back.method == request.method
    assert (back.path, back.query) == (request.path, request.query)
    assert back.headers == (("Host", "127.0.0.1:8080"), *request.headers)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=80).filter(lambda b: b"\x00" not in b))
def test_bash_reads_our_quoting_the_same_way(body: bytes) -> None:
    command = to_curl(CapturedRequest("POST", "/", body=body), "http://x")
    words = command.replace(" \\\n", " ").split(" ", 1)[1]
    out = subprocess.run(["bash", "-c", f"printf '%s\\0' {words}"], capture_output=True,
                         check=True).stdout  # fmt: skip
    assert out.split(b"\0")[-2] == body


def test_to_curl_shapes() -> None:
    request = CapturedRequest(
        "POST", "/hook", "a=1",
        (("Host", "h.example"), ("Content-Length", "2"), ("Content-Type", "application/json")),
        b"{}",
    )  # fmt: skip
    assert to_curl(request) == (
        "curl -X POST 'http://h.example/hook?a=1' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        "  --data-binary '{}'"
    )
    binary = to_curl(CapturedRequest("POST", "/", body=b"\xff'"), "http://x/")
    assert "-H 'Content-Type:' \\\n  --data-binary $'\\xff\\''" in binary
    nul = to_curl(CapturedRequest("POST", "/", body=b"a\x00b"), "http://x")
    assert nul.startswith("# binary body (3 bytes) piped in exactly\nprintf %s YQBi | base64 -d |")
    assert to_curl(CapturedRequest("POST", "/", body=b"@x"), "http://x").endswith("--data-raw @x")


def test_curl_file_with_several_commands_and_a_bad_one() -> None:
    errors: list[str] = []
    found = parse_curl((FORMATS / "requests.curl").read_text("utf-8"), errors)
    assert errors == ["command 4 (line 15): no URL"]
    meta, waha, binary, form, head = found
    assert (meta.method, meta.path, meta.query) == ("POST", "/webhook/meta", "src=curl")
    assert meta.headers == (
        ("Host", "127.0.0.1:8080"),
        ("Content-Type", "application/json"),
        ("X-Hub-Signature-256", "sha256=00"),
    )
    assert meta.body == b'{"object":"whatsapp_business_account","entry":[]}'
    assert waha.body == b'{"event":"message","session":"default","payload":{"body":"it\'s"}}'
    assert ("Content-Type", "application/json") in waha.headers
    assert (binary.method, binary.body) == ("PUT", b"\xff\x00\x80\x01")
    assert (form.scheme, form.body) == ("https", b"k=v&n=2")
    assert ("Content-Type", "application/x-www-form-urlencoded") in form.headers
    assert (head.method, head.body) == ("HEAD", b"")
    with pytest.raises(FormatError, match=r"^command 4 \(line 15\): no URL$"):
        parse_curl((FORMATS / "requests.curl").read_text("utf-8"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("curl 'http://x/ -d 1", "command 1 (line 1): unterminated single quote"),
        ("curl http://x/ok\ncurl \"http://x/", "command 2 (line 2): unterminated double quote"),
        ("curl -X", "-X needs a value"),
        ("curl --frobnicate http://x/", "unknown option --frobnicate"),
        ("curl -Z http://x/", "unknown option -Z"),
        ("curl -d @body.json http://x/", "reads a file"),
        ("curl -F a=b http://x/", "multipart"),
        ("curl -G -d a=1 http://x/", "-G/--get"),
        ("curl ftp://x/", "not http or https"),
        ("wget http://x/", "`wget` is not a curl command"),
        ("cat f | curl http://x/ --data-binary @-", "`cat` cannot be piped"),
        ("curl --data-binary @- http://x/", "nothing is piped in"),
        ("# only a comment\n", "no curl command found"),
    ],
)
def test_bad_commands_are_named(text: str, message: str) -> None:
    with pytest.raises(FormatError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_curl(text)


def test_quoting_and_options() -> None:
    text = (
        "curl -sSLk -XPATCH \"http://h/p\" -H \"A: \\\"q\\\" \\$x\" -H 'Empty;' "
        "-H 'Removed:' -A agent -u u:p -b 'c=1' --data-urlencode 'msg=a b&c' "
        "--data-ascii $'x\\ty\\u00e9\\x41' --compressed -o /dev/null"
    )
    [request] = parse_curl(text)
    assert request.method == "PATCH"
    assert request.headers == (
        ("Host", "h"),
        ("A", '"q" $x'),
        ("Empty", ""),
        ("User-Agent", "agent"),
        ("Authorization", "Basic dTpw"),
        ("Cookie", "c=1"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    )
    assert request.body == "msg=a+b%26c&x\tyéA".encode()


def test_continuations_semicolons_and_several_urls() -> None:
    found = parse_curl("curl \\\r\n  http://a/1 http://a/2 && curl http://b/ ; curl --url http://c/")
    assert [(r.header("host"), r.path) for r in found] == [
        ("a", "/1"), ("a", "/2"), ("b", "/"), ("c", "/")]  # fmt: skip


def test_write_curl_file_imports_back(provider_fixture) -> None:
    body = provider_fixture("meta_message_text.json")
    items = [
        StoredRequest(CapturedRequest("POST", "/a", headers=(("Host", "h:1"),), body=body, id=1),
                      Derived("meta")),
        StoredRequest(CapturedRequest("PUT", "/b", headers=(("Host", "h:1"),), body=b"\x00\xff",
                                      id=2), Derived()),
    ]  # fmt: skip
    out = io.StringIO()
    assert write_curl(out, items, keep_credentials=True) == 2
    assert out.getvalue().startswith("# #1 POST /a  (meta)\ncurl -X POST http://h:1/a \\\n")
    assert [r.body for r in parse_curl(out.getvalue())] == [body, b"\x00\xff"]
    masked = io.StringIO()
    write_curl(masked, items, mask=True)
    assert "[body masked]" in masked.getvalue()
    assert "Sheena" not in masked.getvalue()


def test_looks_like_curl() -> None:
    assert looks_like_curl("# x\ncurl http://x/")
    assert looks_like_curl("printf %s QQ== | base64 -d | curl http://x/")
    assert not looks_like_curl("hello curl")
    assert not looks_like_curl('{"curl": 1}')
