"""`export`: write stored requests as JSON, NDJSON, HAR or curl."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inspector.cli.common import FAILED, OK, USAGE, Subparsers
from inspector.core.config import Settings


def register(commands: Subparsers) -> None:
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


def run(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core import formats
    from inspector.core.store import Store

    if not settings.db_path.exists():
        print(f"webhook-inspector: no database at {settings.db_path}", file=sys.stderr)
        return FAILED
    from inspector.core.filters import FilterError, compile_filter

    try:
        chosen = compile_filter(args.filter)
    except FilterError as exc:
        print(f"webhook-inspector: --filter: {exc}", file=sys.stderr)
        return USAGE
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
    return OK
