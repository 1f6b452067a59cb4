"""Command line: `webhook-inspector` opens the desktop app; subcommands work headless.

The headless paths never import Qt (a test checks `sys.modules`): Qt is imported only inside
`run_gui`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn, TextIO

from inspector import __version__
from inspector.core import loops
from inspector.core.config import (
    Settings,
    default_settings_path,
    load_settings,
    parse_secret_option,
)
from inspector.core.loops import CHOICES as LOOP_CHOICES
from inspector.core.loops import LOOP_ENV


def parse_size(text: str) -> int:
    """'10M', '512k', '1048576' -> bytes."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    shown = text
    text = text.strip().lower().removesuffix("b").removesuffix("i")
    unit = units.get(text[-1:], 1)
    try:
        size = int(float(text[:-1]) * unit) if unit > 1 else int(text)
    except (ValueError, OverflowError):  # OverflowError: 1e400M is infinite
        raise argparse.ArgumentTypeError(f"not a size: {shown!r} (try 10M or 512k)") from None
    if not 1 <= size <= MAX_SIZE:
        raise argparse.ArgumentTypeError(
            f"{shown!r} is out of range (from 1 byte to {MAX_SIZE // 1024**4} TiB)"
        )
    return size


MAX_SIZE = 1024**5
"""The largest size option accepted (1 PiB: far beyond any body, far below SQLite's limit)."""


def parse_port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: pick a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range (0 to 65535; 0 picks a free one)")
    return port


