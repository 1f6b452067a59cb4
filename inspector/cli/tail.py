"""`tail`: follow requests as a running app or `serve` stores them."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from inspector.cli.common import OK, Subparsers, error
from inspector.cli.lines import stored_line
from inspector.core.config import Settings


def register(commands: Subparsers) -> None:
    tail = commands.add_parser(
        "tail", help="follow requests as a running app or serve stores them"
    )
    tail.add_argument("--filter", default="", metavar="FILTER",
                      help='only matching requests, e.g. "provider:meta sig:invalid"')
    tail.add_argument("--json", action="store_true", help="one JSON object per line")
    tail.add_argument("--db", type=Path, dest="check_db", help="SQLite file")


def open_follower(args: argparse.Namespace, settings: Settings, after: int | None) -> Any:
    """A `core.follow.Follower` of `--filter` for `tail` and `wait` (ValueError: a bad filter)."""
    from inspector.core.filters import FilterError
    from inspector.core.follow import Follower

    try:
        return Follower(settings.db_path, args.filter, after=after)
    except FilterError as exc:
        raise ValueError(f"--filter: {exc}") from None


FOLLOW_INTERVAL = 0.1
"""Seconds between two looks at the database in `tail` and `wait`."""


def run(args: argparse.Namespace, settings: Settings, stop: Any = None) -> int:
    """Print new requests until Ctrl-C (or until `stop`, a threading.Event, is set)."""
    import threading

    if args.check_db:
        settings = replace(settings, db_path=args.check_db)
    try:
        follower = open_follower(args, settings, None)
    except ValueError as exc:
        return error(str(exc))
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
    return OK
