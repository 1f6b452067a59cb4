"""Entry point of the headless `webhook-inspector-serve` binary (packaging/*-serve.spec).

Same commands as `webhook-inspector`, without the desktop app (the binary has no Qt): with no
command, or with only options, it runs `serve` (`webhook-inspector-serve --port 9000`).
"""

from __future__ import annotations

import multiprocessing
import sys

HEADLESS = ("serve", "export", "import", "verify", "send", "replay")


def arguments(argv: list[str]) -> list[str]:
    """`argv` with `serve` put in front when it names no command (and asks for no help)."""
    if any(word in HEADLESS for word in argv) or {"-h", "--help", "--version"} & set(argv):
        return argv
    return ["serve", *argv]


if __name__ == "__main__":
    multiprocessing.freeze_support()  # the store writer child process starts here
    from inspector.cli import main

    raise SystemExit(main(arguments(sys.argv[1:])))
