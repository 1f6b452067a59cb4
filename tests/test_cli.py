from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from inspector.cli import main
from inspector.cli.common import parse_size
from inspector.core.formats import native
from inspector.core.store import Store

ROOT = Path(__file__).resolve().parent.parent


def test_headless_serve_path_never_imports_qt() -> None:
    code = (
        "import sys\n"
        "import inspector.cli, inspector.core.service, inspector.core.runner\n"
        "from inspector.cli import build_parser\n"
        "from inspector.cli.serve import serve_settings\n"
        "build_parser().parse_args(['serve', '--port', '0'])\n"
        "import inspector.core.formats, inspector.core.filters, inspector.core.derive\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'inspector.gui'))]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def start_serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "WEBHOOK_INSPECTOR_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--db", str(tmp_path / "h.db"),
         "--port", "0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"Listening on (http://\S+?)/ ", line)
    assert match, line + (proc.stderr.read() if proc.stderr else "")
    return proc, match.group(1)


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_serve_prints_url_and_one_line_per_request_then_stops_on_sigint(
    tmp_path: Path, provider_fixture
) -> None:
    proc, url = start_serve(tmp_path)
    try:
        body = provider_fixture("meta_message_text.json")
        assert post(f"{url}/webhook", body, {"Content-Type": "application/json"}) == 200
        assert proc.stdout is not None
        proc.stdout.readline()  # "Press Ctrl-C to stop."
        line = proc.stdout.readline()
        assert "POST" in line
        assert "/webhook" in line
        assert "meta" in line
        assert "Sheena Nelson" in line
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Stopped." in out


def test_serve_quiet_and_secret_option(tmp_path: Path) -> None:
    proc, url = start_serve(tmp_path, "--quiet", "--secret", "/webhook=github:s3cret")
    try:
        import hashlib
        import hmac

        body = b'{"zen": "Keep it simple"}'
        sig = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": sig, "X-GitHub-Event": "ping"}
        assert post(f"{url}/webhook/gh", body, headers) == 200
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert "POST" not in out
    store = Store.open(tmp_path / "h.db")
    try:
        [row] = store.page()
        assert row.sig_status == "valid"
    finally:
        store.close()


def test_serve_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    proc, url = start_serve(tmp_path)
    port = url.rsplit(":", 1)[1]
    try:
        env = {**os.environ, "WEBHOOK_INSPECTOR_HOME": str(tmp_path / "home")}
        result = subprocess.run(
            [sys.executable, "-m", "inspector", "serve", "--db", str(tmp_path / "o.db"),
             "--port", port],
            capture_output=True, text=True, env=env, timeout=30,
        )  # fmt: skip
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert result.returncode == 1
    assert "already in use" in result.stderr


def test_export_round_trips_every_byte(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path / "home"))
    proc, url = start_serve(tmp_path, "--quiet")
    bodies = [b'{"a": "caf\\u00e9"}', b"\xff\x00binary\x80", b""]
    try:
        for body in bodies:
            assert post(f"{url}/x?q=1", body, {"X-Dup": "1"}) == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    out = tmp_path / "export.json"
    assert main(["export", "--db", str(tmp_path / "h.db"), "--out", str(out)]) == 0
    requests = list(native.read_export(out.read_text("utf-8")))
    assert [r.body for r in requests] == bodies
    assert all(r.query == "q=1" for r in requests)
    assert all(("X-Dup", "1") in r.headers for r in requests)
    data = json.loads(out.read_text("utf-8"))
    assert data["requests"][1]["body_encoding"] == "base64"
    assert data["requests"][0]["body_encoding"] == "utf-8"


def test_export_missing_db_is_an_error(tmp_path: Path, capsys) -> None:
    assert main(["export", "--db", str(tmp_path / "none.db")]) == 1
    assert "no database" in capsys.readouterr().err


def test_verify_command(tmp_path: Path, provider_fixture, capsys) -> None:
    body = tmp_path / "waha.json"
    body.write_bytes(provider_fixture("waha_hmac_example.json"))
    sig = (
        "208f8a55dde9e05519e898b10b89bf0d0b3b0fdf11fdbf09b6b90476301b98d8"
        "097c462b2b17a6ce93b6b47a136cf2e78a33a63f6752c2c1631777076153fa89"
    )
    args = ["verify", str(body), "--scheme", "waha", "--secret", "my-secret-key",
            "-H", f"X-Webhook-Hmac: {sig}", "-H", "X-Webhook-Hmac-Algorithm: sha512"]  # fmt: skip
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("valid")
    args[5] = "wrong"
    assert main(args) == 1
    assert capsys.readouterr().out.startswith("invalid")


@pytest.mark.parametrize(
    ("text", "size"), [("10M", 10 * 1024**2), ("512k", 512 * 1024), ("100", 100), ("1MiB", 1024**2)]
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_bad_secret_option_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--secret", "nonsense"])
    assert "PATH=SCHEME:SECRET" in capsys.readouterr().err


# --- replay / forward -----------------------------------------------------------------------


class _Sink:
    """A threaded HTTP server on 127.0.0.1 that records each request's path and body."""

    def __init__(self) -> None:
        import http.server
        import threading

        received: list[tuple[str, bytes]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((self.path, body))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.received = received
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink():
    server = _Sink()
    yield server
    server.close()


def _store_requests(db: Path, bodies: list[bytes]) -> list[int]:
    from inspector.core.models import CapturedRequest
    from inspector.core.store import Record

    store = Store.open(db)
    try:
        records = [
            Record(CapturedRequest("POST", f"/hook/{n}", "q=1", (("Host", "x"),), body), None)
            for n, body in enumerate(bodies)
        ]
        return store.insert_many(records)
    finally:
        store.close()


def test_replay_command_end_to_end(tmp_path: Path, monkeypatch, capsys, sink) -> None:
    from inspector.core.config import load_settings

    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path / "home"))
    db = tmp_path / "h.db"
    bodies = [b'{"a": 1}', b"\xff\x00binary"]
    ids = _store_requests(db, bodies)
    args = ["replay", *map(str, ids), "--to", sink.url, "--db", str(db)]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert re.search(r"replay #\d+  request #\d+  POST  http://127\.0\.0\.1:\d+/hook/\d\?q=1  "
                         r"201  \d+ms  fidelity ok$", line), line  # fmt: skip
    assert sorted(sink.received) == [("/hook/0?q=1", bodies[0]), ("/hook/1?q=1", bodies[1])]
    store = Store.open(db)
    try:
        assert [len(store.replays(i)) for i in ids] == [1, 1]
    finally:
        store.close()
    assert load_settings().replay_targets == (sink.url,)


def test_replay_command_reports_failures(tmp_path: Path, monkeypatch, capsys) -> None:
    import socket

    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path / "home"))
    db = tmp_path / "h.db"
    [request_id] = _store_requests(db, [b"{}"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = ["replay", str(request_id), "99", "--to", f"http://127.0.0.1:{port}/h", "--db", str(db)]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert f"ERROR connection refused: nothing is listening on 127.0.0.1:{port}" in out
    assert "request #99  not sent: there is no request #99" in out


def test_replay_command_refuses_non_http_targets(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["replay", "1", "--to", "file:///etc/passwd", "--db", str(tmp_path / "h.db")])
    assert "only http:// and https://" in capsys.readouterr().err


def test_serve_forward_to_prints_the_forward_result(tmp_path: Path, sink) -> None:
    proc, url = start_serve(tmp_path, "--forward-to", f"{sink.url}/handler")
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(f"Forwarding every request to {sink.url}/handler")
        proc.stdout.readline()  # "Press Ctrl-C to stop."
        assert post(f"{url}/webhook", b'{"x": 1}') == 200
        line = proc.stdout.readline()
        assert "/webhook" in line
        assert re.search(r"→ 201 \d+ms$", line), line
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert sink.received == [("/handler", b'{"x": 1}')]


# --- send / import / export formats -----------------------------------------------------------


def test_send_list(capsys) -> None:
    assert main(["send", "--list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PROVIDER")
    for line in ("meta      status.delivered", "waha      session.status", "github    ping",
                 "stripe    customer.created", "demo-meta-app-secret"):  # fmt: skip
        assert line in out
    assert main(["send"]) == 0
    assert capsys.readouterr().out == out


def test_send_a_sample_to_serve_stores_it_valid(tmp_path: Path, capsys) -> None:
    proc, url = start_serve(tmp_path, "--quiet",
                            "--secret", "/webhook/meta=meta:demo-meta-app-secret",
                            "--secret", "/webhook/waha=waha:my-key")  # fmt: skip
    try:
        args = ["send", "meta", "text", "--to", f"{url}/webhook/meta",
                "--set", "phone=491511234567", "--set", "text=Hallo from the CLI"]  # fmt: skip
        assert main(args) == 0
        captured = capsys.readouterr()
        assert f"POST {url}/webhook/meta -> 200" in captured.out
        assert "demo-meta-app-secret" in captured.err
        waha = ["send", "waha", "message.ack", "--to", f"{url}/webhook/waha", "--secret", "my-key"]
        assert main(waha) == 0
        assert "demo" not in capsys.readouterr().err
        time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    store = Store.open(tmp_path / "h.db")
    try:
        rows = sorted(store.page(), key=lambda row: row.id)
        assert [(r.provider, r.event_type, r.sig_status) for r in rows] == [
            ("meta", "message.text", "valid"), ("waha", "message.ack", "valid")]  # fmt: skip
        assert "491511234567" in rows[0].summary
        assert "Hallo from the CLI" in rows[0].summary
    finally:
        store.close()


def test_send_errors(capsys) -> None:
    import socket

    assert main(["send", "meta", "nope"]) == 2
    assert "no meta sample 'nope'" in capsys.readouterr().err
    assert main(["send", "meta"]) == 2
    assert main(["send", "meta", "text", "--set", "oops"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["send", "meta", "text", "--to", f"http://127.0.0.1:{port}/x"]) == 1
    assert "cannot send to" in capsys.readouterr().err


def test_send_dry_run_prints_the_signed_request(capsysbinary) -> None:
    assert main(["send", "github", "push", "--dry-run", "--secret", "s"]) == 0
    out = capsysbinary.readouterr().out
    assert out.startswith(b"POST http://")
    assert b"X-GitHub-Event: push" in out
    assert b'"ref":"refs/heads/main"' in out


def test_import_files_then_export_filtered_and_masked(
    tmp_path: Path, provider_fixture, capsys
) -> None:
    formats_dir = ROOT / "tests" / "fixtures" / "formats"
    payload = tmp_path / "payload.json"
    payload.write_bytes(provider_fixture("meta_message_text.json"))
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02junk")
    db = str(tmp_path / "i.db")
    files = [str(payload), str(formats_dir / "browser.har"), str(formats_dir / "requests.curl"),
             str(junk)]  # fmt: skip
    assert main(["import", *files, "--db", db, "--path", "/webhook/meta"]) == 1
    captured = capsys.readouterr()
    assert f"{payload}: imported 1 request (json)" in captured.out
    assert "browser.har: imported 3 requests (har)" in captured.out
    assert "requests.curl: imported 5 requests (curl)" in captured.out
    assert "browser.har: error: entry 4: request.url is not text" in captured.err
    assert "requests.curl: error: command 4 (line 15): no URL" in captured.err
    assert f"{junk}: error: not JSON, HAR or curl (binary data)" in captured.err

    out = tmp_path / "meta.har"
    assert main(["export", "--db", db, "--format", "har", "--filter", "provider:meta",
                 "--out", str(out)]) == 0  # fmt: skip
    entries = json.loads(out.read_text("utf-8"))["log"]["entries"]
    assert len(entries) == 2  # the payload file and the curl command to /webhook/meta
    assert {e["_webhookInspector"]["provider"] for e in entries} == {"meta"}
    assert entries[0]["request"]["postData"]["text"].encode() == payload.read_bytes()
    assert entries[0]["_webhookInspector"]["source"] == "import"

    masked = tmp_path / "masked.json"
    assert main(["export", "--db", db, "--mask", "--filter", "path:/webhook/meta",
                 "-o", str(masked)]) == 0  # fmt: skip
    text = masked.read_text("utf-8")
    for secret in ("Sheena Nelson", "16505551234", "Does it come in another color?"):
        assert secret not in text
    first = json.loads(text)["requests"][0]
    assert first["body_masked"] is True
    assert "*******1234" in first["summary"]

    assert main(["export", "--db", db, "--format", "curl", "--filter", "method:PUT"]) == 0
    curl_out = capsys.readouterr().out
    assert curl_out.count("curl -X PUT") == 2  # one from the HAR file, one from curl
    assert "base64 -d" in curl_out


def test_import_refuses_and_export_bad_filter(tmp_path: Path, capsys) -> None:
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert main(["import", str(fifo), "--db", str(tmp_path / "x.db")]) == 1
    assert "FIFO" in capsys.readouterr().err
    assert main(["export", "--db", str(tmp_path / "x.db"), "--filter", "status:>"]) == 2
    assert "--filter" in capsys.readouterr().err


def test_send_import_and_export_paths_never_import_qt() -> None:
    code = (
        "import sys\n"
        "from inspector.cli import build_parser\n"
        "build_parser().parse_args(['send', 'meta', 'text'])\n"
        "import inspector.core.samples, inspector.core.formats.importing\n"
        "import inspector.core.formats.har, inspector.core.formats.curl, inspector.core.masking\n"
        "inspector.core.samples.build_sample('meta', 'text')\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'qasync', 'inspector.gui'))]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_documents_every_replay_option_and_forward_to() -> None:
    from inspector.cli import build_parser

    readme = (ROOT / "README.md").read_text("utf-8")
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command")
    replay = commands.choices["replay"]  # type: ignore[index]
    options = [s for a in replay._actions for s in a.option_strings if s.startswith("--")]
    missing = [o for o in options if o != "--help" and f"`{o}" not in readme]
    assert missing == []
    assert "`--forward-to URL`" in readme


def test_ctrl_c_to_the_process_group_stops_cleanly_and_finishes_analysis(tmp_path: Path) -> None:
    env = {**os.environ, "WEBHOOK_INSPECTOR_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--db", str(tmp_path / "h.db"),
         "--port", "0", "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        start_new_session=True,  # its own process group, as a terminal would give it
    )  # fmt: skip
    assert proc.stdout is not None
    url = re.search(r"Listening on (http://\S+?)/ ", proc.stdout.readline())
    assert url
    for n in range(50):
        assert post(f"{url.group(1)}/g/{n}", b'{"n": %d}' % n) == 200
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "stopped unexpectedly" not in err
    assert "Traceback" not in err
    store = Store.open(tmp_path / "h.db")
    try:
        assert store.count() == 50
        assert store.count("analysed = 0") == 0
    finally:
        store.close()


@pytest.mark.parametrize("choice", ["asyncio", "uvloop"])
def test_serve_runs_on_the_chosen_event_loop(tmp_path: Path, choice: str) -> None:
    if choice == "uvloop":
        pytest.importorskip("uvloop")
    env = {**os.environ, "WEBHOOK_INSPECTOR_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "inspector", "serve", "--db", str(tmp_path / "h.db"),
         "--port", "0", "--quiet", "--loop", choice],
        stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        url = re.search(r"Listening on (http://\S+?)/ ", line)
        assert url, line
        assert post(f"{url.group(1)}/hook", b"{}") == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert line.rstrip().endswith(f"event loop: {choice})")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "soon"])
def test_wait_refuses_a_timeout_that_is_not_a_finite_non_negative_number(
    value: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    def never(*_: object) -> None:
        raise AssertionError(f"--timeout {value} was accepted: it would wait")

    monkeypatch.setattr("inspector.cli.wait.open_follower", never)
    with pytest.raises(SystemExit) as exit_:
        main(["wait", "--filter", "path:/x", "--timeout", value, "--db", str(tmp_path / "w.db")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "--timeout" in err
