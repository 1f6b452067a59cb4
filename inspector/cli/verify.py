"""`verify`: check a payload file's signature."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inspector.cli.common import FAILED, OK, USAGE, Subparsers
from inspector.core.config import Settings


def register(commands: Subparsers) -> None:
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


def run(args: argparse.Namespace, settings: Settings) -> int:
    from urllib.parse import urlsplit

    from inspector.core.models import CapturedRequest
    from inspector.core.signatures import verify_request

    try:
        body = args.file.read_bytes()
    except OSError as exc:
        print(f"webhook-inspector: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return USAGE
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
    return OK if result.status == "valid" else FAILED
