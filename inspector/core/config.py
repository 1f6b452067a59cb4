"""Settings: where data lives, how the receiver answers, which secrets verify which paths.

Stored as JSON in the user's config directory. Secrets are kept there (file mode 0600) and never
written to exports or logs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from inspector.core.answers import Step, parse_steps, steps_text
from inspector.core.models import Header, ResponseSpec

APP_NAME = "webhook-inspector"
DEFAULT_PORT = 8080
DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_REPLAY_TARGET = "http://127.0.0.1:3000/webhook"
DEFAULT_REPLAY_MAX_RESPONSE = 1024 * 1024
RECENT_TARGETS = 10
DEFAULT_MAX_EVENT = 1024 * 1024
SOURCE_FORMATS = ("generic", "wsapi", "smee", "inspector")


HOME_ENV = "WEBHOOK_INSPECTOR_HOME"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
"""Host names of this machine only (Host headers, listening addresses)."""
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


def is_local_host(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) is this machine
    only; host names compare case-insensitively."""
    return host.strip("[]").lower() in _LOCAL_NAMES


_LOCAL_NAMES = frozenset(host.strip("[]") for host in LOCAL_HOSTS)


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
    """Answer requests matching `filter` (the filter language; "" = every request) with
    `steps`, an answer sequence per event id (see core.responses); `response` gives the
    headers and body, and the status of steps without one."""

    filter: str
    response: ResponseSpec = field(default_factory=ResponseSpec)
    steps: tuple[Step, ...] = ()

    @property
    def text(self) -> str:
        """The rule as typed: `FILTER=STEP,STEP,...`."""
        steps = self.steps or (Step(status=self.response.status),)
        return f"{self.filter}={steps_text(steps)}"


def legacy_rule_filter(glob: str, method: str | None) -> str:
    """The filter of a rule saved before filters: a path glob (exact without a wildcard)."""
    quoted = '"' + glob.replace("\\", "\\\\").replace('"', '\\"') + '"'
    parts = []
    if glob != "*":
        wildcard = "*" in glob or "?" in glob
        parts.append(f"path:{quoted}" if wildcard else f"path:{quoted} -path:{quoted[:-1]}?*\"")
    if method:
        parts.append(f"method:{method.upper()}")
    return " ".join(parts)


def parse_secret_option(text: str) -> SecretRule:
    """Parse `PATH=SCHEME:SECRET` (CLI `--secret`). The secret may itself contain ':' or '='."""
    path, sep, rest = text.partition("=")
    scheme, sep2, secret = rest.partition(":")
    if not sep or not sep2 or not path.startswith("/") or not scheme or not secret:
        raise ValueError(  # never repeats the text: it may hold the secret
            "expected PATH=SCHEME:SECRET, e.g. /webhook=meta:app-secret (PATH starts with /)"
        )
    if scheme.startswith("hmac"):  # a generic spec contains ':' itself: hmac:header=...:SECRET
        spec, _, secret = rest.rpartition(":")
        scheme = spec
    return SecretRule(path, scheme, secret)


def redacted_url(url: str) -> str:
    """The URL without user info and query (both may carry credentials): for logs and states."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{shown}{port}{parts.path}"


@dataclass(frozen=True, slots=True, repr=False)
class SseSource:
    """An SSE stream to subscribe to; each event becomes a stored request (see core.sse).

    `format`: `generic` (one event = one request, method SSE), `wsapi` (WSAPI envelopes, stored
    as POST /wsapi), `smee` (a smee.io channel: the original request rebuilt) or `inspector`
    (another webhook-inspector's /_inspector/stream: byte-exact). `headers` (API keys, bearer
    tokens) are sent with every connection and never logged or shown (`repr` hides them)."""

    name: str
    url: str
    headers: tuple[Header, ...] = ()
    format: str = "generic"
    stall_timeout: float = 45.0
    """Seconds without any byte (not even a keepalive) after which the connection is dropped
    and made again."""
    max_event: int = DEFAULT_MAX_EVENT
    """Events larger than this are skipped and recorded as refused."""
    connect_timeout: float = 10.0
    retry_initial: float = 1.0
    """First reconnect delay in seconds when the server sent no `retry:`."""
    retry_max: float = 60.0

    def __post_init__(self) -> None:
        if self.format not in SOURCE_FORMATS:
            raise ValueError(
                f"unknown source format {self.format!r} (one of {', '.join(SOURCE_FORMATS)})"
            )

    def __repr__(self) -> str:  # never the header values, the query or user info of the URL
        return (
            f"SseSource(name={self.name!r}, url={redacted_url(self.url)!r}, "
            f"format={self.format!r}, headers={[name for name, _ in self.headers]!r})"
        )

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def parse_header_option(text: str) -> Header:
    """Parse `Name: value` (CLI `--source-header`)."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or any(c in name for c in " \t\r\n"):
        raise ValueError(f"expected 'Name: value', e.g. 'X-Api-Key: abc' (got {name.strip()!r}...)")
    if any(c in value for c in "\r\n"):
        raise ValueError("a header value cannot contain a line break")
    return name.strip(), value.strip()


def parse_headers(text: str) -> tuple[Header, ...]:
    """`Name: value` lines (blank lines ignored); ValueError naming the bad line."""
    headers: list[Header] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            headers.append(parse_header_option(line))
        except ValueError as exc:
            raise ValueError(f"Line {number}: {exc}") from None
    return tuple(headers)


def _source_to_json(source: SseSource) -> dict[str, Any]:
    data = asdict(source)
    data["headers"] = [list(h) for h in source.headers]
    return data


