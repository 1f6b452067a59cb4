"""`check`: grade a webhook handler (signatures, speed, duplicates, bad input)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from inspector.cli.common import FAILED, INTERRUPTED, OK, Subparsers, error
from inspector.core.config import Settings


def register(commands: Subparsers) -> None:
    check = commands.add_parser(
        "check", help="grade your webhook handler: signatures, speed, duplicates, bad input"
    )
    check.add_argument("url", help="your handler's URL, e.g. http://127.0.0.1:3000/webhook")
    check.add_argument("--provider", "-p", required=True,
                       help="whose webhooks it handles: meta, waha, stripe, standard, ...")
    check.add_argument("--secret", help="the secret your handler verifies with (default: a "
                       "secret rule in the settings, else the provider's demo secret)")
    check.add_argument("--verify-token", default="", help="Meta verify token (handshake check)")
    check.add_argument("--burst", type=int, default=50,
                       help="valid events sent at once in the burst check (default 50)")
    check.add_argument("--deadline", type=float, metavar="S",
                       help="seconds allowed for an answer (default: the provider's documented "
                       "deadline, else 5)")  # fmt: skip
    check.add_argument("--junit", type=Path, metavar="FILE", help="write a JUnit XML report")
    check.add_argument("--json", action="store_true", help="one JSON object per check")
    check.add_argument("--db", type=Path, dest="check_db",
                       help="SQLite file the sent requests are stored in")  # fmt: skip


def run(args: argparse.Namespace, settings: Settings) -> int:
    from inspector.core.check import configured_secret, make_plan

    secret = args.secret or configured_secret(settings, args.provider.strip().lower())
    try:
        plan = make_plan(
            args.url, args.provider, secret, verify_token=args.verify_token, burst=args.burst,
            deadline=args.deadline,
        )  # fmt: skip
    except ValueError as exc:
        return error(str(exc))
    if not secret:
        print(f"signing with the {plan.provider.name} demo secret (see send --list); give "
              "--secret to use your handler's", file=sys.stderr)  # fmt: skip
    from inspector.core.store import StoreError

    try:
        results = asyncio.run(_check(plan, settings, as_json=args.json))
    except KeyboardInterrupt:
        return INTERRUPTED
    except (StoreError, OSError) as exc:
        print(f"webhook-inspector: cannot store the check in {settings.db_path}: {exc}",
              file=sys.stderr)  # fmt: skip
        return FAILED
    if args.junit:
        from inspector.core.check import junit_xml

        try:
            args.junit.write_text(junit_xml(results, plan), encoding="utf-8")
        except OSError as exc:
            return error(f"cannot write {args.junit}: {exc.strerror or exc}")
    return FAILED if any(result.failed for result in results) else OK


async def _check(plan: object, settings: Settings, *, as_json: bool) -> list[Any]:
    import json

    from inspector.core.check import CheckPlan, run_checks
    from inspector.core.service import InspectorService

    assert isinstance(plan, CheckPlan)
    service = InspectorService(settings)
    await service.start(listen=False)
    results = []
    try:
        async for result in run_checks(plan, record=service.record_sent):
            results.append(result)
            if as_json:
                print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            else:
                print(check_line(result), flush=True)
        await service.settled()
    finally:
        await service.stop()
    counts = Counter(result.grade for result in results)
    summary = ", ".join(f"{counts[g]} {g}" for g in ("pass", "warn", "fail", "skipped"))
    print(f"{len(results)} checks: {summary}; requests stored in {settings.db_path} "
          "(filter source:check)", file=sys.stderr if as_json else sys.stdout)  # fmt: skip
    return results


def check_line(result: Any) -> str:
    """`PASS    Valid event: sent …; answered 200 in 3 ms  (#12)`: grade, check, explanation
    and the stored requests it sent."""
    ids = result.request_ids
    stored = (f"  (#{ids[0]}" + (f"-#{ids[-1]})" if len(ids) > 1 else ")")) if ids else ""
    return f"{result.line()}{stored}"
