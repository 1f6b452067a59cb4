from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from inspector.core.config import (
    ResponseRule,
    SecretRule,
    Settings,
    data_dir,
    is_local_host,
    load_settings,
    parse_secret_option,
    save_settings,
)
from inspector.core.models import ResponseSpec
from inspector.core.responses import parse_rule_option


def test_secret_option_parses_path_scheme_and_secret_with_colons() -> None:
    assert parse_secret_option("/webhook=meta:a:b=c") == SecretRule("/webhook", "meta", "a:b=c")


def test_generic_hmac_spec_in_secret_option() -> None:
    rule = parse_secret_option("/h=hmac:header=X-Sig;alg=sha1:topsecret")
    assert rule == SecretRule("/h", "hmac:header=X-Sig;alg=sha1", "topsecret")


@pytest.mark.parametrize("bad", ["nonsense", "webhook=meta:x", "/w=meta", "/w=:x", "/w=meta:"])
def test_bad_secret_option(bad: str) -> None:
    with pytest.raises(ValueError, match="PATH=SCHEME:SECRET"):
        parse_secret_option(bad)


def test_most_specific_secret_wins() -> None:
    settings = Settings(
        secrets=(
            SecretRule("/", "meta", "root"),
            SecretRule("/waha", "waha", "w"),
            SecretRule("/waha", "waha", "w-for-waha", provider="waha"),
        )
    )
    assert settings.secret_for("/meta/x", "meta").secret == "root"  # type: ignore[union-attr]
    assert settings.secret_for("/waha/1", "generic").secret == "w"  # type: ignore[union-attr]
    assert settings.secret_for("/waha/1", "waha").secret == "w-for-waha"  # type: ignore[union-attr]
    assert Settings().secret_for("/x", "meta") is None


def test_rules_saved_as_path_glob_and_method_still_load(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    spec = {"status": 500, "headers": [["X", "1"]], "body": "no", "delay_ms": 10}
    path.write_text(json.dumps({"rules": [
        {"path": "/slow/*", "method": "post", "response": spec},
        {"path": "/exact", "method": None, "response": spec},
    ]}))  # fmt: skip
    glob, exact = load_settings(path).rules
    assert glob.filter == 'path:"/slow/*" method:POST'
    assert exact.filter == 'path:"/exact" -path:"/exact?*"'
    assert glob.text == 'path:"/slow/*" method:POST=500:delay=10ms'
    assert glob.response == ResponseSpec(500, (("X", "1"),), b"no", 10)


def test_settings_round_trip_through_a_private_file(tmp_path: Path) -> None:
    settings = Settings(
        port=9999,
        db_path=tmp_path / "x.db",
        rules=(ResponseRule("path:/a*", ResponseSpec(201, (("X", "1"),), b"made", 10)),
               parse_rule_option("provider:meta=500,hold:2s,close,429:retry-after=3")),
        secrets=(SecretRule("/w", "waha", "k", "waha"),),
        verify_token="tok",
    )
    path = save_settings(settings, tmp_path / "settings.json")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_settings(path) == settings


def test_unreadable_settings_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match=r"settings\.json"):
        load_settings(path)


def test_home_env_moves_data(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("WEBHOOK_INSPECTOR_HOME", str(tmp_path))
    assert data_dir() == tmp_path / "data"
    assert Settings().db_path == tmp_path / "data" / "history.db"


def test_retention_round_trips_and_rejects_negative(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "x.db", keep_last=100, keep_days=7.5)
    path = save_settings(settings, tmp_path / "s.json")
    assert load_settings(path) == settings
    path.write_text('{"keep_last": -1}')
    with pytest.raises(ValueError, match="negative"):
        load_settings(path)


def test_replay_settings_round_trip_and_recent_targets(tmp_path: Path) -> None:
    settings = Settings(forward_to="http://127.0.0.1:3000/h", replay_connect_timeout=2.5,
                        replay_timeout=12.0, replay_max_response=4096)  # fmt: skip
    assert settings.replay_target == "http://127.0.0.1:3000/webhook"
    for n in range(12):
        settings = settings.remember_target(f"http://127.0.0.1:{n}/")
    settings = settings.remember_target("http://127.0.0.1:5/")
    assert len(settings.replay_targets) == 10
    assert settings.replay_targets[:2] == ("http://127.0.0.1:5/", "http://127.0.0.1:11/")
    assert settings.replay_targets.count("http://127.0.0.1:5/") == 1
    path = save_settings(settings, tmp_path / "s.json")
    assert load_settings(path) == settings
    assert Settings().forward_to is None


@pytest.mark.parametrize(
    ("host", "local"),
    [("127.0.0.1", True), ("localhost", True), ("LocalHost", True), ("::1", True),
     ("[::1]", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
     ("example.com", False), ("", False)],
)  # fmt: skip
def test_is_local_host(host: str, local: bool) -> None:
    """One answer for the CLI's --publish check, the stream's local-only rule, the replay
    guard and the settings dialog's warning."""
    assert is_local_host(host) is local
