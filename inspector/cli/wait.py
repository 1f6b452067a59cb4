"""`wait`: block until matching requests are stored (for integration tests)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from inspector.cli.common import FAILED, INTERRUPTED, OK, Subparsers, error, parse_seconds
from inspector.cli.lines import stored_line
from inspector.cli.tail import FOLLOW_INTERVAL, open_follower
from inspector.core.config import Settings


def register(commands: Subparsers) -> None:
    wait = commands.add_parser(
        "wait", help="block until matching requests are stored (for integration tests)"
    )
    wait.add_argument("--filter", required=True, metavar="FILTER",
                      help='what to wait for, e.g. "provider:waha event:message"')
    wait.add_argument("--timeout", type=parse_seconds, default=30.0, metavar="S",
                      help="give up after S seconds (default 30): exit status 1")
    wait.add_argument("--count", type=int, default=1, help="how many (default 1)")
    wait.add_argument("--since", type=int, metavar="ID",
                      help="count requests stored after #ID (default: from now)")
    wait.add_argument("--json", action="store_true", help="one JSON object per line")
    wait.add_argument("--db", type=Path, dest="check_db", help="SQLite file")


def run(args: argparse.Namespace, settings: Settings) -> int:
    import time

    if args.check_db:
        settings = replace(settings, db_path=args.check_db)
    if args.count < 1:
        return error("--count must be at least 1")
    try:
        follower = open_follower(args, settings, args.since)
    except ValueError as exc:
        return error(str(exc))
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
        return INTERRUPTED
    finally:
        follower.close()
    if found < args.count:
        print(f"webhook-inspector: timed out after {args.timeout:g} s: {found} of {args.count} "
              f"matching requests arrived", file=sys.stderr)  # fmt: skip
        return FAILED
    return OK
