"""The single writer: group commit in a separate process.

Capture (the aiohttp receiver) and storage run in different processes, so the Python work of
writing and analysing never competes with the receiver for the interpreter lock: the receiver
keeps answering while the writer commits, and a window repainting in the same process as the
receiver does not slow either.

Two stages run in the writer process, each on its own thread and SQLite connection:
(1) commit the raw requests of a batch, then send their ids back (the receiver answers 2xx only
then); requests that arrive while a commit runs go together in the next one (group commit);
(2) derive provider, events and signature status, index for search, and send the results back
(`on_stored`). During bursts stage 2 lags, then catches up; rows a crash left unanalysed are
analysed when the writer starts again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from inspector.core.models import CapturedRequest, Derived, Event, reduce_by_fields
from inspector.core.store import Record, Store, StoreError
from inspector.core.tasks import TaskGroup

log = logging.getLogger(__name__)
MAX_BATCH = 512
IN_FLIGHT = 2
ANALYSE_BATCH = 32
CHECKPOINT_EVERY = 1.0
"""Seconds between WAL checkpoints when capture is quiet."""
BUSY_CHECKPOINT = 10.0
BUSY_WINDOW = 0.2
"""Capture counts as busy when a commit happened within this many seconds."""
MIN_ANALYSIS_INTERVAL = 0.01
BUSY_RATIO = 4.0
"""While capture is busy, analysis waits this many times as long as its last batch took."""
T = TypeVar("T")
Derive = Callable[[CapturedRequest], Derived]


@dataclass(frozen=True, slots=True)
class Stored:
    """One committed and analysed request: its id and what was written."""

    __reduce__ = reduce_by_fields

    id: int
    record: Record


@dataclass(slots=True)
class _Pending:
    request: CapturedRequest
    response_status: int | None
    response_headers: tuple[tuple[str, str], ...]
    response_body: bytes
    future: asyncio.Future[int]


class GroupWriter:
    """Accepts requests from coroutines on one loop; a writer process commits them.

    `derive` must be picklable (a module-level function or a functools.partial of one): it
    runs in the writer process. `on_stored` is called on the event loop with analysed requests.
    """

    def __init__(self, store: Store, derive: Derive, on_stored: Callable[[Sequence[Stored]], None]):
        self.store = store
        self._derive = derive
        self._on_stored = on_stored
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-ops")
        self._tasks = TaskGroup()
        self._channel: _Channel | None = None
        self._process: Any = None
        self._replies: deque[asyncio.Future[Any]] = deque()
        self._settles: deque[asyncio.Future[None]] = deque()
        self._stopped: asyncio.Future[None] | None = None
        self._dead: str | None = None

    async def start(self) -> None:
        """Start the writer process (it finishes rows a previous run left unanalysed)."""
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe(duplex=True)
        self._process = context.Process(
            target=writer_main,
            args=(child_end, str(self.store.path), self.store.durable, self._derive),
            name="inspector-writer",
            daemon=True,
        )
        self._process.start()
        child_end.close()
        self._channel = _Channel(parent_end)
        await self._channel.open()
        self._tasks.spawn(self._run(), name="group-writer")
        self._tasks.spawn(self._read_replies(), name="writer-replies")

    async def close(self) -> None:
        """Commit and analyse what is queued, then stop the writer process."""
        await self._queue.join()
        if self._channel is not None and self._dead is None:
            self._stopped = asyncio.get_running_loop().create_future()
            await self._channel.send(("stop",))
            try:
                await asyncio.wait_for(self._stopped, 60)
            except TimeoutError:
                log.error("writer process did not stop in time")
        await self._tasks.close()
        if self._process is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._process.join, 10)
            if self._process.is_alive():
                self._process.kill()
        if self._channel is not None:
            self._channel.close()
        self.executor.shutdown(wait=True)

    async def submit(
        self,
        request: CapturedRequest,
        response_status: int | None = None,
        response_headers: tuple[tuple[str, str], ...] = (),
        response_body: bytes = b"",
    ) -> int:
        """Store `request`; returns its id once committed. Raises StoreError when it cannot."""
        if self._dead is not None:
            raise StoreError(self._dead)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        pending = _Pending(request, response_status, response_headers, response_body, future)
        self._queue.put_nowait(pending)
        return await future

    async def set_derive(self, derive: Derive) -> None:
        """Analyse from now on with `derive` (after settings changed)."""
        self._derive = derive
        if self._channel is not None:
            await self._channel.send(("derive", derive))

    async def settled(self) -> None:
        """Wait until everything submitted so far is committed and analysed."""
        await self._queue.join()
        if self._channel is None or self._dead is not None:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._settles.append(future)
        await self._channel.send(("settle",))
        await future

    async def run_on_writer(self, func: Callable[[], T]) -> T:
        """Run `func` on a thread of this process with the store's own connection (deletes,
        clears, re-derivation: SQLite serialises them with the writer process)."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, func)

    # stage 1: batches go to the writer process in order, a couple in flight (while one
    # commits, the next one travels), the process answers them in order

    async def _run(self) -> None:
        slots = asyncio.Semaphore(IN_FLIGHT)
        while True:
            await slots.acquire()
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            self._tasks.spawn(self._commit_batch(batch, slots), name="commit")

    async def _commit_batch(self, batch: list[_Pending], slots: asyncio.Semaphore) -> None:
        try:
            await self._commit(batch)
        finally:
            slots.release()
            for _ in batch:
                self._queue.task_done()

    async def _commit(self, batch: list[_Pending]) -> None:
        records = [
            Record(p.request, None, p.response_status, p.response_headers, p.response_body)
            for p in batch
        ]
        try:
            ids = await self._insert(records)
        except StoreError as exc:
            _fail(batch, exc)
            return
        for pending, request_id in zip(batch, ids, strict=True):
            if not pending.future.done():
                pending.future.set_result(request_id)

    async def _insert(self, records: list[Record]) -> list[int]:
        """Send one batch to the writer process and wait for its ids (or its error)."""
        assert self._channel is not None
        if self._dead is not None:
            raise StoreError(self._dead)
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._replies.append(reply)
        try:
            await self._channel.send(("insert", records))
        except (OSError, ConnectionError) as exc:
            self._replies.remove(reply)
            self._died(f"the store writer process stopped unexpectedly ({exc!r})")
            raise StoreError(str(self._dead)) from exc
        kind, value = await reply
        if kind == "error":
            raise StoreError(value)
        return list(value)

    async def _read_replies(self) -> None:
        assert self._channel is not None
        try:
            while True:
                self._dispatch(await self._channel.receive())
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            self._died(f"the store writer process stopped unexpectedly ({exc!r})")

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind in ("ids", "error"):
            _resolve(self._replies.popleft(), (kind, message[1]))
        elif kind == "analysed":
            self._on_stored(message[1])
        elif kind == "settled":
            _resolve(self._settles.popleft(), None)
        elif kind == "stopped" and self._stopped is not None:
            _resolve(self._stopped, None)

    def _died(self, reason: str) -> None:
        if self._stopped is not None and self._stopped.done():
            return  # an orderly stop
        self._dead = reason
        log.error(reason)
        for future in [*self._replies, *self._settles]:
            if not future.done():
                future.set_exception(StoreError(reason))
        if self._stopped is not None:
            _resolve(self._stopped, None)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(batch: list[_Pending], exc: Exception) -> None:
    for pending in batch:
        if not pending.future.done():
            pending.future.set_exception(exc)


