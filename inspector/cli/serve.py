"""`serve`: capture webhooks headless (no window), relay, forward, tunnel."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from inspector.cli.common import FAILED, OK, USAGE, Subparsers, parse_port, parse_size, target_url
from inspector.cli.lines import RequestLines, SourceLines
from inspector.core import loops
from inspector.core.config import Settings, parse_secret_option
from inspector.core.loops import CHOICES as LOOP_CHOICES
from inspector.core.loops import LOOP_ENV


def register(commands: Subparsers) -> None:
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
    serve.add_argument("--forward-to", type=target_url, metavar="URL",
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


def run(args: argparse.Namespace, settings: Settings) -> int:
    sys.setswitchinterval(0.0005)
    settings = serve_settings(args, settings)
    try:
        return loops.run(_serve(settings, quiet=args.quiet, out=sys.stdout,
                                tunnel=(args.tunnel, args.tunnel_ssh)), args.loop)  # fmt: skip
    except loops.LoopError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        return OK


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
        return USAGE
    service = InspectorService(settings)
    source_lines = SourceLines()
    lines = RequestLines(out, forwarding=bool(settings.forward_to))

    handlers: Handlers = {SourceState: source_lines.show, StoreState: _store_line}
    if not quiet:
        handlers |= {RequestsStored: lines.stored_all, ForwardDone: lines.forwarded}
    service.subscribe(lambda event: dispatch(handlers, event), analysed=not quiet)
    try:
        await service.start()
    except ReceiverError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        await service.stop()
        return FAILED
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
    return OK


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


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
