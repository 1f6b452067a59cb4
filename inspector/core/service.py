"""Composition root: one object that owns the store, the writer and the receiver, and publishes
plain-Python events. Used by the CLI and, from a worker thread, by the GUI."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.models import CapturedRequest, Derived, Header
from inspector.core.receiver import Receiver, ReceiverError
from inspector.core.store import Quarantine, Store, StoreError
from inspector.core.writer import GroupWriter, Stored

log = logging.getLogger(__name__)


# --- events (plain data; listeners are called on the service's loop) ----------------------


@dataclass(frozen=True, slots=True)
class RequestsStored:
    items: tuple[Stored, ...]


@dataclass(frozen=True, slots=True)
class ReceiverState:
    url: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StoreState:
    ok: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class Rederived:
    count: int


Listener = Callable[[object], None]


class InspectorService:
    """Start with `await start()`, stop with `await stop()`; all methods run on one loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store | None = None
        self.writer: GroupWriter | None = None
        self.receiver: Receiver | None = None
        self.quarantined: Quarantine | None = None
        self._listeners: list[Listener] = []
        self._store_ok = True

    # lifecycle

    async def start(self, *, listen: bool = True) -> None:
        """Open the store (quarantining a corrupt file) and start capturing.
        Raises ReceiverError when the port cannot be bound (the store stays usable)."""
        loop = asyncio.get_running_loop()
        path, durable = self.settings.db_path, self.settings.durable
        self.store = await loop.run_in_executor(None, lambda: Store.open(path, durable=durable))
        self.quarantined = self.store.quarantined
        self.writer = GroupWriter(self.store, self._derive_function(), self._stored)
        await self.writer.start()
        self.receiver = Receiver(lambda: self.settings, self._capture)
        if listen:
            await self.start_receiver()

    async def start_receiver(self) -> None:
        assert self.receiver is not None
        try:
            await self.receiver.start(self.settings.host, self.settings.port)
        except ReceiverError as exc:
            self._publish(ReceiverState(None, str(exc)))
            raise
        self._publish(ReceiverState(self.receiver.url))

    async def restart_receiver(self) -> None:
        """Re-bind after host/port changed in settings."""
        assert self.receiver is not None
        await self.receiver.stop()
        await self.start_receiver()

    async def stop(self) -> None:
        if self.receiver is not None:
            await self.receiver.stop()
        if self.writer is not None:
            await self.writer.close()
        if self.store is not None:
            self.store.close()
        self._publish(ReceiverState(None))

    @property
    def url(self) -> str | None:
        return self.receiver.url if self.receiver and self.receiver.port else None

    # events

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` on the service loop for every event; returns an unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _publish(self, event: object) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("listener failed on %r", type(event).__name__)

    # capture path

    def _derive_function(self) -> Callable[[CapturedRequest], Derived]:
        """What the writer process analyses with (picklable: a partial of a module function)."""
        return functools.partial(derive, settings=self.settings)

    async def _capture(
        self,
        request: CapturedRequest,
        status: int | None,
        headers: tuple[Header, ...],
        body: bytes,
    ) -> int:
        assert self.writer is not None
        try:
            request_id = await self.writer.submit(request, status, headers, body)
        except StoreError as exc:
            self._set_store_ok(False, str(exc))
            raise
        self._set_store_ok(True)
        return request_id

    def _set_store_ok(self, ok: bool, message: str = "") -> None:
        if ok != self._store_ok:
            self._store_ok = ok
            self._publish(StoreState(ok, message))

    def _stored(self, items: Sequence[Stored]) -> None:
        self._publish(RequestsStored(tuple(items)))

    async def ingest(self, request: CapturedRequest) -> int:
        """Store a request that did not come through the receiver (import, stream, sample)."""
        return await self._capture(request, None, (), b"")

    async def settled(self) -> None:
        """Wait until every captured request is stored and analysed (tests, shutdown)."""
        assert self.writer is not None
        await self.writer.settled()

    # changes

    async def update_settings(self, settings: Settings) -> None:
        """Apply new settings; re-verify stored requests when secrets or the token changed."""
        old, self.settings = self.settings, settings
        if (old.host, old.port) != (settings.host, settings.port) and self.url:
            await self.restart_receiver()
        if (old.secrets, old.verify_token) != (settings.secrets, settings.verify_token):
            assert self.writer is not None
            await self.writer.set_derive(self._derive_function())
            await self.rederive_all()

    async def rederive_all(self) -> int:
        """Re-derive provider, events and signature status of every stored request from its
        raw bytes (raw data is never touched)."""
        store = self._require_store()
        settings = self.settings

        def work() -> int:
            count = 0
            for stored in store.iter_all():
                store.update_derived(stored.id, derive(stored.request, settings))
                count += 1
            return count

        count = int(await self._on_writer(work))
        self._publish(Rederived(count))
        return count

    async def delete(self, ids: Sequence[int]) -> int:
        store = self._require_store()
        return int(await self._on_writer(lambda: store.delete(ids)))

    async def clear(self) -> None:
        store = self._require_store()
        await self._on_writer(store.clear)

    async def _on_writer(self, func: Callable[[], Any]) -> Any:
        assert self.writer is not None
        return await self.writer.run_on_writer(func)

    def _require_store(self) -> Store:
        if self.store is None:
            raise StoreError("the store is not open")
        return self.store

    @property
    def db_path(self) -> Path:
        return self.settings.db_path
