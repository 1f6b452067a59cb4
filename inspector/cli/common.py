"""Shared by the commands: argument types, one-line errors, exit codes."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING, NoReturn

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
"""Exit statuses: done; a failure (a request, a check, a timeout); bad usage or input; Ctrl-C."""

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    Subparsers = argparse._SubParsersAction
"""What each command's `register` adds its parser to."""


def parse_size(text: str) -> int:
    """'10M', '512k', '1048576' -> bytes."""
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    shown = text
    text = text.strip().lower().removesuffix("b").removesuffix("i")
    unit = units.get(text[-1:], 1)
    try:
        size = int(float(text[:-1]) * unit) if unit > 1 else int(text)
    except (ValueError, OverflowError):  # OverflowError: 1e400M is infinite
        raise argparse.ArgumentTypeError(f"not a size: {shown!r} (try 10M or 512k)") from None
    if not 1 <= size <= MAX_SIZE:
        raise argparse.ArgumentTypeError(
            f"{shown!r} is out of range (from 1 byte to {MAX_SIZE // 1024**4} TiB)"
        )
    return size


MAX_SIZE = 1024**5
"""The largest size option accepted (1 PiB: far beyond any body, far below SQLite's limit)."""


def parse_port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: pick a free one)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range (0 to 65535; 0 picks a free one)")
    return port


def parse_seconds(text: str) -> float:
    """A number of seconds: finite and not negative (`nan`, `inf` and `-1` would wait forever
    or never)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds, 0 or more")
    return seconds


def target_url(text: str) -> str:
    """A URL requests may be sent to (`replay --to`, `serve --forward-to`)."""
    from inspector.core.replay import check_target

    try:
        check_target(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip()


class Parser(argparse.ArgumentParser):
    """Usage errors are one line (the option and what is wrong), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: error: {message} (see --help)\n")


def error(message: str) -> int:
    """Print `message` as one line on stderr; the exit status of bad usage or input."""
    print(f"webhook-inspector: {one_line(message)}", file=sys.stderr)
    return USAGE


def one_line(text: str, limit: int = 200) -> str:
    """`text` on one line (whitespace runs become one space), cut at `limit`."""
    return " ".join(text.split())[:limit]
