from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.formats import FormatError
from inspector.core.formats.curl import looks_like_curl, parse_curl, to_curl, write_curl
from inspector.core.models import CapturedRequest, Derived, StoredRequest

FORMATS = Path(__file__).resolve().parents[2] / "fixtures" / "formats"
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
        ("curl -F a=@photo.png http://x/", "reads a file"),
        ("curl -F 'a=<body.txt' http://x/", "reads a file"),
        ("curl -F a http://x/", "name=content"),
        ("curl -F a=1 -d b=2 http://x/", "cannot be mixed with -d"),
        ("curl -G -F a=1 http://x/", "cannot be mixed with -G"),
        ("curl -F 'a=1;encoder=base64' http://x/", "encoder"),
        ("curl --he x http://x/", "ambiguous"),
        ("curl --no-header x http://x/", "only an option without a value"),
        ("curl -T f http://x/", "-T/--upload-file"),
        ("curl ftp://x/", "not http or https"),
        ("curl http://[::1", "is not valid: Invalid IPv6 URL"),
        ("curl 'http://[x]/' -d a", "command 1 (line 1): URL 'http://"),
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
        ("Accept-Encoding", "deflate, gzip"),
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


# --- what real curl sends (when curl is installed) -------------------------------------------

needs_curl = pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                                reason="needs curl and bash")  # fmt: skip


class Recorder(BaseHTTPRequestHandler):
    """Records method, raw target, headers and body of every request; answers 204."""

    seen: list[tuple[str, str, list[tuple[str, str]], bytes]]

    def _record(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size)
        self.seen.append((self.command, self.path, list(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    do_GET = do_POST = do_PUT = do_HEAD = _record

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def curl_target() -> Iterator[tuple[str, list[tuple[str, str, list[tuple[str, str]], bytes]]]]:
    seen: list[tuple[str, str, list[tuple[str, str]], bytes]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def run_shell(command: str) -> None:
    subprocess.run(["bash", "-c", command], check=True, capture_output=True, timeout=30)


def test_to_curl_adds_globoff_only_for_url_patterns() -> None:
    pattern = to_curl(CapturedRequest("GET", "/glob/[1-3]", "x={a,b}"), "http://h")
    assert pattern == "curl -X GET 'http://h/glob/[1-3]?x={a,b}' --globoff"
    [back] = parse_curl(pattern)
    assert (back.path, back.query) == ("/glob/[1-3]", "x={a,b}")
    assert "--globoff" not in to_curl(CapturedRequest("GET", "/plain"), "http://h")


@needs_curl
def test_exported_pattern_url_is_one_request(curl_target) -> None:  # type: ignore[no-untyped-def]
    url, seen = curl_target
    run_shell(to_curl(CapturedRequest("GET", "/glob/[1-3]", "x={a,b}"), url) + " -s -o /dev/null")
    assert [(method, path) for method, path, _, _ in seen] == [("GET", "/glob/[1-3]?x={a,b}")]


FORM_ARGS = (
    "-F a=1 -F 'b=\"q;x\\\"y\";type=text/plain; charset=utf-8' "
    "-F 'c= v ;filename=x.txt;headers=X-A: 1' -F 'na\"me=z;foo=bar' -F '=nameless' "
    "--form-string 'lit=@x;type=y' -F 'e=;filename=a.png' -F 'f=caf\u00e9'"
)


def _boundary(content_type: str) -> str:
    return content_type.split("boundary=", 1)[1]


@needs_curl
def test_form_is_built_as_curl_builds_it(curl_target) -> None:  # type: ignore[no-untyped-def]
    url, seen = curl_target
    run_shell(f"curl -s -o /dev/null {FORM_ARGS} {url}/form")
    [(method, path, headers, body)] = seen
    [ours] = parse_curl(f"curl {FORM_ARGS} {url}/form")
    theirs_type = dict(headers)["Content-Type"]
    our_type = ours.header("content-type") or ""
    assert re.fullmatch(r"multipart/form-data; boundary=-{24}[A-Za-z0-9]{22}", our_type)
    assert our_type.replace(_boundary(our_type), _boundary(theirs_type)) == theirs_type
    assert ours.body.replace(_boundary(our_type).encode(), _boundary(theirs_type).encode()) == body
    assert (ours.method, ours.path) == (method, path)


@needs_curl
@pytest.mark.parametrize(
    "args",
    ["-G -d a=1 -d b=x%20y /g?q=0", "-G --data-urlencode 'm=a b' /g", "--url-query 'm=a b&c' "
     "--url-query +raw=%41 /u?q=0", "-G -d x=1 --url-query dropped=1 /g", "-I -G -d a=1 /h",
     "--get /g"],
)  # fmt: skip
def test_get_and_url_query_match_curl(curl_target, args: str) -> None:  # type: ignore[no-untyped-def]
    url, seen = curl_target
    options, target = args.rsplit(" ", 1)
    run_shell(f"curl -s -o /dev/null {options} {url}{target}")
    [(method, path, _, body)] = seen
    [ours] = parse_curl(f"curl {options} {url}{target}")
    assert (ours.method, ours.target, ours.body) == (method, path, body)


def test_compressed_prefixes_and_no_flags() -> None:
    text = ("curl --sil --no-location --compressed --no-progress-meter --data-b x "
            "-H 'Accept-Encoding: br' --no-compressed http://h/")  # fmt: skip
    [request] = parse_curl(text)
    assert request.headers == (
        ("Host", "h"), ("Accept-Encoding", "br"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    )  # fmt: skip
    assert request.body == b"x"
    [compressed] = parse_curl("curl --compressed --url=http://h/")
    assert compressed.headers == (("Host", "h"), ("Accept-Encoding", "deflate, gzip"))
    [no_head] = parse_curl("curl -I --no-head http://h/")
    assert no_head.method == "GET"
