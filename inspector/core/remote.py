"""The capture service in its own process, driven from the app's process.

The desktop app used to run the service (aiohttp receiver, stream sources, replays) on a thread
of the GUI process. Every webhook then competed with painting for that process's interpreter
lock: the window stalled for 100-200 ms under a burst and capture slowed down. `RemoteService`
runs an `InspectorService` in a child process ("inspector-core", which starts the writer
process in turn) and offers the app the same methods:

- it opens the store itself first (quarantine and migration happen here, and the history can be
  read at once; `StoreOpened` is published before the child is up), and reads it directly;
- each method the app calls (`replay`, `update_settings`, ...) is sent to the child and its
  result or exception comes back; every reply carries the child's settings (a replay
  remembers its target there);
- the child's events come back as they are, except `RequestsStored`, which becomes the slim
  `Analysed` (ids and the number of invalid signatures; no bodies cross the pipe).

The child stops when told to or when the pipe closes (the app crashed): it never outlives
the app.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import pickle
import signal
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from inspector.core import loops
from inspector.core.config import Settings
from inspector.core.events import (
    Analysed,
    Listener,
    ReceiverState,
    RequestsCommitted,
    RequestsStored,
    SourceState,
    StoreOpened,
    merge_state,
)
from inspector.core.models import CapturedRequest, ReplayAttempt
from inspector.core.receiver import ReceiverError
from inspector.core.replay import ReplayOptions
from inspector.core.service import InspectorService
from inspector.core.sse import SseSource
from inspector.core.store import Quarantine, Store, StoreError
from inspector.core.tasks import TaskGroup
from inspector.core.writer import PipeWire, connect_pipe, end_child

log = logging.getLogger(__name__)
CALLS = frozenset({
    "add_source", "clear", "delete", "ingest", "prune", "record_sent", "remove_source", "replay",
    "replay_many", "rederive_all", "restart_receiver", "settled", "update_settings",
})  # fmt: skip
"""The service methods the app may call in the child process."""
RESTARTS = 3
"""A capture process that stops unexpectedly is started again, at most this many times."""
EVENT_DELAY = 0.02
"""While requests keep coming, the capture process sends the committed and analysed ids it
gathered at most once per EVENT_DELAY seconds: one message per 20 ms in a burst instead of one
per batch of 8 requests (each costs both processes a pickle, a write and a wake-up). After a
quiet spell the first ids go at once (on the loop's next turn), so a lone webhook is not
delayed."""


class CoreGone(StoreError):
    """The capture process stopped (or could not start)."""


class RemoteService:
    """An InspectorService in a child process; start with `await start()`, stop with
    `await stop()`, all methods on one loop (the app's core thread)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store | None = None
        self.quarantined: Quarantine | None = None
        self.url: str | None = None
        self._listeners: list[Listener] = []
        self._sources: dict[str, SourceState] = {}
        self._calls: dict[int, asyncio.Future[Any]] = {}
        self._call_ids = itertools.count(1)
        self._process: Any = None
        self._connection: Connection | None = None
        self._wire: PipeWire | None = None
        self._started: asyncio.Future[BaseException | None] | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._gone: str | None = None
        self._listen = True
        self._restarts = 0
        self._restarting = TaskGroup()
        """The restart after the process died (at most one); `stop` waits for it."""
        self._version = 0
        """Counts update_settings calls: replies echo the last one the child applied, and
        settings from a reply older than the newest update are not taken back."""

    @property
    def db_path(self) -> Path:
        return self.settings.db_path

    @property
    def process_id(self) -> int | None:
        return self._process.pid if self._process is not None else None

    # lifecycle

    async def start(self, *, listen: bool = True) -> None:
        """Open the store, then start the capture process. Raises ReceiverError when the port
        cannot be bound (the process keeps running: the port can be changed), CoreGone or
        StoreError when the process cannot start."""
        loop = asyncio.get_running_loop()
        self._started = loop.create_future()  # calls made meanwhile wait for it
        self._listen = listen
        path, durable = self.settings.db_path, self.settings.durable
        try:
            self.store = await loop.run_in_executor(None, lambda: Store.open(path, durable=durable))
        except BaseException as exc:
            _resolve(self._started, CoreGone(f"the history database cannot be opened: {exc}"))
            raise
        self.quarantined = self.store.quarantined
        self._publish(StoreOpened())
        try:
            await self._spawn()
        except BaseException as exc:
            _resolve(self._started, CoreGone(f"the capture process cannot start: {exc}"))
            raise
        error = await self._started
        if error is not None:
            raise error

    async def _spawn(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe(duplex=True)
        # not a daemon: daemonic processes may not start the writer process
        self._process = context.Process(
            target=core_main, args=(child_end, self.settings, self._listen), name="inspector-core"
        )
        self._process.start()
        child_end.close()
        self._connection = parent_end
        self._wire = await connect_pipe(parent_end, self._dispatch, self._lost)

    async def _restart(self) -> None:
        """Start the capture process again after it stopped unexpectedly (the store stays
        open here; the new writer process analyses what the old one left)."""
        await end_child("the capture process", None, self._process, self._wire, self._connection)
        self._gone = None
        try:
            await self._spawn()
        except Exception as exc:
            self._gone = f"the capture process cannot start again: {exc}"
            _resolve(self._started, CoreGone(self._gone))
            self._publish(ReceiverState(None, self._gone))
            return
        if self._started is not None:
            await self._started  # a port now taken is published by the process itself

    async def stop(self) -> None:
        """Stop the capture process (it finishes storing what it accepted) and close."""
        await self._restarting.wait()
        if self._wire is not None and self._gone is None:
            self._stopped = asyncio.get_running_loop().create_future()
            try:
                self._wire.send(("stop",))
            except StoreError:
                _resolve(self._stopped, None)  # the pipe is closing already
        await end_child("the capture process", self._stopped, self._process, self._wire,
                        self._connection)  # fmt: skip
        if self.store is not None:
            self.store.close()
        if self.url is not None:
            self._publish(ReceiverState(None))

    def abandon(self) -> None:
        """After a stop that gave up (the loop is gone): end the capture process now, so that
        the app's exit, which waits for its child processes, cannot hang. Requests it had not
        committed were never answered 2xx."""
        process = self._process
        if process is not None and process.pid is not None and process.is_alive():
            process.kill()
        if self._connection is not None:
            self._connection.close()

    # events

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on this loop for every event; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _publish(self, event: object) -> None:
        if isinstance(event, ReceiverState):
            self.url = event.url
        elif isinstance(event, SourceState):
            merge_state(self._sources, event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("listener failed on %r", type(event).__name__)

    def sources(self) -> list[SourceState]:
        """The last known state of every stream source."""
        return list(self._sources.values())

    # the service's methods, run in the child

    async def ingest(self, request: CapturedRequest) -> int:
        return int(await self._call("ingest", request))

    async def record_sent(
        self, exchanges: Sequence[tuple[CapturedRequest, ReplayAttempt]]
    ) -> list[int]:
        return list(await self._call("record_sent", list(exchanges)))

    async def replay(
        self, request_id: int, target: str | None = None, **options: Any
    ) -> ReplayAttempt:
        attempt: ReplayAttempt = await self._call("replay", request_id, target, **options)
        return attempt

    async def replay_many(
        self,
        request_ids: Sequence[int],
        target: str | None = None,
        *,
        options: ReplayOptions | None = None,
    ) -> list[ReplayAttempt]:
        attempts: list[ReplayAttempt] = await self._call(
            "replay_many", list(request_ids), target, options=options
        )
        return attempts

    async def update_settings(self, settings: Settings) -> None:
        self.settings = settings
        self._version += 1
        await self._call("update_settings", settings)

    async def restart_receiver(self) -> None:
        await self._call("restart_receiver")

    async def delete(self, ids: Sequence[int]) -> int:
        return int(await self._call("delete", list(ids)))

    async def clear(self) -> None:
        await self._call("clear")

    async def prune(self) -> int:
        return int(await self._call("prune"))

    async def rederive_all(self) -> int:
        return int(await self._call("rederive_all"))

    async def add_source(self, source: SseSource) -> None:
        await self._call("add_source", source)

    async def remove_source(self, name: str) -> bool:
        return bool(await self._call("remove_source", name))

    async def settled(self) -> None:
        """Wait until everything captured so far is stored and analysed."""
        await self._call("settled")

    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._started is not None:  # the history shows before the process is up
            error = await asyncio.shield(self._started)
            if error is not None and not isinstance(error, ReceiverError):
                raise CoreGone(str(error))
        if self._wire is None or self._gone is not None:
            raise CoreGone(self._gone or "the capture process is not running")
        call_id = next(self._call_ids)
        future = self._calls[call_id] = asyncio.get_running_loop().create_future()
        self._wire.send(("call", call_id, name, args, kwargs, self._version))
        return await future

    # the pipe

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "event":
            self._publish(message[1])
        elif kind == "reply":
            _, call_id, ok, value, settings, version = message
            if version >= self._version:
                self.settings = settings
            future = self._calls.pop(call_id)
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)
        elif kind == "started":
            _, error, sources = message
            for state in sources:
                self._sources[state.name] = state
            _resolve(self._started, error)
        elif kind == "stopped":
            _resolve(self._stopped, None)

    def _lost(self, exc: Exception | None) -> None:
        orderly = self._stopped is not None
        self._gone = "the capture process " + ("has stopped" if orderly else "stopped unexpectedly")
        for future in self._calls.values():
            if not future.done():
                future.set_exception(CoreGone(self._gone))
        self._calls.clear()
        was_running = self._started is not None and self._started.done()
        _resolve(self._started, CoreGone(self._gone))
        _resolve(self._stopped, None)
        if orderly:
            return
        log.error("%s (%r)", self._gone, exc)
        again = was_running and self._restarts < RESTARTS
        self._publish(ReceiverState(None, self._gone + ("; starting it again" if again else "")))
        if again:
            self._restarts += 1
            loop = asyncio.get_running_loop()
            self._started = loop.create_future()  # calls made meanwhile wait for the restart
            self._restarting.spawn(self._restart(), name="restart the capture process")


def _resolve(future: asyncio.Future[Any] | None, value: Any) -> None:
    if future is not None and not future.done():
        future.set_result(value)


# --- the capture process --------------------------------------------------------------------


def core_main(conn: Connection, settings: Settings, listen: bool) -> None:
    """Entry point of the capture process: runs the service until told to stop or until the
    app's end of the pipe closes."""
    for number in (signal.SIGINT, signal.SIGTERM):  # the app decides when to stop
        signal.signal(number, signal.SIG_IGN)
    try:
        loops.run(_Core(conn, settings).run(listen))
    except loops.LoopError as exc:  # a bad WEBHOOK_INSPECTOR_LOOP: run on asyncio's loop
        log.error("%s; using asyncio's event loop", exc)
        loops.run(_Core(conn, settings).run(listen), "asyncio")


class _Core:
    def __init__(self, conn: Connection, settings: Settings) -> None:
        self.conn = conn
        self.service = InspectorService(settings, store_checked=True)
        self.wire: PipeWire | None = None
        self.done: asyncio.Future[None] | None = None
        self.tasks = TaskGroup()
        """The calls being run; cancelled once the service has stopped."""
        self.version = 0
        """The last update_settings (counted by the app) the service has applied."""
        self.committed: list[int] = []
        self.analysed: list[int] = []
        self.invalid = 0
        self.flush_due: asyncio.TimerHandle | None = None
        self.flushed_at = float("-inf")
        """When gathered ids were last sent (loop time)."""

    async def run(self, listen: bool) -> None:
        self.done = asyncio.get_running_loop().create_future()
        self.wire = await connect_pipe(self.conn, self._on_message, self._on_lost)
        self.service.subscribe(self._forward)
        try:
            await self.service.start(listen=listen)
        except ReceiverError as exc:  # the store works: keep running, the port can change
            self._send(("started", exc, self.service.sources()))
        except BaseException as exc:
            self._send(("started", _portable(exc), []))
            await self.service.stop()
            return
        else:
            self._send(("started", None, self.service.sources()))
        await self.done
        await self.service.stop()
        self._flush_events()
        self._send(("stopped",))
        self.wire.close()
        await self.tasks.close()

    def _forward(self, event: object) -> None:
        if isinstance(event, StoreOpened):
            return  # the app opened the store itself, before this process started
        if isinstance(event, RequestsCommitted):
            self.committed += event.ids
            self._flush_soon()
        elif isinstance(event, RequestsStored):
            self.analysed += event.ids
            self.invalid += event.invalid
            self._flush_soon()
        else:
            self._flush_events()  # what was published before goes first
            self._send(("event", event))

    def _flush_soon(self) -> None:
        """Send the gathered ids on the loop's next turn, or EVENT_DELAY after the last send
        when that was more recent (leading edge, then a trailing timer)."""
        if self.flush_due is None:
            loop = asyncio.get_running_loop()
            wait = max(0.0, self.flushed_at + EVENT_DELAY - loop.time())
            self.flush_due = loop.call_later(wait, self._flush_events)

    def _flush_events(self) -> None:
        """Send the gathered ids: committed first (analysed ids were all committed before)."""
        if self.flush_due is not None:
            self.flush_due.cancel()
            self.flush_due = None
        if self.committed or self.analysed:
            self.flushed_at = asyncio.get_running_loop().time()
        if self.committed:
            self._send(("event", RequestsCommitted(tuple(self.committed))))
            self.committed = []
        if self.analysed:
            self._send(("event", Analysed(tuple(self.analysed), self.invalid)))
            self.analysed, self.invalid = [], 0

    def _on_message(self, message: tuple[Any, ...]) -> None:
        if message[0] == "call":
            self.tasks.spawn(self._run_call(*message[1:]), name=f"call {message[2]}")
        elif message[0] == "stop":
            _resolve(self.done, None)

    async def _run_call(
        self, call_id: int, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], version: int
    ) -> None:
        try:
            if name not in CALLS:
                raise ValueError(f"not a service call: {name!r}")
            if name == "update_settings":
                # the service takes the new settings in the same step as this assignment
                self.version = version
            value = await getattr(self.service, name)(*args, **kwargs)
        except Exception as exc:
            reply: tuple[Any, ...] = ("reply", call_id, False, _portable(exc))
        else:
            reply = ("reply", call_id, True, value)
        self._flush_events()  # events the call caused arrive before its reply
        self._send((*reply, self.service.settings, self.version))

    def _on_lost(self, exc: Exception | None) -> None:
        _resolve(self.done, None)  # the app is gone: stop too

    def _send(self, message: tuple[Any, ...]) -> None:
        if self.wire is None:
            return
        try:
            self.wire.send(message)
        except StoreError:
            _resolve(self.done, None)


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc
