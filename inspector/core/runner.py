"""Run the service on its own asyncio loop in a worker thread (the GUI's arrangement).

The GUI thread never waits on I/O: it submits coroutines and gets concurrent futures back;
capture keeps acknowledging webhooks while the window repaints.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


class Service(Protocol):
    """What the thread runs: an InspectorService, or a RemoteService driving one elsewhere."""

    async def start(self, *, listen: bool = True) -> None: ...

    async def stop(self) -> None: ...


S = TypeVar("S", bound=Service)


class ServiceThread(Generic[S]):
    """Owns a thread running an event loop with `service` started on it."""

    def __init__(self, service: S, *, listen: bool = True) -> None:
        self.service = service
        self._listen = listen
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="inspector-core", daemon=True)
        self.started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._starting: asyncio.Task[None] | None = None

    def start(self) -> concurrent.futures.Future[None]:
        """Start the thread; the returned future completes when the service has started
        (or carries the error that stopped it, e.g. the port was taken)."""
        self._thread.start()
        return self.started

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        # the loop's first task, run to completion right here: no owner to hang a TaskGroup on
        self._starting = self.loop.create_task(self._start())
        self.loop.run_until_complete(self._starting)
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def _start(self) -> None:
        try:
            await self.service.start(listen=self._listen)
        except BaseException as exc:
            self.started.set_exception(exc)
        else:
            self.started.set_result(None)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the service loop; safe from any thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the service and the thread; waits at most `timeout` seconds."""
        if not self._thread.is_alive():
            return
        future = self.submit(self._stop())
        try:
            future.result(timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)

    async def _stop(self) -> None:
        """Stop the service once its start has finished: a stop while starting would miss
        what the start creates afterwards (the writer process would outlive the app)."""
        if self._starting is not None:
            await asyncio.wait([self._starting])
        await self.service.stop()