def _source_from_json(data: dict[str, Any]) -> SseSource:
    known = {k: v for k, v in data.items() if k in SseSource.__dataclass_fields__}
    known["headers"] = tuple((str(k), str(v)) for k, v in data.get("headers", []))
    return SseSource(**known)


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
    keep_last: int | None = None
    """Retention: keep at most this many requests (None: no limit). Deletions are reported."""
    keep_days: float | None = None
    """Retention: delete requests older than this many days (None: keep forever)."""
    replay_target: str = DEFAULT_REPLAY_TARGET
    """Where replays go when no target is given."""
    replay_targets: tuple[str, ...] = ()
    """Recently used replay targets, most recent first (at most RECENT_TARGETS)."""
    replay_connect_timeout: float = 5.0
    """Seconds to wait for a replay/forward connection."""
    replay_timeout: float = 30.0
    """Seconds to wait for a whole replay/forward (connect, send, answer)."""
    replay_max_response: int = DEFAULT_REPLAY_MAX_RESPONSE
    """Response bodies of replays and forwards are kept up to this many bytes."""
    forward_to: str | None = None
    """When set, every captured request is also forwarded, byte-exact, to this URL."""
    sources: tuple[SseSource, ...] = ()
    """SSE streams to subscribe to while running (core.sse)."""
    publish: bool = False
    """Serve every captured request as SSE on /_inspector/stream (core.stream)."""
    token: str | None = field(default=None, repr=False)
    """When set, /_inspector/stream requires `Authorization: Bearer <token>`."""
    public_hosts: tuple[str, ...] = ()
    """Host names (besides local ones) our own endpoints answer to, e.g. relay.example."""
    tunnel_hosts: tuple[str, ...] = ()
    """Public hosts of the running tunnel (not saved): requests for them get source `tunnel`."""
    also_listen: tuple[str, ...] = ()
    """More addresses the receiver listens on, e.g. the Docker bridge (core.docker)."""
    outage: bool = False
    """"Simulate an outage": answer 503 to every request. Never saved: off at every start."""

    def remember_target(self, target: str) -> Settings:
        """These settings with `target` first among the recent replay targets."""
        recent = (target, *(t for t in self.replay_targets if t != target))
        return replace(self, replay_targets=recent[:RECENT_TARGETS])

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


def _rule_from_json(data: dict[str, Any]) -> ResponseRule:
    """A rule as saved, or as saved before filters ({"path": GLOB, "method": M}): migrated."""
    response = _response_from_json(data.get("response", {}))
    if "filter" not in data:  # path glob + method, answered with `response`
        steps: tuple[Step, ...] = (Step(status=response.status, delay=response.delay_ms / 1000),)
        return ResponseRule(legacy_rule_filter(str(data["path"]), data.get("method")),
                            response, steps)  # fmt: skip
    answers = str(data.get("answers") or "")
    steps = parse_steps(answers) if answers else ()
    return ResponseRule(str(data["filter"]), response, steps)


def settings_to_json(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "db_path": str(settings.db_path),
        "max_body": settings.max_body,
        "response": _response_to_json(settings.response),
        "rules": [
            {"filter": r.filter, "answers": steps_text(r.steps),
             "response": _response_to_json(r.response)}
            for r in settings.rules
        ],
        "secrets": [asdict(rule) for rule in settings.secrets],
        "verify_token": settings.verify_token,
        "durable": settings.durable,
        "keep_last": settings.keep_last,
        "keep_days": settings.keep_days,
        "replay_target": settings.replay_target,
        "replay_targets": list(settings.replay_targets),
        "replay_connect_timeout": settings.replay_connect_timeout,
        "replay_timeout": settings.replay_timeout,
        "replay_max_response": settings.replay_max_response,
        "forward_to": settings.forward_to,
        "sources": [_source_to_json(source) for source in settings.sources],
        "publish": settings.publish,
        "token": settings.token,
        "public_hosts": list(settings.public_hosts),
        "also_listen": list(settings.also_listen),
    }


def _optional_number(value: Any, kind: type[int] | type[float]) -> Any:
    """A retention setting: None when unset (or 0), else a non-negative number."""
    if value in (None, "", 0):
        return None
    number = kind(value)
    if number < 0:
        raise ValueError(f"retention must not be negative (got {value})")
    return number


def settings_from_json(data: dict[str, Any]) -> Settings:
    base = Settings()
    return Settings(
        host=str(data.get("host", base.host)),
        port=int(data.get("port", base.port)),
        db_path=Path(data["db_path"]) if data.get("db_path") else base.db_path,
        max_body=int(data.get("max_body", base.max_body)),
        response=_response_from_json(data["response"]) if "response" in data else base.response,
        rules=tuple(_rule_from_json(rule) for rule in data.get("rules", [])),
        secrets=tuple(SecretRule(**rule) for rule in data.get("secrets", [])),
        verify_token=data.get("verify_token"),
        durable=bool(data.get("durable", False)),
        keep_last=_optional_number(data.get("keep_last"), int),
        keep_days=_optional_number(data.get("keep_days"), float),
        replay_target=str(data.get("replay_target") or base.replay_target),
        replay_targets=tuple(str(t) for t in data.get("replay_targets", []))[:RECENT_TARGETS],
        replay_connect_timeout=float(
            data.get("replay_connect_timeout", base.replay_connect_timeout)
        ),
        replay_timeout=float(data.get("replay_timeout", base.replay_timeout)),
        replay_max_response=int(data.get("replay_max_response", base.replay_max_response)),
        forward_to=data.get("forward_to") or None,
        sources=tuple(_source_from_json(source) for source in data.get("sources", [])),
        publish=bool(data.get("publish", False)),
        token=data.get("token") or None,
        public_hosts=tuple(str(h).lower() for h in data.get("public_hosts", [])),
        also_listen=tuple(str(h) for h in data.get("also_listen", [])),
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
