"""Settings: where data lives, how the receiver answers, which secrets verify which paths.

Stored as JSON in the user's config directory. Secrets are kept there (file mode 0600) and never
written to exports or logs.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from inspector.core.models import ResponseSpec

APP_NAME = "webhook-inspector"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 10 * 1024 * 1024


HOME_ENV = "WEBHOOK_INSPECTOR_HOME"
"""When set, data and settings live under this folder instead of the user's directories."""


def data_dir() -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "data"
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / "history.db"


def default_settings_path() -> Path:
    return config_dir() / "settings.json"


@dataclass(frozen=True, slots=True)
class SecretRule:
    """Verify requests under `path_prefix` (and of `provider`, when set) with `scheme`."""

    path_prefix: str
    scheme: str
    secret: str
    provider: str | None = None

    def matches(self, path: str, provider: str) -> bool:
        return path.startswith(self.path_prefix) and self.provider in (None, provider)


@dataclass(frozen=True, slots=True)
class ResponseRule:
    """Answer requests whose path matches the glob `path` (and `method`, when set) this way."""

    path: str
    response: ResponseSpec
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method is None or self.method.upper() == method.upper()
        return method_ok and fnmatch.fnmatchcase(path, self.path)


def parse_secret_option(text: str) -> SecretRule:
    """Parse `PATH=SCHEME:SECRET` (CLI `--secret`). The secret may itself contain ':' or '='."""
    path, sep, rest = text.partition("=")
    scheme, sep2, secret = rest.partition(":")
    if not sep or not sep2 or not path.startswith("/") or not scheme or not secret:
        raise ValueError(
            f"expected PATH=SCHEME:SECRET, e.g. /webhook=meta:app-secret (got {text!r})"
        )
    if scheme.startswith("hmac"):  # a generic spec contains ':' itself: hmac:header=...:SECRET
        spec, _, secret = rest.rpartition(":")
        scheme = spec
    return SecretRule(path, scheme, secret)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. Immutable: change with `dataclasses.replace`."""

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    db_path: Path = field(default_factory=default_db_path)
    max_body: int = DEFAULT_MAX_BODY
    response: ResponseSpec = field(default_factory=ResponseSpec)
    rules: tuple[ResponseRule, ...] = ()
    secrets: tuple[SecretRule, ...] = ()
    verify_token: str | None = None
    durable: bool = False

    def response_for(self, method: str, path: str) -> ResponseSpec:
        for rule in self.rules:
            if rule.matches(method, path):
                return rule.response
        return self.response

    def secret_for(self, path: str, provider: str) -> SecretRule | None:
        """The most specific secret rule for this path and provider."""
        candidates = [rule for rule in self.secrets if rule.matches(path, provider)]
        if not candidates:
            return None
        return max(candidates, key=lambda r: (len(r.path_prefix), r.provider is not None))

    def with_secrets(self, secrets: Sequence[SecretRule]) -> Settings:
        return replace(self, secrets=tuple(secrets))


# --- JSON file ------------------------------------------------------------------------------


def _response_to_json(spec: ResponseSpec) -> dict[str, Any]:
    data = asdict(spec)
    data["body"] = spec.body.decode("utf-8", errors="replace")
    data["headers"] = [list(h) for h in spec.headers]
    return data


def _response_from_json(data: dict[str, Any]) -> ResponseSpec:
    return ResponseSpec(
        status=int(data.get("status", 200)),
        headers=tuple((str(k), str(v)) for k, v in data.get("headers", [])),
        body=str(data.get("body", "")).encode("utf-8"),
        delay_ms=int(data.get("delay_ms", 0)),
    )


def settings_to_json(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "db_path": str(settings.db_path),
        "max_body": settings.max_body,
        "response": _response_to_json(settings.response),
        "rules": [
            {"path": r.path, "method": r.method, "response": _response_to_json(r.response)}
            for r in settings.rules
        ],
        "secrets": [asdict(rule) for rule in settings.secrets],
        "verify_token": settings.verify_token,
        "durable": settings.durable,
    }


def settings_from_json(data: dict[str, Any]) -> Settings:
    base = Settings()
    return Settings(
        host=str(data.get("host", base.host)),
        port=int(data.get("port", base.port)),
        db_path=Path(data["db_path"]) if data.get("db_path") else base.db_path,
        max_body=int(data.get("max_body", base.max_body)),
        response=_response_from_json(data["response"]) if "response" in data else base.response,
        rules=tuple(
            ResponseRule(str(r["path"]), _response_from_json(r["response"]), r.get("method"))
            for r in data.get("rules", [])
        ),
        secrets=tuple(SecretRule(**rule) for rule in data.get("secrets", [])),
        verify_token=data.get("verify_token"),
        durable=bool(data.get("durable", False)),
    )


def load_settings(path: Path | None = None) -> Settings:
    """Settings from the JSON file (defaults when it does not exist).
    Raises ValueError with the file name when it cannot be read."""
    path = path or default_settings_path()
    if not path.exists():
        return Settings()
    try:
        return settings_from_json(json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"cannot read settings file {path}: {exc}") from exc


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write settings atomically, readable by the user only (it holds secrets)."""
    path = path or default_settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(settings_to_json(settings), handle, indent=2)
    os.replace(tmp, path)
    return path