def _respond(text: str) -> object:
    from inspector.core.responses import parse_rule_option

    try:
        return parse_rule_option(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _secret(text: str) -> object:
    from inspector.core.signatures import SCHEMES, get_scheme

    try:
        rule = parse_secret_option(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    try:
        get_scheme(rule.scheme)
    except ValueError:
        # the scheme is not named: a mistyped option may have the secret where the scheme goes
        raise argparse.ArgumentTypeError(
            f"unknown signature scheme for {rule.path_prefix} (known: {', '.join(SCHEMES)}, or a "
            "custom hmac:header=NAME;... spec)"
        ) from None
    return rule


class _Parser(argparse.ArgumentParser):
    """Usage errors are one line (the option and what is wrong), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="webhook-inspector",
        description="Catch, inspect, verify and replay webhooks. Without a command: the app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--settings", type=Path, help="settings file (default: %(default)s)",
                        default=None)  # fmt: skip
    parser.add_argument("--db", type=Path, help="SQLite file (default: in your data directory)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_serve(commands)
    _add_export(commands)
    _add_verify(commands)
    _add_send(commands)
    _add_import(commands)
    _add_replay(commands)
    _add_check(commands)
    _add_tail(commands)
    _add_wait(commands)
    return parser


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="capture webhooks headless (no window)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=parse_port, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--db", type=Path, dest="serve_db", help="SQLite file")
    serve.add_argument("--max-body", type=parse_size, help="body size limit (default 10M)")
    serve.add_argument("--secret", type=_secret, action="append", default=[],
                       metavar="PATH=SCHEME:SECRET",
                       help="verify requests under PATH with SCHEME (repeatable)")  # fmt: skip
    serve.add_argument("--respond", type=_respond, action="append", default=[],
                       metavar="FILTER=ANSWERS",
                       help="answer matching requests with a sequence per event id, e.g. "
                       "'path:/webhook=500,500,200' (repeatable; see README)")  # fmt: skip
    serve.add_argument("--verify-token", help="Meta webhook verify token (GET handshake)")
    serve.add_argument("--durable", action="store_true",
                       help="fsync every commit (survives power loss; slower)")  # fmt: skip
    serve.add_argument("--quiet", "-q", action="store_true", help="no line per request")
    serve.add_argument("--loop", choices=LOOP_CHOICES, default=None,
                       help="event loop: uvloop when installed (auto, the default; also set by "
                            f"{LOOP_ENV}), or asyncio's own")  # fmt: skip
    _add_stream_options(serve)
    serve.add_argument("--forward-to", type=_target, metavar="URL",
                       help="also forward every request, byte-exact, to URL (e.g. your handler)"
                       )  # fmt: skip
    _add_tunnel_options(serve)


def _add_tunnel_options(serve: argparse.ArgumentParser) -> None:
    from inspector.core.tunnel import DEFAULT_SSH_TARGET, KINDS

    serve.add_argument("--tunnel", choices=KINDS,
                       help="also start a public tunnel to the receiver with this program")
    serve.add_argument("--tunnel-ssh", default=DEFAULT_SSH_TARGET, metavar="USER@HOST",
                       help="reverse-tunnel service for --tunnel ssh (default: %(default)s)"
                       )  # fmt: skip


TOKEN_ENV = "WEBHOOK_INSPECTOR_TOKEN"


def _add_stream_options(serve: argparse.ArgumentParser) -> None:
    """Relay options: publish our stream, subscribe to other streams (core.stream, core.sse)."""
    from inspector.core.config import SOURCE_FORMATS

    serve.add_argument("--publish", action="store_true",
                       help="serve every request as SSE on /_inspector/stream")  # fmt: skip
    serve.add_argument("--token", metavar="T",
                       help=f"the stream needs 'Authorization: Bearer T' (default: ${TOKEN_ENV})")
    serve.add_argument("--public-host", action="append", default=[], metavar="NAME",
                       help="a host name our endpoints answer to besides local ones "
                       "(e.g. relay.example; repeatable)")  # fmt: skip
    serve.add_argument("--source", type=_source_url, action="append", default=[], metavar="URL",
                       help="subscribe to an SSE stream and store its events (repeatable)")
    serve.add_argument("--source-format", choices=SOURCE_FORMATS, default="generic",
                       help="how events become requests, for every --source (default generic)")
    serve.add_argument("--source-header", type=_header, action="append", default=[],
                       metavar="'NAME: VALUE'",
                       help="a header sent to every --source, e.g. 'Authorization: Bearer T' "
                       "(repeatable; never logged)")  # fmt: skip
    serve.add_argument("--source-name", metavar="NAME",
                       help="name stored with the events (default: the URL's host)")


def _source_url(text: str) -> str:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text.strip())
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise argparse.ArgumentTypeError("--source needs an http:// or https:// URL")
    return text.strip()


def _header(text: str) -> object:
    from inspector.core.config import parse_header_option

    try:
        return parse_header_option(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def stream_settings(args: argparse.Namespace, settings: Settings) -> dict[str, object]:
    """The settings changes of the relay options of `serve`."""
    import os
    from urllib.parse import urlsplit

    from inspector.core.config import SseSource

    changes: dict[str, object] = {}
    if getattr(args, "publish", False):
        changes["publish"] = True
    token = getattr(args, "token", None) or os.environ.get(TOKEN_ENV)
    if token:
        changes["token"] = token
    if getattr(args, "public_host", None):
        changes["public_hosts"] = (*settings.public_hosts, *(h.lower() for h in args.public_host))
    sources = []
    taken = {source.name for source in settings.sources}
    for url in getattr(args, "source", None) or []:
        name = args.source_name or urlsplit(url).hostname or "stream"
        base, counter = name, 1
        while name in taken:
            counter += 1
            name = f"{base}-{counter}"
        taken.add(name)
        sources.append(SseSource(name, url, tuple(args.source_header), args.source_format))
    if sources:
        changes["sources"] = (*settings.sources, *sources)
    return changes


def publish_problem(settings: Settings) -> str | None:
    """Why `serve` refuses to start with these relay settings, or None."""
    from inspector.core.config import is_local_host

    if settings.publish and not settings.token and not is_local_host(settings.host):
        return (
            f"--publish on {settings.host} needs --token (or ${TOKEN_ENV}): anyone who can "
            "reach the port would read every request"
        )
    if settings.publish and not settings.token and settings.public_hosts:
        return (
            f"--publish with --public-host needs --token (or ${TOKEN_ENV}): through a proxy "
            "anyone could read every request"
        )
    return None


def _add_export(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser("export", help="write stored requests: JSON, NDJSON, HAR, curl")
    export.add_argument("--db", type=Path, dest="export_db", help="SQLite file")
    export.add_argument("--out", "-o", type=Path, help="output file (default: standard output)")
    export.add_argument("--ndjson", action="store_true", help="one JSON object per line")
    export.add_argument(
        "--keep-credentials",
        action="store_true",
        help="do not mask credentials found in payloads (e.g. Evolution apikey)",
    )
    export.add_argument("--format", "-f", choices=("json", "ndjson", "har", "curl"),
                        help="output format (default json; --ndjson: ndjson)")  # fmt: skip
    export.add_argument("--filter", metavar="FILTER", default="",
                        help='only matching requests, e.g. "provider:meta sig:invalid"')
    export.add_argument("--mask", action="store_true",
                        help="mask phone numbers, names and message text in bodies")
    export.add_argument("--base-url", metavar="URL",
                        help="curl: send to URL + path (default: each request's host)")


def _add_verify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = commands.add_parser("verify", help="check a payload file's signature")
    verify.add_argument("file", type=Path, help="the exact body bytes")
    verify.add_argument("--scheme", required=True, help="signature scheme (e.g. meta, waha)")
    verify.add_argument("--secret", required=True)
    verify.add_argument(
        "--header",
        "-H",
        action="append",
        default=[],
        metavar="NAME: VALUE",
        help="a request header (repeatable), e.g. the signature header",
    )
    verify.add_argument("--url", default="http://localhost/", help="URL (for twilio)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return 2
    from inspector.core.store import StoreError

    try:
        return _run(args, settings)
    except StoreError as exc:  # e.g. --db names a directory, a device, a read-only place
        print(f"webhook-inspector: --db: {_one_line(str(exc))}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return run_serve(args, settings)
    if args.command == "export":
        return run_export(args, settings)
    if args.command == "verify":
        return run_verify(args)
    if args.command == "send":
        return run_send(args, settings)
    if args.command == "import":
        return run_import(args, settings)
    if args.command == "replay":
        return run_replay(args, settings)
    if args.command in ("check", "tail", "wait"):
        run = {"check": run_check, "tail": run_tail, "wait": run_wait}[args.command]
        return run(args, settings)
    return run_gui(settings, args.settings)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.settings or default_settings_path())
    db = (
        getattr(args, "serve_db", None) or getattr(args, "export_db", None)
        or getattr(args, "replay_db", None) or getattr(args, "check_db", None) or args.db
    )  # fmt: skip
    return replace(settings, db_path=db) if db else settings


def run_gui(settings: Settings, settings_path: Path | None) -> int:
    from inspector.gui.app import run  # Qt is imported here and only here

    return run(settings, settings_path)


# --- serve ----------------------------------------------------------------------------------


def serve_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    changes: dict[str, object] = {}
    for name in ("host", "port", "max_body", "verify_token"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.secret:
        changes["secrets"] = (*args.secret, *settings.secrets)
    if getattr(args, "respond", None):  # first: they win over the settings file's rules
        own = tuple(replace(rule, response=settings.response) for rule in args.respond)
        changes["rules"] = (*own, *settings.rules)
    if args.durable:
        changes["durable"] = True
    if getattr(args, "forward_to", None):
        changes["forward_to"] = args.forward_to
    changes.update(stream_settings(args, settings))
    return replace(settings, **changes)  # type: ignore[arg-type]


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    sys.setswitchinterval(0.0005)
    settings = serve_settings(args, settings)
    try:
        return loops.run(_serve(settings, quiet=args.quiet, out=sys.stdout,
                                tunnel=(args.tunnel, args.tunnel_ssh)), args.loop)  # fmt: skip
    except loops.LoopError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


async def _serve(
    settings: Settings, *, quiet: bool, out: TextIO, tunnel: tuple[str | None, str] = (None, "")
) -> int:
    from inspector.core.events import (
        ForwardDone,
        Handlers,
        RequestsStored,
        SourceState,
        StoreState,
        dispatch,
    )
    from inspector.core.receiver import ReceiverError
    from inspector.core.service import InspectorService
    from inspector.core.store import StoreError
    from inspector.core.stream import STREAM_PATH

    problem = publish_problem(settings) or _tunnel_problem(*tunnel)
    if problem:
        print(f"webhook-inspector: {problem}", file=sys.stderr)
        return 2
    service = InspectorService(settings)
    source_lines = _SourceLines()
    lines = _RequestLines(out, forwarding=bool(settings.forward_to))

    handlers: Handlers = {SourceState: source_lines.show, StoreState: _store_line}
    if not quiet:
        handlers |= {RequestsStored: lines.stored_all, ForwardDone: lines.forwarded}
    service.subscribe(lambda event: dispatch(handlers, event))
    try:
        await service.start()
    except ReceiverError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        await service.stop()
        return 1
    except StoreError:
        await service.stop()
        raise
    if service.quarantined:
        q = service.quarantined
        print(f"warning: {q.reason}; moved it aside to {q.moved_to} and started a fresh one",
              file=sys.stderr)  # fmt: skip
    loop = loops.loop_name(asyncio.get_running_loop())
    print(f"Listening on {service.url}/  (data: {settings.db_path}; event loop: {loop})",
          file=out, flush=True)  # fmt: skip
    if settings.forward_to:
        print(f"Forwarding every request to {settings.forward_to}", file=out, flush=True)
    if settings.publish:
        access = "with a token" if settings.token else "no token: local use only"
        print(f"Publishing {service.url}{STREAM_PATH} ({access})", file=out, flush=True)
    running = _start_tunnel(service, tunnel, out)
    print("Press Ctrl-C to stop.", file=out, flush=True)
    await _wait_for_signal()
    if running is not None:
        await running.stop()
    await service.stop()
    lines.flush()
    print("Stopped.", file=out, flush=True)
    return 0


def _store_line(event: object) -> None:
    from inspector.core.events import StoreState

    assert isinstance(event, StoreState)
    state = "store writable again" if event.ok else f"STORE FAILING: {event.message}"
    print(state, file=sys.stderr, flush=True)


def _start_tunnel(service: Any, tunnel: tuple[str | None, str], out: TextIO) -> Any:
    """Start `serve --tunnel KIND` (core.tunnel); its states go to stderr, the URL to `out`."""
    from inspector.core.tunnel import UP, ServiceTunnel, TunnelSpec, TunnelState

    kind, ssh_target = tunnel
    if kind is None or service.receiver is None:
        return None

    def report(state: TunnelState) -> None:
        if state.state == UP:
            print(f"Public URL: {state.url}/", file=out, flush=True)
        print(f"tunnel: {state.text}", file=sys.stderr, flush=True)

    running = ServiceTunnel(service, TunnelSpec(kind, service.receiver.port, ssh_target), report)
    running.start()
    return running


def _tunnel_problem(kind: str | None, ssh_target: str) -> str | None:
    """Why `serve --tunnel KIND` cannot start: not installed, or not a USER@HOST for ssh."""
    from inspector.core.tunnel import TunnelSpec, missing_text

    if kind is None:
        return None
    try:
        TunnelSpec(kind, 0, ssh_target)
    except ValueError as exc:
        return str(exc)
    return missing_text(kind) if shutil.which(kind) is None else None


class _SourceLines:
    """One stderr line per source state change (not per event count update)."""

    def __init__(self) -> None:
        self._shown: dict[str, tuple[str, str, int]] = {}
        self._lost: dict[str, int] = {}

    def show(self, event: object) -> None:
        """Print `event`'s line, unless it only updates the event count."""
        if self.wants(event):
            print(self.line(event), file=sys.stderr, flush=True)

    def wants(self, event: object) -> bool:
        from inspector.core.events import SourceState

        if not isinstance(event, SourceState):
            return False
        key = (event.state, event.detail, event.lost)
        if self._shown.get(event.name) == key:
            return False
        self._shown[event.name] = key
        return True

    def line(self, event: object) -> str:
        from inspector.core.events import SourceState

        assert isinstance(event, SourceState)
        if event.lost > self._lost.get(event.name, 0):  # data loss: say it, with the reason
            self._lost[event.name] = event.lost
            return _one_line(
                f"source {event.name}: EVENT LOST ({event.lost} so far): {event.last_error}"
            )
        text = f"source {event.name}: {event.detail} ({event.events} events)"
        if event.last_error and event.state != "live":
            text += f"; last error: {event.last_error}"
        return _one_line(text)


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def request_line(item: object) -> str:
    """One line per stored request: time, method, path, size, status, provider, signature."""
    from datetime import datetime

    from inspector.core.events import Stored
    from inspector.core.responses import answer_note

    assert isinstance(item, Stored)
    req, derived = item.record.request, item.record.derived
    when = datetime.fromtimestamp(req.received_at_ns / 1e9).strftime("%H:%M:%S")
    record = item.record
    status = record.response_status or answer_note(record.response_headers) or "-"
    sig = derived.verification.status
    parts = [when, f"#{item.id}", req.method, req.target, f"{len(req.body)}B", str(status),
             derived.provider, derived.event_type, f"sig:{sig}", derived.summary]  # fmt: skip
    return "  ".join(_one_line(str(p)) for p in parts if p)


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(text.split())[:limit]


class _RequestLines:
    """Prints one line per request; with forwarding, the line waits for the forward's result
    (analysis and forwarding finish in either order) and ends with e.g. `→ 200 12ms`."""

    def __init__(self, out: TextIO, *, forwarding: bool) -> None:
        self._out = out
        self._forwarding = forwarding
        self._lines: dict[int, tuple[str, str, str]] = {}
        self._forwards: dict[int, object] = {}

    def stored_all(self, event: object) -> None:
        """A RequestsStored event: one line per request."""
        from inspector.core.events import RequestsStored

        assert isinstance(event, RequestsStored)
        for item in event.items:
            self.stored(item)

    def stored(self, item: object) -> None:
        from inspector.core.events import Stored

        assert isinstance(item, Stored)
        line = request_line(item)
        if not self._forwarding or item.record.request.refused:
            self._print(line)
            return
        derived = item.record.derived
        provider = derived.provider if derived else ""
        scheme = derived.verification.scheme if derived else ""
        event = self._forwards.pop(item.id, None)
        if event is None:
            self._lines[item.id] = (line, provider, scheme)
        else:
            self._print(f"{line}  {forward_text(event, provider, scheme)}")

    def forwarded(self, event: object) -> None:
        from inspector.core.events import ForwardDone

        assert isinstance(event, ForwardDone)
        waiting = self._lines.pop(event.request_id, None)
        if waiting is None:
            self._forwards[event.request_id] = event
            return
        line, provider, scheme = waiting
        self._print(f"{line}  {forward_text(event, provider, scheme)}")

    def flush(self) -> None:
        """Lines still waiting at shutdown (their forward was cancelled)."""
        for line, _, _ in self._lines.values():
            self._print(f"{line}  → not forwarded (stopped)")
        self._lines.clear()

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)


def forward_text(event: object, provider: str = "", scheme: str = "") -> str:
    """`→ 200 12ms`, `→ error: connection refused: …`, plus a warning when the handler answered
    slower than the provider waits."""
    from inspector.core.events import ForwardDone
    from inspector.core.replay import slow_warning

    assert isinstance(event, ForwardDone)
    ms = f"{event.latency_ms:.0f}ms" if event.latency_ms is not None else ""
    if event.error:
        return _one_line(f"→ {event.status or 'error'}: {event.error} {ms}".rstrip())
    text = f"→ {event.status} {ms}"
    warning = slow_warning(provider, scheme, event.latency_ms)
    return f"{text}  WARNING: {warning}" if warning else text


# --- replay ---------------------------------------------------------------------------------


def _target(text: str) -> str:
    from inspector.core.replay import check_target

    try:
        check_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


def _add_replay(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = commands.add_parser(
        "replay", help="send stored requests again, byte-exact, to a URL (no receiver needed)"
    )
    replay.add_argument("ids", type=int, nargs="+", metavar="ID", help="request ids (#17 -> 17)")
    replay.add_argument("--to", dest="target", type=_target, metavar="URL",
                        help="target URL (default: the replay target in settings); with no path, "
                        "each request keeps its own path")  # fmt: skip
    replay.add_argument("--db", type=Path, dest="replay_db", help="SQLite file")
    replay.add_argument("--keep-host", action="store_true",
                        help="send the original Host header instead of the target's")  # fmt: skip
    replay.add_argument("--resign", metavar="SCHEME",
                        help="re-sign with SCHEME (fresh signature and timestamp)")  # fmt: skip
    replay.add_argument("--secret", help="secret for --resign (default: one configured for SCHEME)")
    replay.add_argument("--wrong-signature", action="store_true",
                        help="send a deliberately invalid signature")  # fmt: skip
    replay.add_argument("--follow-redirects", action="store_true",
                        help="follow redirects (same host and port only)")  # fmt: skip
    replay.add_argument("--concurrency", type=int, default=8, help="at most N at a time (8)")


def _replay_options(args: argparse.Namespace, settings: Settings) -> object:
    from inspector.core.replay import ReplayOptions

    resign: tuple[str, str] | None = None
    if args.resign:
        secret = args.secret or next(
            (rule.secret for rule in settings.secrets if rule.scheme == args.resign), None
        )
        if secret is None and not args.wrong_signature:
            raise ValueError(f"--resign {args.resign} needs --secret (none is configured)")
        resign = (args.resign, secret or "wrong")
    return ReplayOptions(
        keep_host=args.keep_host, resign=resign, wrong_signature=args.wrong_signature,
        follow_redirects=args.follow_redirects,
    )  # fmt: skip


def run_replay(args: argparse.Namespace, settings: Settings) -> int:
    target = args.target or settings.replay_target
    try:
        options = _replay_options(args, settings)
    except ValueError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return 2
    if not settings.db_path.exists():
        print(f"webhook-inspector: no database at {settings.db_path}", file=sys.stderr)
        return 1
    try:
        ok = asyncio.run(_replay(settings, args.ids, target, options, args.concurrency))
    except KeyboardInterrupt:
        return 130
    if args.target:
        _remember_target(args, target)
    return 0 if ok else 1


async def _replay(
    settings: Settings, ids: Sequence[int], target: str, options: object, concurrency: int
) -> bool:
    from concurrent.futures import ThreadPoolExecutor

    from inspector.core.models import ReplayAttempt
    from inspector.core.replay import Replayer, ReplayOptions
    from inspector.core.service import replay_stored
    from inspector.core.store import Store

    assert isinstance(options, ReplayOptions)
    loop = asyncio.get_running_loop()
    store = await loop.run_in_executor(None, Store.open, settings.db_path)
    writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-writes")

    async def write(func: Callable[[], list[int]]) -> list[int]:
        return await loop.run_in_executor(writes, func)

    def show(attempt: ReplayAttempt) -> None:
        print(attempt_line(attempt), flush=True)

    try:
        async with Replayer.from_settings(settings) as replayer:
            attempts = await replay_stored(
                store, replayer, ids, target, write=write, on_attempt=show, options=options,
                concurrency=max(1, concurrency),
            )  # fmt: skip
    except ValueError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return False
    finally:
        writes.shutdown(wait=True)
        store.close()
    return all(attempt.ok and attempt.fidelity_ok is not False for attempt in attempts)


def attempt_line(attempt: object) -> str:
    """One line per replay attempt: ids, target, status or error, latency, fidelity."""
    from inspector.core.models import ReplayAttempt

    assert isinstance(attempt, ReplayAttempt)
    if attempt.id is None:
        return f"request #{attempt.request_id}  not sent: {_one_line(attempt.error or '')}"
    outcome = str(attempt.status) if attempt.error is None else f"ERROR {attempt.error}"
    if attempt.error is None and not attempt.ok:
        outcome += " FAILED"
    latency = f"{attempt.latency_ms:.0f}ms" if attempt.latency_ms is not None else "-"
    fidelity = {True: "ok", False: "MISMATCH", None: "-"}[attempt.fidelity_ok]
    edited = "  (edited)" if attempt.edited else ""
    parts = [f"replay #{attempt.id}", f"request #{attempt.request_id}", attempt.sent_method,
             attempt.target, _one_line(outcome), latency, f"fidelity {fidelity}"]  # fmt: skip
    return "  ".join(p for p in parts if p) + edited


def _remember_target(args: argparse.Namespace, target: str) -> None:
    """Keep the target among the recent ones in the settings file (best effort)."""
    from inspector.core.config import save_settings

    path = args.settings or default_settings_path()
    try:
        save_settings(load_settings(path).remember_target(target), path)
    except (OSError, ValueError) as exc:
        print(f"warning: could not remember the target in {path}: {exc}", file=sys.stderr)


# --- export / verify ------------------------------------------------------------------------


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core import formats
    from inspector.core.store import Store

    if not settings.db_path.exists():
        print(f"webhook-inspector: no database at {settings.db_path}", file=sys.stderr)
        return 1
    from inspector.core.filters import FilterError, compile_filter

    try:
        chosen = compile_filter(args.filter)
    except FilterError as exc:
        print(f"webhook-inspector: --filter: {exc}", file=sys.stderr)
        return 2
    fmt = args.format or ("ndjson" if args.ndjson else "json")
    options = {"mask": args.mask, "keep_credentials": args.keep_credentials,
               "base_url": args.base_url}  # fmt: skip
    store = Store.open(settings.db_path)
    try:
        items = store.iter_all(chosen.where, chosen.params)
        if args.out:
            with args.out.open("w", encoding="utf-8") as handle:
                count = formats.write_export(handle, items, fmt, **options)
            print(f"exported {count} requests to {args.out}", file=sys.stderr)
        else:
            formats.write_export(sys.stdout, items, fmt, **options)
    finally:
        store.close()
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from urllib.parse import urlsplit

    from inspector.core.models import CapturedRequest
    from inspector.core.signatures import verify_request

    try:
        body = args.file.read_bytes()
    except OSError as exc:
        print(f"webhook-inspector: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    url = urlsplit(args.url)
    headers = [tuple(part.strip() for part in h.split(":", 1)) for h in args.header if ":" in h]
    request = CapturedRequest(
        method="POST", path=url.path or "/", query=url.query, body=body,
        headers=(("Host", url.netloc), *headers), scheme=url.scheme or "http",
    )  # fmt: skip
    result = verify_request(request, args.scheme, args.secret)
    print(f"{result.status}: {result.reason}")
    if result.expected or result.received:
        print(f"  expected {result.expected or '-'}  received {result.received or '-'}")
    return 0 if result.status == "valid" else 1


# --- send (sample events) / import ----------------------------------------------------------


def _add_send(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    send = commands.add_parser(
        "send", help="send a realistic, correctly signed sample event (e.g. send meta text)"
    )
    send.add_argument("provider", nargs="?", help="meta, waha, wsapi, standard, github, stripe")
    send.add_argument("event", nargs="?", help="e.g. text, status.read, message.ack (see --list)")
    send.add_argument("--to", metavar="URL",
                      help="target URL (default: this app's receiver, "
                           "http://HOST:PORT/webhook/PROVIDER from the settings)")  # fmt: skip
    send.add_argument("--secret", help="sign with this secret (default: the provider's demo "
                                       "secret, printed)")  # fmt: skip
    send.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                      help="change a field: from/phone, to, name, text, or a dotted JSON path "
                           "such as entry.0.changes.0.value.messages.0.text.body "
                           "(repeatable)")  # fmt: skip
    send.add_argument("--list", action="store_true", help="list the samples and demo secrets")
    send.add_argument("--dry-run", action="store_true",
                      help="print the request instead of sending it")  # fmt: skip


def _add_import(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = commands.add_parser(
        "import", help="store requests from files: our JSON/NDJSON export, HAR, curl, JSON"
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--db", type=Path, dest="import_db", help="SQLite file")
    imp.add_argument("--path", default="/import", dest="import_path",
                     help="path for a plain JSON payload file (default: %(default)s)")  # fmt: skip
    imp.add_argument("--max-size", type=parse_size, default=None,
                     help="refuse files larger than this (default 256M)")  # fmt: skip


def print_samples(out: TextIO) -> None:
    """The sample catalogue and the demo secrets, as `send --list` prints them."""
    from inspector.core import samples

    rows = samples.list_samples()
    width = max(len(event) for _, event, _ in rows)
    print(f"{'PROVIDER':<9} {'EVENT':<{width}}  DESCRIPTION", file=out)
    for provider, event, description in rows:
        print(f"{provider:<9} {event:<{width}}  {description}", file=out)
    print("\nDemo secrets (used without --secret; the scheme verifies them):", file=out)
    for provider, secret in samples.DEMO_SECRETS.items():
        print(f"  {provider:<9} {samples.SCHEMES[provider]:<9} {secret}", file=out)
    print("\nExample: webhook-inspector send meta text --set phone=491511234567 "
          "--set text='Hallo'", file=out)  # fmt: skip


def run_send(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core import samples

    if args.list or not args.provider:
        print_samples(sys.stdout)
        return 0
    if not args.event:
        print("webhook-inspector: send needs PROVIDER and EVENT (see send --list)",
              file=sys.stderr)  # fmt: skip
        return 2
    overrides: dict[str, str] = {}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            print(f"webhook-inspector: --set {item!r}: expected KEY=VALUE", file=sys.stderr)
            return 2
        overrides[key.strip()] = value
    try:
        request = samples.build_sample(
            args.provider, args.event, secret=args.secret, overrides=overrides
        )
    except samples.SampleError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return 2
    provider = args.provider.strip().lower()
    scheme = samples.SCHEMES[provider]
    url = args.to or samples.default_url(provider, settings.host, settings.port)
    if not args.secret:
        secret = samples.DEMO_SECRETS[provider]
        print(f"signed ({scheme}) with the demo secret {secret!r}; to verify it here run "
              f"serve --secret /webhook/{provider}={scheme}:{secret}", file=sys.stderr)  # fmt: skip
    if args.dry_run:
        print(f"{request.method} {url}")
        for name, value in request.headers:
            print(f"{name}: {value}")
        print()
        sys.stdout.flush()
        sys.stdout.buffer.write(request.body + b"\n")
        return 0
    return asyncio.run(_send(request, url))


async def _send(request: object, url: str) -> int:
    import aiohttp

    from inspector.core.models import CapturedRequest
    from inspector.core.samples import send_sample

    assert isinstance(request, CapturedRequest)
    try:
        status, body = await send_sample(request, url)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = str(exc) or type(exc).__name__
        print(f"webhook-inspector: cannot send to {url}: {reason}", file=sys.stderr)
        return 1
    answer = _one_line(body.decode("utf-8", "replace"))
    print(f"{request.method} {url} -> {status}  {answer}".rstrip())
    return 0 if 200 <= status < 300 else 1


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    if args.import_db:
        settings = replace(settings, db_path=args.import_db)
    return asyncio.run(_import(args, settings))


IMPORT_CHUNK = 256
"""Requests handed to the writer at once while importing (they share group commits)."""


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core.formats import DEFAULT_MAX_SIZE, import_file
    from inspector.core.service import InspectorService
    from inspector.core.store import StoreError

    max_size = args.max_size or DEFAULT_MAX_SIZE
    service = InspectorService(settings)
    await service.start(listen=False)
    failed = False
    try:
        for path in args.files:
            result = import_file(path, default_path=args.import_path, max_size=max_size)
            stored = 0
            try:
                for start in range(0, len(result.requests), IMPORT_CHUNK):
                    chunk = result.requests[start : start + IMPORT_CHUNK]
                    await asyncio.gather(*(service.ingest(r) for r in chunk))
                    stored += len(chunk)
            except StoreError as exc:
                print(f"{path}: imported {stored}, then the store failed: {exc}", file=sys.stderr)
                failed = True
                continue
            if result.requests or not result.errors:
                kind = f" ({result.format})" if result.format else ""
                print(f"{path}: imported {stored} request{'s' * (stored != 1)}{kind}")
            if result.errors:
                failed = True
                for error in result.errors:
                    print(f"{path}: error: {error}", file=sys.stderr)
        await service.settled()
    finally:
        await service.stop()
    return 1 if failed else 0


# --- check (a handler conformance run) / tail / wait (follow the database) -----------------


def _add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check", help="grade your webhook handler: signatures, speed, duplicates, bad input"
    )
    check.add_argument("url", help="your handler's URL, e.g. http://127.0.0.1:3000/webhook")
    check.add_argument("--provider", "-p", required=True,
                       help="whose webhooks it handles: meta, waha, stripe, standard, ...")
    check.add_argument("--secret", help="the secret your handler verifies with (default: a "
                       "secret rule in the settings, else the provider's demo secret)")
    check.add_argument("--verify-token", default="", help="Meta verify token (handshake check)")
    check.add_argument("--burst", type=int, default=50,
                       help="valid events sent at once in the burst check (default 50)")
    check.add_argument("--deadline", type=float, metavar="S",
                       help="seconds allowed for an answer (default: the provider's documented "
                       "deadline, else 5)")  # fmt: skip
    check.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    check.add_argument("--json", action="store_true", help="one JSON object per check")
    check.add_argument("--db", type=Path, dest="check_db",
                       help="SQLite file the sent requests are stored in")  # fmt: skip


def _add_tail(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tail = commands.add_parser(
        "tail", help="follow requests as a running app or serve stores them"
    )
    tail.add_argument("--filter", default="", metavar="FILTER",
                      help='only matching requests, e.g. "provider:meta sig:invalid"')
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.add_argument("--db", type=Path, dest="check_db", help="SQLite file")


def _add_wait(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    wait = commands.add_parser(
        "wait", help="block until matching requests are stored (for integration tests)"
    )
    wait.add_argument("--filter", required=True, metavar="FILTER",
                      help='what to wait for, e.g. "provider:waha event:message"')
    wait.add_argument("--timeout", type=float, default=30.0, metavar="S",
                      help="give up after S seconds (default 30): exit status 1")
    wait.add_argument("--count", type=int, default=1, help="how many (default 1)")
    wait.add_argument("--since", type=int, metavar="ID",
                      help="count requests stored after #ID (default: from now)")
    wait.add_argument("--json", action="store_true", help="one JSON object per line")
    wait.add_argument("--db", type=Path, dest="check_db", help="SQLite file")


def _error(message: str) -> int:
    print(f"webhook-inspector: {_one_line(message)}", file=sys.stderr)
    return 2


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core.check import configured_secret, make_plan

    secret = args.secret or configured_secret(settings, args.provider.strip().lower())
    try:
        plan = make_plan(
            args.url, args.provider, secret, verify_token=args.verify_token, burst=args.burst,
            deadline=args.deadline,
        )  # fmt: skip
    except ValueError as exc:
        return _error(str(exc))
    if not secret:
        print(f"signing with the {plan.provider.name} demo secret (see send --list); give "
              "--secret to use your handler's", file=sys.stderr)  # fmt: skip
    from inspector.core.store import StoreError

    try:
        results = asyncio.run(_check(plan, settings, as_json=args.json))
    except KeyboardInterrupt:
        return 130
    except (StoreError, OSError) as exc:
        print(f"webhook-inspector: cannot store the check in {settings.db_path}: {exc}",
              file=sys.stderr)  # fmt: skip
        return 1
    if args.junit:
        from inspector.core.check import junit_xml

        try:
            args.junit.write_text(junit_xml(results, plan), encoding="utf-8")
        except OSError as exc:
            return _error(f"cannot write {args.junit}: {exc.strerror or exc}")
    return 1 if any(result.failed for result in results) else 0


async def _check(plan: object, settings: Settings, *, as_json: bool) -> list[Any]:
    import json

    from inspector.core.check import CheckPlan, run_checks
    from inspector.core.service import InspectorService

    assert isinstance(plan, CheckPlan)
    service = InspectorService(settings)
    await service.start(listen=False)
    results = []
    try:
        async for result in run_checks(plan, record=service.record_sent):
            results.append(result)
            if as_json:
                print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            else:
                print(check_line(result), flush=True)
        await service.settled()
    finally:
        await service.stop()
    counts = Counter(result.grade for result in results)
    summary = ", ".join(f"{counts[g]} {g}" for g in ("pass", "warn", "fail", "skipped"))
    print(f"{len(results)} checks: {summary}; requests stored in {settings.db_path} "
          "(filter source:check)", file=sys.stderr if as_json else sys.stdout)  # fmt: skip
    return results


def check_line(result: Any) -> str:
    """`PASS    Valid event: sent …; answered 200 in 3 ms  (#12)`: grade, check, explanation
    and the stored requests it sent."""
    ids = result.request_ids
    stored = (f"  (#{ids[0]}" + (f"-#{ids[-1]})" if len(ids) > 1 else ")")) if ids else ""
    return f"{result.line()}{stored}"


def _follower(args: argparse.Namespace, settings: Settings, after: int | None) -> Any:
    from inspector.core.filters import FilterError
    from inspector.core.follow import Follower

    try:
        return Follower(settings.db_path, args.filter, after=after)
    except FilterError as exc:
        raise ValueError(f"--filter: {exc}") from None


def stored_line(stored: object, as_json: bool) -> str:
    """A stored request as `serve` prints it, or as one JSON object (the export format)."""
    import json

    from inspector.core.formats.native import request_to_json
    from inspector.core.models import StoredRequest
    from inspector.core.store import Record
    from inspector.core.writer import Stored

    assert isinstance(stored, StoredRequest)
    if as_json:
        return json.dumps(request_to_json(stored), ensure_ascii=False)
    record = Record(stored.request, stored.derived, stored.response_status,
                    stored.response_headers, stored.response_body)  # fmt: skip
    return request_line(Stored(stored.id, record))


FOLLOW_INTERVAL = 0.1
"""Seconds between two looks at the database in `tail` and `wait`."""


def run_tail(args: argparse.Namespace, settings: Settings, stop: Any = None) -> int:
    """Print new requests until Ctrl-C (or until `stop`, a threading.Event, is set)."""
    import threading

    if args.check_db:
        settings = replace(settings, db_path=args.check_db)
    try:
        follower = _follower(args, settings, None)
    except ValueError as exc:
        return _error(str(exc))
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            for stored in follower.poll():
                print(stored_line(stored, args.json), flush=True)
            if not follower.behind:
                stop.wait(FOLLOW_INTERVAL)
    except KeyboardInterrupt:
        pass
    finally:
        follower.close()
    return 0


def run_wait(args: argparse.Namespace, settings: Settings) -> int:
    import time

    if args.check_db:
        settings = replace(settings, db_path=args.check_db)
    if args.count < 1 or args.timeout < 0:
        return _error("--count must be at least 1 and --timeout not negative")
    try:
        follower = _follower(args, settings, args.since)
    except ValueError as exc:
        return _error(str(exc))
    found = 0
    give_up = time.monotonic() + args.timeout
    try:
        while found < args.count:
            for stored in follower.poll()[: args.count - found]:
                print(stored_line(stored, args.json), flush=True)
                found += 1
            if found >= args.count or time.monotonic() >= give_up:
                break
            if not follower.behind:
                time.sleep(FOLLOW_INTERVAL)
    except KeyboardInterrupt:
        return 130
    finally:
        follower.close()
    if found < args.count:
        print(f"webhook-inspector: timed out after {args.timeout:g} s: {found} of {args.count} "
              f"matching requests arrived", file=sys.stderr)  # fmt: skip
        return 1
    return 0
