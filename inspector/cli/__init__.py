"""Command line: `webhook-inspector` opens the desktop app; subcommands work headless.

One module per command, each with its argument declarations (`register`) next to the command
(`run`); `common` holds what they share. The headless paths never import Qt (a test checks
`sys.modules`): Qt is imported only inside `desktop.run`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from inspector import __version__
from inspector.cli import check, desktop, export, importing, replay, send, serve, tail, verify, wait
from inspector.cli.common import USAGE, Parser, one_line
from inspector.core.config import Settings, default_settings_path, load_settings

COMMANDS = {
    "serve": serve,
    "export": export,
    "verify": verify,
    "send": send,
    "import": importing,
    "replay": replay,
    "check": check,
    "tail": tail,
    "wait": wait,
}
"""Each subcommand's module, in the order `--help` lists them; without one: `desktop`."""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="webhook-inspector",
        description="Catch, inspect, verify and replay webhooks. Without a command: the app.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--settings", type=Path, help="settings file (default: %(default)s)",
                        default=None)  # fmt: skip
    parser.add_argument("--db", type=Path, help="SQLite file (default: in your data directory)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return USAGE
    from inspector.core.store import StoreError

    try:
        return COMMANDS.get(args.command, desktop).run(args, settings)
    except StoreError as exc:  # e.g. --db names a directory, a device, a read-only place
        print(f"webhook-inspector: --db: {one_line(str(exc))}", file=sys.stderr)
        return USAGE


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.settings or default_settings_path())
    db = (
        getattr(args, "serve_db", None) or getattr(args, "export_db", None)
        or getattr(args, "replay_db", None) or getattr(args, "check_db", None) or args.db
    )  # fmt: skip
    return replace(settings, db_path=db) if db else settings
