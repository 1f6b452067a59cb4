"""`import`: store requests from files (our export, HAR, curl, JSON)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from pathlib import Path

from inspector.cli.common import FAILED, OK, Subparsers, parse_size
from inspector.core.config import Settings


def register(commands: Subparsers) -> None:
    imp = commands.add_parser(
        "import", help="store requests from files: our JSON/NDJSON export, HAR, curl, JSON"
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--db", type=Path, dest="import_db", help="SQLite file")
    imp.add_argument("--path", default="/import", dest="import_path",
                     help="path for a plain JSON payload file (default: %(default)s)")  # fmt: skip
    imp.add_argument("--max-size", type=parse_size, default=None,
                     help="refuse files larger than this (default 256M)")  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
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
    return FAILED if failed else OK
