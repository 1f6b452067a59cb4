"""Command line: `webhook-inspector` opens the desktop app; subcommands work headless.

The headless paths never import Qt (a test checks `sys.modules`): Qt is imported only inside
`run_gui`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from inspector import __version__
from inspector.core.config import (
    Settings,
    default_settings_path,
    load_settings,
    parse_secret_option,
)


def parse_size(text: str) -> int:
    """'10M', '512k', '1048576' -> bytes."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    text = text.strip().lower().removesuffix("b").removesuffix("i")
    try:
        if text and text[-1] in units:
            return int(float(text[:-1]) * units[text[-1]])
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 10M or 512k)") from None


def _secret(text: str) -> object:
    try:
        return parse_secret_option(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    return parser


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="capture webhooks headless (no window)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080; 0 picks a free one)")
    serve.add_argument("--db", type=Path, dest="serve_db", help="SQLite file")
    serve.add_argument("--max-body", type=parse_size, help="body size limit (default 10M)")
    serve.add_argument("--secret", type=_secret, action="append", default=[],
                       metavar="PATH=SCHEME:SECRET",
                       help="verify requests under PATH with SCHEME (repeatable)")  # fmt: skip
    serve.add_argument("--verify-token", help="Meta webhook verify token (GET handshake)")
    serve.add_argument("--durable", action="store_true",
                       help="fsync every commit (survives power loss; slower)")  # fmt: skip
    serve.add_argument("--quiet", "-q", action="store_true", help="no line per request")


def _add_export(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser("export", help="write stored requests as JSON or NDJSON")
    export.add_argument("--db", type=Path, dest="export_db", help="SQLite file")
    export.add_argument("--out", "-o", type=Path, help="output file (default: standard output)")
    export.add_argument("--ndjson", action="store_true", help="one JSON object per line")
    export.add_argument(
        "--keep-credentials",
        action="store_true",
        help="do not mask credentials found in payloads (e.g. Evolution apikey)",
    )


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
    if args.command == "serve":
        return run_serve(args, settings)
    if args.command == "export":
        return run_export(args, settings)
    if args.command == "verify":
        return run_verify(args)
    return run_gui(settings, args.settings)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.settings or default_settings_path())
    db = getattr(args, "serve_db", None) or getattr(args, "export_db", None) or args.db
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
    if args.durable:
        changes["durable"] = True
    return replace(settings, **changes)  # type: ignore[arg-type]


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    sys.setswitchinterval(0.0005)
    settings = serve_settings(args, settings)
    try:
        return asyncio.run(_serve(settings, quiet=args.quiet, out=sys.stdout))
    except KeyboardInterrupt:
        return 0


async def _serve(settings: Settings, *, quiet: bool, out: TextIO) -> int:
    from inspector.core.receiver import ReceiverError
    from inspector.core.service import InspectorService, RequestsStored, StoreState

    service = InspectorService(settings)

    def on_event(event: object) -> None:
        if isinstance(event, RequestsStored) and not quiet:
            for item in event.items:
                print(request_line(item), file=out, flush=True)
        elif isinstance(event, StoreState):
            state = "store writable again" if event.ok else f"STORE FAILING: {event.message}"
            print(state, file=sys.stderr, flush=True)

    service.subscribe(on_event)
    try:
        await service.start()
    except ReceiverError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        await service.stop()
        return 1
    if service.quarantined:
        q = service.quarantined
        print(f"warning: {q.reason}; moved it aside to {q.moved_to} and started a fresh one",
              file=sys.stderr)  # fmt: skip
    print(f"Listening on {service.url}/  (data: {settings.db_path})", file=out, flush=True)
    print("Press Ctrl-C to stop.", file=out, flush=True)
    await _wait_for_signal()
    await service.stop()
    print("Stopped.", file=out, flush=True)
    return 0


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

    from inspector.core.writer import Stored

    assert isinstance(item, Stored)
    req, derived = item.record.request, item.record.derived
    when = datetime.fromtimestamp(req.received_at_ns / 1e9).strftime("%H:%M:%S")
    status = item.record.response_status or "-"
    sig = derived.verification.status
    parts = [when, f"#{item.id}", req.method, req.target, f"{len(req.body)}B", str(status),
             derived.provider, derived.event_type, f"sig:{sig}", derived.summary]  # fmt: skip
    return "  ".join(_one_line(str(p)) for p in parts if p)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


# --- export / verify ------------------------------------------------------------------------


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core import formats
    from inspector.core.store import Store

    if not settings.db_path.exists():
        print(f"webhook-inspector: no database at {settings.db_path}", file=sys.stderr)
        return 1
    store = Store.open(settings.db_path)
    write = formats.write_ndjson if args.ndjson else formats.write_json
    keep = args.keep_credentials
    try:
        if args.out:
            with args.out.open("w", encoding="utf-8") as handle:
                count = write(handle, store.iter_all(), keep_credentials=keep)
            print(f"exported {count} requests to {args.out}", file=sys.stderr)
        else:
            write(sys.stdout, store.iter_all(), keep_credentials=keep)
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