# --- the pipe, read and written with asyncio in the parent ----------------------------------


class _Channel:
    """Pickled messages over the parent's end of a multiprocessing Pipe, with the Pipe's own
    framing (4-byte big-endian length; -1 then an 8-byte length for huge messages)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._sock = socket.socket(fileno=os.dup(connection.fileno()))
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(sock=self._sock)

    async def send(self, message: object) -> None:
        assert self._writer is not None
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        header = struct.pack("!i", len(data)) if len(data) < 0x7FFFFFFF else (
            struct.pack("!i", -1) + struct.pack("!Q", len(data))
        )  # fmt: skip
        async with self._lock:
            self._writer.write(header + data)
            await self._writer.drain()

    async def receive(self) -> tuple[Any, ...]:
        assert self._reader is not None
        (size,) = struct.unpack("!i", await self._reader.readexactly(4))
        if size == -1:
            (size,) = struct.unpack("!Q", await self._reader.readexactly(8))
        message: tuple[Any, ...] = pickle.loads(await self._reader.readexactly(size))
        return message

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        else:
            self._sock.close()
        self._connection.close()


# --- the writer process ---------------------------------------------------------------------


def writer_main(conn: Connection, path: str, durable: bool, derive: Derive) -> None:
    """Entry point of the writer process: commits batches in order, analyses in the background,
    exits when told to stop or when the parent goes away."""
    # Ctrl-C in a terminal (and a service manager's SIGTERM) reaches the whole process group:
    # the parent decides when to stop; this process finishes its work and exits with it.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)
    writer = _ChildWriter(conn, path, durable, derive)
    try:
        writer.serve()
    finally:
        writer.close()


class _ChildWriter:
    """One thread, one connection: a commit never waits for a lock held by analysis.

    Incoming batches always go first; analysis runs in small batches whenever no batch is
    waiting, and while webhooks keep arriving it leaves most of the time to capture (the wait
    for the next message ends at once when one arrives)."""

    def __init__(self, conn: Connection, path: str, durable: bool, derive: Derive) -> None:
        self.conn = conn
        self.store = Store(Path(path), durable=durable)  # the parent created and migrated it
        # WAL checkpoints (which fsync) run when analysis is idle, not inside a commit
        self.store.writer().execute("PRAGMA wal_autocheckpoint = 0")
        self.derive = derive
        self.work = True  # rows a previous run may have left unanalysed
        self.settles = 0
        self.stopping = False
        self.last_capture = 0.0
        self.last_checkpoint = 0.0

    def send(self, message: object) -> None:
        self.conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def serve(self) -> None:
        while True:
            try:
                if self.work and self._analysis_due():
                    self.analyse_some()
                elif self.conn.poll(self._wait_time()):
                    self.handle(pickle.loads(self.conn.recv_bytes()))
                elif self.work:
                    self.analyse_some()
                elif not self.answer_requests():
                    return
                else:
                    self.checkpoint(every=CHECKPOINT_EVERY)
            except (EOFError, OSError):
                return  # the parent is gone: whatever was committed stays committed

    def _analysis_due(self) -> bool:
        """Analysis gets its share even while batches keep arriving (a steady stream must
        not starve it): one batch every BUSY_RATIO times as long as the last one took."""
        interval = max(self.last_analysis * BUSY_RATIO, MIN_ANALYSIS_INTERVAL)
        return time.monotonic() - self.analysed_at >= interval

    def _wait_time(self) -> float:
        """How long to wait for a message before doing background work."""
        if not self.work:
            return 0.0 if (self.settles or self.stopping) else 1.0
        busy = time.monotonic() - self.last_capture < BUSY_WINDOW
        return self.last_analysis * BUSY_RATIO if busy else 0.0

    def handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "insert":
            self.insert(message[1])
        elif kind == "derive":
            self.derive = message[1]
        elif kind == "settle":
            self.settles += 1
        elif kind == "stop":
            self.stopping = True

    def answer_requests(self) -> bool:
        """Everything received so far is analysed: answer settles; False once told to stop."""
        for _ in range(self.settles):
            self.send(("settled",))
        self.settles = 0
        if self.stopping:
            self.send(("stopped",))
            return False
        return True

    def insert(self, records: list[Record]) -> None:
        try:
            ids = self.store.insert_many(records)
        except StoreError as exc:
            self.send(("error", str(exc)))
            return
        except Exception as exc:
            log.exception("insert failed")
            self.send(("error", f"cannot store request: {exc}"))
            return
        self.send(("ids", ids))
        self.work = True
        self.last_capture = time.monotonic()

    last_analysis = 0.0
    analysed_at = 0.0

    def analyse_some(self) -> None:
        started = time.monotonic()
        self.work = self.analyse_batch() == ANALYSE_BATCH
        self.analysed_at = time.monotonic()
        self.last_analysis = self.analysed_at - started

    def analyse_batch(self) -> int:
        try:
            pending = self.store.pending(ANALYSE_BATCH)
            analysed = [(s.id, self.safe_derive(s.request)) for s in pending]
            self.store.apply_analysis(analysed)
        except Exception:
            log.exception("analysis failed; rows stay unanalysed until the next start")
            return 0
        if pending:
            stored = [
                Stored(s.id, Record(s.request, d, s.response_status, s.response_headers,
                                    s.response_body))
                for s, (_, d) in zip(pending, analysed, strict=True)
            ]  # fmt: skip
            self.send(("analysed", stored))
        return len(pending)

    def checkpoint(self, every: float) -> None:
        """A WAL checkpoint (it fsyncs): when capture is quiet, or every BUSY_CHECKPOINT
        seconds during a long burst so that the WAL does not grow without bound."""
        now = time.monotonic()
        quiet = now - self.last_capture > BUSY_WINDOW
        due = now - self.last_checkpoint >= (every if quiet else BUSY_CHECKPOINT)
        if not due:
            return
        try:
            self.store.checkpoint()
        except Exception:
            log.exception("checkpoint failed")
        self.last_checkpoint = time.monotonic()

    def safe_derive(self, request: CapturedRequest) -> Derived:
        try:
            return self.derive(request)
        except Exception as exc:  # a bug in a detector must not lose the request
            log.exception("deriving failed")
            return Derived("generic", (Event("generic", "error", f"could not analyse: {exc}"),))

    def close(self) -> None:
        self.store.close()
        self.conn.close()
