"""`replay`: send stored requests again, byte-exact, to a URL."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from inspector.cli.common import FAILED, INTERRUPTED, OK, USAGE, Subparsers, one_line, target_url
from inspector.core.config import Settings, default_settings_path, load_settings


def register(commands: Subparsers) -> None:
    replay = commands.add_parser(
        "replay", help="send stored requests again, byte-exact, to a URL (no receiver needed)"
    )
    replay.add_argument("ids", type=int, nargs="+", metavar="ID", help="request ids (#17 -> 17)")
    replay.add_argument("--to", dest="target", type=target_url, metavar="URL",
                        help="target URL (default: the replay target in settings); with no path, "
                        "each request keeps its own path")  # fmt: skip
    replay.add_argument("--db", type=Path, dest="replay_db", help="SQLite file")
    replay.add_argument("--keep-host", action="store_true",
                        help="send the original Host header instead of the target's")  # fmt: skip
    replay.add_argument("--resign", metavar="SCHEME",
                        help="re-sign with SCHEME (fresh signature and timestamp)")  # fmt: skip
    replay.add_argument("--secret", help="secret for --resign (default: one configured for SCHEME)")
    replay.add_argument("--wrong-signature", action="store_true",
                        help="send a deliberately invalid signature")  # fmt: skip
    replay.add_argument("--follow-redirects", action="store_true",
                        help="follow redirects (same host and port only)")  # fmt: skip
    replay.add_argument("--concurrency", type=int, default=8, help="at most N at a time (8)")


def _replay_options(args: argparse.Namespace, settings: Settings) -> object:
    from inspector.core.replay import ReplayOptions

    resign: tuple[str, str] | None = None
    if args.resign:
        secret = args.secret or next(
            (rule.secret for rule in settings.secrets if rule.scheme == args.resign), None
        )
        if secret is None and not args.wrong_signature:
            raise ValueError(f"--resign {args.resign} needs --secret (none is configured)")
        resign = (args.resign, secret or "wrong")
    return ReplayOptions(
        keep_host=args.keep_host, resign=resign, wrong_signature=args.wrong_signature,
        follow_redirects=args.follow_redirects,
    )  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    target = args.target or settings.replay_target
    try:
        options = _replay_options(args, settings)
    except ValueError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return USAGE
    if not settings.db_path.exists():
        print(f"webhook-inspector: no database at {settings.db_path}", file=sys.stderr)
        return FAILED
    try:
        ok = asyncio.run(_replay(settings, args.ids, target, options, args.concurrency))
    except KeyboardInterrupt:
        return INTERRUPTED
    if args.target:
        _remember_target(args, target)
    return OK if ok else FAILED


async def _replay(
    settings: Settings, ids: Sequence[int], target: str, options: object, concurrency: int
) -> bool:
    from concurrent.futures import ThreadPoolExecutor

    from inspector.core.models import ReplayAttempt
    from inspector.core.replay import Replayer, ReplayOptions
    from inspector.core.service import replay_stored
    from inspector.core.store import Store

    assert isinstance(options, ReplayOptions)
    loop = asyncio.get_running_loop()
    store = await loop.run_in_executor(None, Store.open, settings.db_path)
    writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="replay-writes")

    async def write(func: Callable[[], list[int]]) -> list[int]:
        return await loop.run_in_executor(writes, func)

    def show(attempt: ReplayAttempt) -> None:
        print(attempt_line(attempt), flush=True)

    try:
        async with Replayer.from_settings(settings) as replayer:
            attempts = await replay_stored(
                store, replayer, ids, target, write=write, on_attempt=show, options=options,
                concurrency=max(1, concurrency),
            )  # fmt: skip
    except ValueError as exc:
        print(f"webhook-inspector: {exc}", file=sys.stderr)
        return False
    finally:
        writes.shutdown(wait=True)
        store.close()
    return all(attempt.ok and attempt.fidelity_ok is not False for attempt in attempts)


def attempt_line(attempt: object) -> str:
    """One line per replay attempt: ids, target, status or error, latency, fidelity."""
    from inspector.core.models import ReplayAttempt

    assert isinstance(attempt, ReplayAttempt)
    if attempt.id is None:
        return f"request #{attempt.request_id}  not sent: {one_line(attempt.error or '')}"
    outcome = str(attempt.status) if attempt.error is None else f"ERROR {attempt.error}"
    if attempt.error is None and not attempt.ok:
        outcome += " FAILED"
    latency = f"{attempt.latency_ms:.0f}ms" if attempt.latency_ms is not None else "-"
    fidelity = {True: "ok", False: "MISMATCH", None: "-"}[attempt.fidelity_ok]
    edited = "  (edited)" if attempt.edited else ""
    parts = [f"replay #{attempt.id}", f"request #{attempt.request_id}", attempt.sent_method,
             attempt.target, one_line(outcome), latency, f"fidelity {fidelity}"]  # fmt: skip
    return "  ".join(p for p in parts if p) + edited


def _remember_target(args: argparse.Namespace, target: str) -> None:
    """Keep the target among the recent ones in the settings file (best effort)."""
    from inspector.core.config import save_settings

    path = args.settings or default_settings_path()
    try:
        save_settings(load_settings(path).remember_target(target), path)
    except (OSError, ValueError) as exc:
        print(f"warning: could not remember the target in {path}: {exc}", file=sys.stderr)
