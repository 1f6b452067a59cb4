"""`serve --tunnel KIND` with a stand-in tunnel program (tests/standins): the public URL is
printed, requests through it are stored with source `tunnel`, nothing is left behind."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from inspector.cli import main
from inspector.core.store import Store
from tests.standins import alive, install, path_with, pids
from tests.test_cli import post, start_serve


@pytest.fixture
def standins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "bin"
    install(folder, "cloudflared")
    monkeypatch.setenv("PATH", path_with(folder))
    return folder


def test_serve_tunnel_prints_the_public_url_and_marks_requests(
    tmp_path: Path, standins: Path
) -> None:
    proc, url = start_serve(tmp_path, "--tunnel", "cloudflared")
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert "Public URL: https://run1-quiet-words.trycloudflare.com/\n" in lines
        host = {"Host": "run1-quiet-words.trycloudflare.com", "X-Forwarded-Proto": "https"}
        assert post(f"{url}/webhook/waha", b"{}", host) == 200
        assert post(f"{url}/webhook/waha", b"{}") == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "tunnel: cloudflared tunnel up: https://run1-quiet-words.trycloudflare.com" in err
    assert "tunnel: cloudflared tunnel stopped" in err
    assert not any(alive(pid) for pid in pids(standins))
    store = Store.open(tmp_path / "h.db")
    try:
        assert sorted((row.id, row.source) for row in store.page()) == [(1, "tunnel"), (2, "http")]
    finally:
        store.close()


def test_serve_tunnel_missing_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path / "home"))
    assert main(["serve", "--db", str(tmp_path / "h.db"), "--port", "0", "--tunnel", "ngrok"]) == 2
    err = capsys.readouterr().err
    assert "ngrok is not on PATH. Install one of these:" in err
    assert "https://ngrok.com/download" in err


def test_serve_tunnel_ssh_target_must_be_user_at_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path / "home"))
    argv = ["serve", "--db", str(tmp_path / "h.db"), "--tunnel", "ssh", "--tunnel-ssh=-oX=y"]
    assert main(argv) == 2
    assert "expected USER@HOST for the ssh tunnel (got '-oX=y')" in capsys.readouterr().err
