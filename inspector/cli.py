"""Command line: `webhook-inspector` (GUI) and its subcommands."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    print("not built yet")
    return 0
