"""No command: the desktop app. The CLI's one way into the GUI, and its only Qt import."""

from __future__ import annotations

import argparse

from inspector.core.config import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.gui.app import run as run_app  # Qt is imported here and only here

    return run_app(settings, args.settings)
