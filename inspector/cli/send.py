"""`send`: send a realistic, correctly signed sample event."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from inspector.cli.common import FAILED, OK, USAGE, Subparsers, one_line
from inspector.core.config import Settings


def register(commands: Subparsers) -> None:
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


def run(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core import samples

    if args.list or not args.provider:
        print_samples(sys.stdout)
        return OK
    if not args.event:
        print("webhook-inspector: send needs PROVIDER and EVENT (see send --list)",
              file=sys.stderr)  # fmt: skip
        return USAGE
    overrides: dict[str, str] = {}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            print(f"webhook-inspector: --set {item!r}: expected KEY=VALUE", file=sys.stderr)
            return USAGE
        overrides[key.strip()] = value
    try:
        request = samples.build_sample(
            args.provider, args.event, secret=args.secret, overrides=overrides
        )
    except samples.SampleError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return USAGE
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
        return OK
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
        return FAILED
    answer = one_line(body.decode("utf-8", "replace"))
    print(f"{request.method} {url} -> {status}  {answer}".rstrip())
    return OK if 200 <= status < 300 else FAILED
