"""Handler check benchmark: the whole `check` run against a local handler, vs a bare client.

Starts a good webhook handler (aiohttp, in a subprocess: verifies the signature over the raw
bytes with the provider's demo secret, 400 for malformed JSON, answers Meta's handshake), then
  1. runs every check through the core (`run_checks`), storing each request and answer in a
     fresh database as the `check` command does (`InspectorService.record_sent`), and
  2. sends the very same requests (same bytes, same headers, the burst concurrently, the rest
     one after the other) with a bare aiohttp client, storing nothing.
Figures: wall time and requests/s of each, the ratio, and the grades (all must pass or skip).

Last line: RESULT check_s=... check_rps=... baseline_s=... baseline_rps=... ratio=...
requests=... failed=...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import PYTHON, result_line, start_process, stop

TOKEN = "bench-verify-token"


# --- the handler (run in a subprocess with --handler) ----------------------------------------


async def handler_main(provider: str) -> None:
    from aiohttp import web

    from inspector.core.models import CapturedRequest, SigStatus
    from inspector.core.providers import BY_NAME
    from inspector.core.samples import DEMO_SECRETS
    from inspector.core.signatures import verify_request

    scheme, secret = BY_NAME[provider].scheme or "", DEMO_SECRETS[provider]

    async def handle(request: web.Request) -> web.Response:
        if request.method == "GET":
            if request.query.get("hub.verify_token") == TOKEN:
                return web.Response(text=request.query.get("hub.challenge", ""))
            return web.Response(status=403)
        body = await request.read()
        captured = CapturedRequest(request.method, request.path, request.query_string,
                                   tuple(request.headers.items()), body)
        if verify_request(captured, scheme, secret).status is not SigStatus.VALID:
            return web.Response(status=401)
        try:
            json.loads(body)
        except ValueError:
            return web.Response(status=400)
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(f"Listening on http://127.0.0.1:{runner.addresses[0][1]}/", flush=True)
    await asyncio.Event().wait()


# --- the benchmark ----------------------------------------------------------------------------


async def run_check(url: str, provider: str, burst: int, db: Path) -> tuple[float, list, list]:
    from inspector.core.check import make_plan, run_checks
    from inspector.core.config import Settings
    from inspector.core.service import InspectorService

    service = InspectorService(Settings(db_path=db, port=0))
    await service.start(listen=False)
    groups: list[list] = []

    async def record(pairs):
        groups.append([request for request, _ in pairs])
        return await service.record_sent(pairs)

    plan = make_plan(url + "/webhook", provider, verify_token=TOKEN, burst=burst)
    results = []
    started = time.perf_counter()
    try:
        async for result in run_checks(plan, record=record):
            results.append(result)
        elapsed = time.perf_counter() - started
        await service.settled()
    finally:
        await service.stop()
    return elapsed, results, groups


async def run_bare(url: str, groups: list) -> float:
    import aiohttp
    from multidict import CIMultiDict

    base = url.split("/webhook")[0]

    async def send(session: aiohttp.ClientSession, request) -> None:
        target = f"{base}{request.path}" + (f"?{request.query}" if request.query else "")
        headers = CIMultiDict((n, v) for n, v in request.headers if n.lower() != "host")
        async with session.request(request.method, target, data=request.body or None,
                                   headers=headers, allow_redirects=False) as response:
            await response.read()

    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        started = time.perf_counter()
        for group in groups:
            if len(group) > 2:  # the burst
                await asyncio.gather(*(send(session, r) for r in group))
            else:
                for request in group:
                    await send(session, request)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--handler", metavar="PROVIDER", help=argparse.SUPPRESS)
    parser.add_argument("--provider", default="meta", help="provider to check (default meta)")
    parser.add_argument("--burst", type=int, default=50, help="burst size (default 50)")
    args = parser.parse_args()
    if args.handler:
        asyncio.run(handler_main(args.handler))
        return
    proc, url = start_process([PYTHON, __file__, "--handler", args.provider])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, results, groups = asyncio.run(
                run_check(url, args.provider, args.burst, Path(tmp) / "check.db")
            )
        baseline = asyncio.run(run_bare(url, groups))
    finally:
        stop(proc)
    for result in results:
        print(f"  {result.line()}")
    count = sum(len(group) for group in groups)
    failed = sum(result.grade in ("fail", "warn") for result in results)
    ratio = elapsed / baseline if baseline else 0.0
    print(f"check ({args.provider}, burst {args.burst}): {count} requests in {elapsed:.2f} s "
          f"= {count / elapsed:.0f} req/s (sending, grading and storing)")
    print(f"bare aiohttp client, same requests: {baseline:.2f} s = {count / baseline:.0f} req/s")
    print(f"the check takes {ratio:.1f}x the bare client's time")
    print(result_line(check_s=elapsed, check_rps=count / elapsed, baseline_s=baseline,
                      baseline_rps=count / baseline, ratio=ratio, requests=count, failed=failed))


if __name__ == "__main__":
    main()
