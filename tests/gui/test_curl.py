from __future__ import annotations

import base64
import shlex
import subprocess

from inspector.core.models import CapturedRequest, Derived, StoredRequest
from inspector.gui.curl import curl_command


def stored(body: bytes, headers=(("Host", "example.com"), ("Content-Length", "3")), **kw):
    request = CapturedRequest(method="POST", path="/hook", body=body, headers=headers, id=1, **kw)
    return StoredRequest(request, Derived())


def test_text_body_and_headers_round_trip_through_the_shell() -> None:
    body = b"{\"text\": \"it's caf\xc3\xa9 $HOME `x`\"}"
    command = curl_command(
        stored(body, (("Host", "h"), ("X-Sig", "sha256=ab"), ("Content-Length", "9")),
               query="a=1&b=2"),
        "http://127.0.0.1:8080/",
    )  # fmt: skip
    args = shlex.split(command)
    assert args[:4] == ["curl", "-X", "POST", "http://127.0.0.1:8080/hook?a=1&b=2"]
    assert args[args.index("-H") + 1] == "X-Sig: sha256=ab"
    assert args[-2:] == ["--data-binary", body.decode("utf-8")]
    assert "Host: h" not in args
    assert not any(a.startswith("Content-Length") for a in args)


def test_utf8_header_bytes_are_shown_as_text() -> None:
    value = "café".encode().decode("latin-1")
    args = shlex.split(curl_command(stored(b"", (("X-Name", value),)), "http://h"))
    assert "X-Name: café" in args
    assert "--data-binary" not in args


def test_at_sign_body_is_not_read_as_a_file() -> None:
    args = shlex.split(curl_command(stored(b"@/etc/passwd"), "http://h"))
    assert args[-2:] == ["--data-raw", "@/etc/passwd"]


def test_binary_body_is_piped_exactly() -> None:
    body = bytes(range(256))
    command = curl_command(stored(body), "http://h")
    note, pipeline = command.split("\n")
    assert note.startswith("# binary body (256 bytes)")
    assert pipeline.endswith("--data-binary @-")
    encoded = shlex.split(pipeline)[2]
    assert base64.b64decode(encoded) == body
    producer = pipeline.split(" | curl")[0]
    assert subprocess.run(["sh", "-c", producer], capture_output=True, check=True).stdout == body
