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

from inspector.cli import main, parse_size
from inspector.core import formats
from inspector.core.store import Store

ROOT = Path(__file__).resolve().parent.parent


def test_headless_serve_path_never_imports_qt() -> None:
    code = (
        "import sys\n"
        "import inspector.cli, inspector.core.service, inspector.core.runner\n"
        "from inspector.cli import build_parser, serve_settings\n"
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
    requests = list(formats.read_export(out.read_text("utf-8")))
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
