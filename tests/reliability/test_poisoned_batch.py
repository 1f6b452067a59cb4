"""One bad row never fails its group-commit neighbours; a Content-Length SQLite cannot hold as an
integer still leaves a refusal record."""

from __future__ import annotations

import asyncio
import sqlite3

import aiohttp

from inspector.core.service import InspectorService

from .conftest import StartService, raw_exchange

NORMAL = 400
HUGE = (2**63, 2**64 - 1, 2**64 - 2, 2**63 + 12345)


async def post_all(url: str, count: int) -> list[tuple[int, str]]:
    """`count` POSTs at 50 concurrent: (status, path) each."""
    slots = asyncio.Semaphore(50)
    async with aiohttp.ClientSession() as session:

        async def one(n: int) -> tuple[int, str]:
            async with slots, session.post(f"{url}/normal/{n}", data=b'{"n": %d}' % n) as response:
                await response.read()
                return response.status, f"/normal/{n}"

        return await asyncio.gather(*(one(n) for n in range(count)))


def huge_request(size: int) -> bytes:
    return (b"POST /huge HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\nabc" % size)


def stored_paths(svc: InspectorService) -> dict[str, tuple[int | None, str | None, int | None]]:
    assert svc.store is not None
    rows = svc.store.reader().execute(
        "SELECT path || '?' || id, response_status, refused, declared_size FROM requests"
    ).fetchall()
    return {path: (status, refused, size) for path, status, refused, size in rows}


async def test_huge_content_length_is_413_with_a_record_and_neighbours_are_stored(
    start_service: StartService, figure
) -> None:
    svc = await start_service()
    assert svc.receiver is not None
    assert svc.receiver.port is not None
    port = svc.receiver.port
    huge = [raw_exchange(port, huge_request(size)) for size in HUGE for _ in range(2)]
    normal, *answers = await asyncio.gather(post_all(svc.url or "", NORMAL), *huge)
    await svc.settled()
    # answered, then the connection closed (raw_exchange reads until the server closes)
    assert all(answer.startswith(b"HTTP/1.1 413 ") for answer in answers), answers
    assert [status for status, _ in normal] == [200] * NORMAL
    rows = stored_paths(svc)
    normal_rows = [row for path, row in rows.items() if path.startswith("/normal/")]
    huge_rows = [row for path, row in rows.items() if path.startswith("/huge")]
    assert len(normal_rows) == NORMAL
    assert len(huge_rows) == len(HUGE) * 2
    assert all(status == 413 and refused for status, refused, _ in huge_rows)
    assert {size for _, _, size in huge_rows} == {2**63 - 1}
    reasons = {refused for _, refused, _ in huge_rows}
    assert any(str(2**64 - 1) in (reason or "") for reason in reasons)
    figure(f"{len(answers)} × 413 for Content-Length 2^63…2^64−1, {len(huge_rows)} refusal records "
           f"(size kept as 2^63−1, exact figure in the reason); {NORMAL}/{NORMAL} normal 200 and "
           "stored")  # fmt: skip


async def test_a_row_that_cannot_be_stored_fails_alone(
    start_service: StartService, figure
) -> None:
    """A trigger refuses one path: every batch it shares with normal requests still commits
    those (the writer retries row by row), only the poisoned requests get 503."""
    svc = await start_service()
    conn = sqlite3.connect(svc.db_path, isolation_level=None)
    conn.execute("CREATE TRIGGER poison BEFORE INSERT ON requests WHEN NEW.path LIKE '/poison%'"
                 " BEGIN SELECT RAISE(ABORT, 'poisoned row'); END")  # fmt: skip
    conn.close()
    slots = asyncio.Semaphore(50)
    async with aiohttp.ClientSession() as session:

        async def one(path: str) -> tuple[str, int]:
            async with slots, session.post(f"{svc.url}{path}", data=b"{}") as response:
                await response.read()
                return path, response.status

        paths = [f"/poison/{n}" if n % 20 == 0 else f"/normal/{n}" for n in range(NORMAL)]
        answers = await asyncio.gather(*(one(path) for path in paths))
    await svc.settled()
    poisoned = [status for path, status in answers if path.startswith("/poison")]
    normal = [status for path, status in answers if path.startswith("/normal")]
    assert poisoned == [503] * len(poisoned)
    assert normal == [200] * len(normal)
    assert svc.store is not None
    assert svc.store.count() == len(normal)
    figure(f"{len(poisoned)} poisoned rows → 503 each; {len(normal)}/{len(normal)} neighbours "
           "200 and stored")  # fmt: skip
