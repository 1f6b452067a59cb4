"""The GUI's only door to the core.

The capture service runs in its own process (`core.remote`): webhooks never compete with
painting for this process's interpreter lock. A worker thread here runs the loop that talks to
it. Service events arrive on that thread; `CoreBridge` re-emits them as Qt signals, which
reach slots in the GUI thread queued. Work for the core goes through `call` (an awaitable, for
qasync code) or `run` (a callback delivered on the GUI thread, for plain slots). Neither blocks
the GUI thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from inspector.core.config import Settings
from inspector.core.events import (
    Analysed,
    ForwardDone,
    Handlers,
    Pruned,
    ReceiverState,
    Rederived,
    ReplayDone,
    RequestsCommitted,
    SourceState,
    StoreOpened,
    StoreState,
    dispatch,
)
from inspector.core.remote import RemoteService
from inspector.core.responses import ResponseCounts
from inspector.core.runner import ServiceThread
from inspector.core.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
Callback = Callable[[Any], None]


class CoreBridge(QObject):
    """Owns a RemoteService inside a ServiceThread and adapts its events to Qt signals.

    Signals (always delivered in the thread this object lives in, the GUI thread):
        committed(list): ids of newly committed requests, not analysed yet.
        stored(list): ids of requests just analysed (provider, events, signature status).
        counted(int, int): how many requests were just stored, and how many of them have an
            invalid signature (for the status bar; saves a COUNT query per burst).
        receiverChanged(str, str): receiver URL ("" when not listening) and error ("" if none).
        storeOpened(): the history can be read (the writer process may still be starting).
        storeChanged(bool, str): whether the store can be written, and why not.
        rederived(int): derived columns of this many requests were recomputed.
        pruned(int, str): retention deleted this many requests; the rule that did it
            (e.g. "retention: keep the last 1000 requests"). Deletions are never silent.
        started(str): the service finished starting; the error message, or "" on success.
        replayed(object): a replay attempt was made and recorded (a ReplayAttempt).
        forwarded(object): a captured request was forwarded (a ForwardDone).
        sourceChanged(object): an event-stream source changed state (a SourceState).
        responsesCounted(object): the response rules' counters (a tuple of responses.Tally).
    """

    committed = Signal(list)
    stored = Signal(list)
    counted = Signal(int, int)
    receiverChanged = Signal(str, str)
    storeOpened = Signal()
    storeChanged = Signal(bool, str)
    rederived = Signal(int)
    pruned = Signal(int, str)
    started = Signal(str)
    replayed = Signal(object)
    forwarded = Signal(object)
    sourceChanged = Signal(object)
    responsesCounted = Signal(object)
    _finished = Signal(object, object, object)  # callback, result, error -> GUI thread

    def __init__(
        self, settings: Settings, parent: QObject | None = None, *, listen: bool = True
    ) -> None:
        super().__init__(parent)
        self.service = RemoteService(settings)
        self.thread = ServiceThread(self.service, listen=listen)
        self.start_error: BaseException | None = None
        self._handlers = self._event_handlers()
        self._unsubscribe: Callable[[], None] | None = self.service.subscribe(self._on_event)
        self._io = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="gui-io")
        # queued even from the GUI thread: a callback never runs inside run()/background(),
        # even when the future is already done when its callback is attached
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._stopped = False

    # lifecycle

    def start(self) -> concurrent.futures.Future[None]:
        """Start the core thread; `started` is emitted when the service is up (or failed)."""
        future = self.thread.start()
        future.add_done_callback(self._on_started)
        return future

    def _on_started(self, future: concurrent.futures.Future[None]) -> None:
        error = future.exception()
        self.start_error = error
        if error is not None:
            log.warning("core started with an error: %s", error)
        self.started.emit("" if error is None else str(error) or type(error).__name__)

    def stop(self) -> None:
        """Stop the service and its thread (blocks until it has stopped; for shutdown)."""
        if self._stopped:
            return
        self._stopped = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._io.shutdown(wait=True, cancel_futures=True)
        try:
            self.thread.stop()
        except Exception:  # shutting down anyway: say why, do not hang or crash the exit
            log.exception("the core did not stop cleanly")
            self.service.abandon()

    @property
    def running(self) -> bool:
        """Whether the core thread is alive."""
        return self.thread._thread.is_alive()

    @property
    def store(self) -> Store | None:
        """The open store (None until started, or when it could not be opened)."""
        return self.service.store

    # work

    def call(self, coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        """Run `coro` on the core loop; await the result from a qasync coroutine.

        Must be called with the GUI's loop running (inside a coroutine or asyncSlot)."""
        return asyncio.wrap_future(self.thread.submit(coro), loop=asyncio.get_running_loop())

    def run(
        self,
        coro: Coroutine[Any, Any, Any],
        on_done: Callback | None = None,
        on_error: Callback | None = None,
    ) -> concurrent.futures.Future[Any]:
        """Run `coro` on the core loop; `on_done(result)` or `on_error(exception)` is then
        called on the GUI thread, always from the event loop (never before this returns).
        Errors without `on_error` are logged."""
        future = self.thread.submit(coro)
        future.add_done_callback(lambda f: self._relay(f, on_done, on_error))
        return future

    def background(
        self,
        func: Callable[[], Any],
        on_done: Callback | None = None,
        on_error: Callback | None = None,
    ) -> concurrent.futures.Future[Any]:
        """Run blocking `func` (e.g. reading the store for an export) on a GUI-side worker
        thread that has its own store read connection; callbacks as in `run`."""
        future = self._io.submit(func)
        future.add_done_callback(lambda f: self._relay(f, on_done, on_error))
        return future

    def _relay(
        self, future: concurrent.futures.Future[Any], on_done: Callback | None,
        on_error: Callback | None,
    ) -> None:  # fmt: skip
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            if on_error is None:
                log.error("core call failed", exc_info=error)
            else:
                self._finished.emit(on_error, None, error)
        elif on_done is not None:
            self._finished.emit(on_done, future.result(), None)

    def _deliver(self, callback: Callback, result: object, error: object) -> None:
        callback(error if error is not None else result)

    # events (called on the core thread)

    def _on_event(self, event: object) -> None:
        dispatch(self._handlers, event)

    def _event_handlers(self) -> Handlers:
        """Service event type -> the signal it becomes."""
        return {
            RequestsCommitted: lambda event: self.committed.emit(list(event.ids)),
            Analysed: self._on_analysed,
            ReceiverState: lambda event: self.receiverChanged.emit(
                event.url or "", event.error or ""
            ),
            StoreOpened: lambda event: self.storeOpened.emit(),
            StoreState: lambda event: self.storeChanged.emit(event.ok, event.message),
            Rederived: lambda event: self.rederived.emit(event.count),
            Pruned: lambda event: self.pruned.emit(event.count, event.reason),
            ReplayDone: lambda event: self.replayed.emit(event.attempt),
            ForwardDone: self.forwarded.emit,
            SourceState: self.sourceChanged.emit,
            ResponseCounts: lambda event: self.responsesCounted.emit(event.tallies),
        }

    def _on_analysed(self, event: Analysed) -> None:
        self.stored.emit(list(event.ids))
        self.counted.emit(len(event.ids), event.invalid)
