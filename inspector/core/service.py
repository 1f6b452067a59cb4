"""Composition root: one object that owns the store, the writer and the receiver, and publishes
plain-Python events. Used by the CLI and, from a worker thread, by the GUI."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from inspector.core import lifecycle, responses
from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.events import (
    REMOVED_DETAIL,
    ForwardDone,
    Listener,
    Pruned,
    ReceiverState,
    Rederived,
    ReplayDone,
    RequestsCommitted,
    RequestsStored,
    SourceState,
    Stored,
    StoreOpened,
    StoreState,
)
from inspector.core.models import (
    CHECK,
    FORWARD,
    REPLAY,
    CapturedRequest,
    Derived,
    Header,
    ReplayAttempt,
    StoredRequest,
)
from inspector.core.own_address import is_own_address
from inspector.core.receiver import RESERVED_PREFIX, Receiver, ReceiverError
from inspector.core.replay import Replayer, ReplayOptions, check_target
from inspector.core.sse import (
    LastIds,
    Position,
    SseClient,
    SseSource,
    legacy_last_ids,
)
from inspector.core.store import Quarantine, Store, StoreError, older_than
from inspector.core.stream import StreamPublisher, event_limit
from inspector.core.tasks import TaskGroup
from inspector.core.writer import GroupWriter

log = logging.getLogger(__name__)


REPLAY_CONCURRENCY = 8
"""Replays of several requests run this many at a time."""
FORWARD_CONCURRENCY = 8
"""Forwards run this many at a time; the others wait their turn."""
FORWARD_BACKLOG = 1000
"""Beyond this many forwards waiting, captured requests are not forwarded (and the attempt
says so): memory stays bounded when the target is slower than the senders."""
FORWARD_DRAIN = 5.0
"""On stop, forwards in flight get this many seconds to finish before they are cancelled."""
FORWARD_MARKER = "X-Webhook-Inspector-Forwarded"
"""Added to every forwarded request with this service's instance id: a request that comes back
carrying our own id (forwarded through a proxy, or by another inspector forwarding to us) is
stored but not forwarded again."""
PRUNE_EVERY = 600.0
"""Seconds between retention passes (also run at start and when retention changes)."""


def retention_text(keep_last: int | None, keep_days: float | None) -> str:
    parts = []
    if keep_last is not None:
        parts.append(f"keep the last {keep_last} requests")
    if keep_days is not None:
        parts.append(f"keep {keep_days:g} days")
    return "retention: " + " and ".join(parts)


class InspectorService:
    """Start with `await start()`, stop with `await stop()`; all methods run on one loop."""

    def __init__(self, settings: Settings, *, store_checked: bool = False) -> None:
        """`store_checked`: the app already opened the database (checked, quarantined if need
        be, migrated); this service opens it without checking again."""
        self.settings = settings
        self._store_checked = store_checked
        self.store: Store | None = None
        self.writer: GroupWriter | None = None
        self.receiver: Receiver | None = None
        self.quarantined: Quarantine | None = None
        self._listeners: list[Listener] = []
        self._analysed_listeners = 0
        """Listeners that read RequestsStored: with none, the writer process does not
        announce analysed requests (`serve --quiet` without stream subscribers)."""
        self._background = TaskGroup()
        self._store_ok = True
        self._replayer: Replayer | None = None
        self._forwards = TaskGroup()
        self._forward_tasks: set[asyncio.Task[None]] = set()
        self._forward_slots: asyncio.Semaphore | None = None
        self._replay_closed = False
        self.publisher: StreamPublisher | None = None
        """Serves /_inspector/stream when settings.publish is on (core.stream)."""
        self._sources: dict[str, tuple[SseClient, asyncio.Task[None]]] = {}
        self._source_tasks = TaskGroup()
        self._last_ids: LastIds | None = None
        self.instance_id = secrets.token_hex(8)
        """Identifies this service's forwards (FORWARD_MARKER)."""
        self._counts_due: asyncio.TimerHandle | None = None

    # lifecycle

    async def start(self, *, listen: bool = True) -> None:
        """Open the store (quarantining a corrupt file) and start capturing.
        Raises ReceiverError when the port cannot be bound (the store stays usable)."""
        loop = asyncio.get_running_loop()
        path, durable = self.settings.db_path, self.settings.durable
        opener = Store if self._store_checked else Store.open
        self.store = await loop.run_in_executor(None, lambda: opener(path, durable=durable))
        self.quarantined = self.store.quarantined
        self._publish(StoreOpened())
        self.writer = GroupWriter(
            self.store, self._derive_function(), self._stored, self._committed
        )
        self.writer.announce(self._analysed_listeners > 0)
        await self.writer.start()
        self.receiver = Receiver(lambda: self.settings, self._capture)
        self.receiver.problem = lambda: self.writer.problem if self.writer else "not started"
        self._install_responses(self.receiver)
        self.publisher = StreamPublisher(lambda: self.settings, self._require_store, self.subscribe)
        self.publisher.install(self.receiver)
        await self._sync_sources()
        self._background.spawn(self._prune_periodically(), name="retention")
        self._background.spawn(self._backfill_lifecycles(), name="lifecycle-backfill")
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
        if self._counts_due is not None:
            self._counts_due.cancel()
        await self._stop_sources()
        await self._background.close()
        if self.receiver is not None:
            await self.receiver.stop()
        await self._stop_replaying()
        if self.writer is not None:
            await self.writer.close()
        if self.store is not None:
            self.store.close()
        self._publish(ReceiverState(None))

    def _install_responses(self, receiver: Receiver) -> None:
        """Publish the response rules' counters (throttled) and serve them as JSON."""
        receiver.responder.counted = self._counts_changed
        counts = functools.partial(self.response_counts, raw=True)
        route = responses.counts_route(receiver.host_allowed, counts)
        receiver.extra_routes.append(("GET", RESERVED_PREFIX + "responses", route))

    def _counts_changed(self) -> None:
        if self._counts_due is None:
            loop = asyncio.get_running_loop()
            self._counts_due = loop.call_later(responses.COUNTS_EVERY, self._publish_counts)

    def _publish_counts(self) -> None:
        self._counts_due = None
        if self.receiver is not None:
            tallies = self.receiver.responder.tallies(self.settings.rules)
            self._publish(responses.ResponseCounts(tallies))

    def response_counts(self, *, raw: bool = False) -> Any:
        """The counters of the configured rules: Tallies, or (raw) their JSON form."""
        assert self.receiver is not None
        responder, rules = self.receiver.responder, self.settings.rules
        if raw:
            return responses.counts_json(responder.counts(rules), self.settings.outage)
        return responder.tallies(rules)

    @property
    def url(self) -> str | None:
        return self.receiver.url if self.receiver and self.receiver.port else None

    # events

    def subscribe(self, listener: Listener, *, analysed: bool = True) -> Callable[[], None]:
        """Call `listener(event)` on the service loop for every event; returns an unsubscribe.
        `analysed=False`: the listener ignores RequestsStored (when no listener reads them, the
        writer process does not send them: sending costs the receiver CPU during a flood)."""
        self._listeners.append(listener)
        self._count_analysed(1 if analysed else 0)

        def unsubscribe() -> None:
            self._listeners.remove(listener)
            self._count_analysed(-1 if analysed else 0)

        return unsubscribe

    def _count_analysed(self, change: int) -> None:
        self._analysed_listeners += change
        if self.writer is not None:
            self.writer.announce(self._analysed_listeners > 0)

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
        position: Position | None = None,
    ) -> int:
        assert self.writer is not None
        try:
            request_id = await self.writer.submit(request, status, headers, body, position)
        except StoreError as exc:
            self._set_store_ok(False, str(exc))
            raise
        self._set_store_ok(True)
        if (
            self.settings.forward_to
            and request.refused is None
            and request.source not in ("import", CHECK)
        ):
            # captured live (receiver or event stream): forward it; imported files are history
            # and a handler check's requests were already sent
            self._schedule_forward(request_id, request, self.settings.forward_to)
        return request_id

    def _forwarded_by_us(self, request: CapturedRequest) -> bool:
        marker = FORWARD_MARKER.lower()
        return any(
            name.lower() == marker and self.instance_id in value.replace(",", " ").split()
            for name, value in request.headers
        )

    def _set_store_ok(self, ok: bool, message: str = "") -> None:
        if ok != self._store_ok:
            self._store_ok = ok
            self._publish(StoreState(ok, message))

    def _stored(self, items: Sequence[Stored]) -> None:
        self._publish(RequestsStored(items))

    def _committed(self, ids: Sequence[int]) -> None:
        self._publish(RequestsCommitted(tuple(ids)))

    async def ingest(self, request: CapturedRequest, position: Position | None = None) -> int:
        """Store a request that did not come through the receiver (import, stream, sample);
        `position`: an event stream's position, saved in the same transaction."""
        return await self._capture(request, None, (), b"", position)

    # stream sources (core.sse)

    async def add_source(self, source: SseSource) -> None:
        """Subscribe to `source` now and keep it in settings.sources (a source of the same name
        is replaced). Its states are published as SourceState; its events are stored like
        captured requests, with `source` set to its name."""
        others = tuple(s for s in self.settings.sources if s.name != source.name)
        self.settings = replace(self.settings, sources=(*others, source))
        await self._stop_source(source.name)
        self._start_source(source)

    async def remove_source(self, name: str) -> bool:
        """Disconnect source `name` and drop it from settings.sources; False if unknown."""
        known = any(s.name == name for s in self.settings.sources) or name in self._sources
        sources = tuple(s for s in self.settings.sources if s.name != name)
        self.settings = replace(self.settings, sources=sources)
        await self._stop_source(name)
        return known

    def sources(self) -> list[SourceState]:
        """The current state of every source (stopped ones included)."""
        return [client.state for client, _ in self._sources.values()]

    def _start_source(self, source: SseSource) -> None:
        if self._last_ids is None:
            saved = legacy_last_ids(self.settings.db_path) | self._require_store().positions()
            self._last_ids = LastIds(saved)
        max_event = source.max_event
        if source.format == "inspector":  # another inspector: accept what a relay sends
            max_event = max(max_event, event_limit(self.settings.max_body))
        client = SseClient(
            source, self.ingest, self._publish, last_ids=self._last_ids, max_event=max_event
        )
        task = self._source_tasks.spawn(client.run(), name=f"source-{source.name}")
        self._sources[source.name] = (client, task)

    async def _stop_source(self, name: str) -> None:
        entry = self._sources.pop(name, None)
        if entry is None:
            return
        client, task = entry
        task.cancel()
        await asyncio.wait([task])
        self._publish(
            SourceState(
                name, "stopped", REMOVED_DETAIL, client.events, client.last_error, client.lost
            )
        )

    async def _sync_sources(self) -> None:
        """Run exactly the sources in settings.sources (restarting changed ones)."""
        wanted = {source.name: source for source in self.settings.sources}
        for name, (client, _) in list(self._sources.items()):
            if wanted.get(name) != client.source:
                await self._stop_source(name)
        for name, source in wanted.items():
            if name not in self._sources:
                self._start_source(source)

    async def _stop_sources(self) -> None:
        self._sources.clear()
        await self._source_tasks.close()

    async def settled(self) -> None:
        """Wait until every captured request is stored and analysed (tests, shutdown)."""
        assert self.writer is not None
        await self.writer.settled()

    # changes

    async def update_settings(self, settings: Settings) -> None:
        """Apply new settings; re-verify stored requests when secrets or the token changed."""
        old, self.settings = self.settings, settings
        if self.receiver is not None and old.rules != settings.rules:
            self.receiver.responder.forget_others(settings.rules)
            self._publish_counts()
        if old.sources != settings.sources and self.store is not None:
            await self._sync_sources()
        if (old.host, old.port, old.also_listen) != (settings.host, settings.port,
                                                     settings.also_listen) and self.url:
            await self.restart_receiver()
        if (old.keep_last, old.keep_days) != (settings.keep_last, settings.keep_days):
            await self.prune()
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

    async def prune(self) -> int:
        """Apply the retention settings now; publishes Pruned when anything was deleted."""
        keep_last, keep_days = self.settings.keep_last, self.settings.keep_days
        if keep_last is None and keep_days is None:
            return 0
        store = self._require_store()
        cutoff = older_than(keep_days)
        count = int(
            await self._on_writer(lambda: store.prune(keep_last=keep_last, older_than_ns=cutoff))
        )
        if count:
            self._publish(Pruned(count, retention_text(keep_last, keep_days)))
        return count

    async def _backfill_lifecycles(self) -> None:
        """Store the lifecycle steps and deliveries of requests analysed before those tables
        existed (an older database), a batch at a time between other writes."""
        store, total = self._require_store(), 0
        while True:
            again = functools.partial(_derive_stored, settings=self.settings)
            batch = functools.partial(lifecycle.backfill_batch, store, again)
            try:
                done = int(await self._on_writer(batch))
            except StoreError as exc:
                log.error("lifecycle backfill stopped: %s", exc)
                return
            if not done:
                break
            total += done
        if total:
            self._publish(Rederived(total))

    async def _prune_periodically(self) -> None:
        while True:
            try:
                await self.prune()
            except StoreError as exc:
                log.error("retention failed: %s", exc)
            await asyncio.sleep(PRUNE_EVERY)

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

    # replay and forward

    def replayer(self) -> Replayer:
        """The service's HTTP client for replays and forwards (uses the current settings)."""
        if self._replayer is None:
            self._replayer = Replayer.from_settings(self.settings)
        replayer, settings = self._replayer, self.settings
        replayer.connect_timeout = settings.replay_connect_timeout
        replayer.timeout = settings.replay_timeout
        replayer.max_response = settings.replay_max_response
        return replayer

    async def replay(
        self,
        request_id: int,
        target: str | None = None,
        *,
        edited: CapturedRequest | None = None,
        keep_host: bool = False,
        resign: tuple[str, str] | None = None,
        wrong_signature: bool = False,
        follow_redirects: bool = False,
    ) -> ReplayAttempt:
        """Send stored request `request_id` again to `target` (default: the replay target in
        settings), as captured or as `edited`; record the attempt, remember the target among
        the recent ones, publish ReplayDone and return the attempt.

        Raises ValueError in plain words when the request does not exist or cannot be sent
        (bad target, a header with a line break...): nothing is sent or recorded then. Network
        failures (refused, timeout, TLS, DNS) are recorded in the attempt's `error`.
        """
        store = self._require_store()
        target = target or self.settings.replay_target
        loop = asyncio.get_running_loop()
        stored = await loop.run_in_executor(None, store.get, request_id)
        if stored is None:
            raise ValueError(f"there is no request #{request_id}")
        options = ReplayOptions(keep_host, resign, wrong_signature, follow_redirects)
        attempt = await self.replayer().send(stored.request, target, edited=edited, options=options)
        attempt = await self._record(attempt)
        self.settings = self.settings.remember_target(target)
        self._publish(ReplayDone(attempt))
        return attempt

    async def replay_many(
        self,
        request_ids: Sequence[int],
        target: str | None = None,
        *,
        options: ReplayOptions | None = None,
        concurrency: int = REPLAY_CONCURRENCY,
    ) -> list[ReplayAttempt]:
        """Replay several stored requests as captured (see `replay_stored`); each recorded
        attempt is published as ReplayDone. Raises ValueError for an unusable target."""
        store = self._require_store()
        target = target or self.settings.replay_target

        def recorded(attempt: ReplayAttempt) -> None:
            if attempt.id is not None:
                self._publish(ReplayDone(attempt))

        attempts = await replay_stored(
            store, self.replayer(), request_ids, target, write=self._on_writer,
            on_attempt=recorded, options=options, concurrency=concurrency,
        )  # fmt: skip
        self.settings = self.settings.remember_target(target)
        return attempts

    async def record_sent(
        self, exchanges: Sequence[tuple[CapturedRequest, ReplayAttempt]]
    ) -> list[int]:
        """Store requests we sent ourselves (a handler check: source "check") and each one's
        answer as an attempt of it; returns the stored request ids in order."""
        store = self._require_store()
        ids = list(await asyncio.gather(*(self.ingest(request) for request, _ in exchanges)))
        attempts = [
            replace(attempt, request_id=request_id)
            for (_, attempt), request_id in zip(exchanges, ids, strict=True)
        ]
        await self._on_writer(lambda: store.add_replays(attempts))
        return ids

    async def _record(self, attempt: ReplayAttempt) -> ReplayAttempt:
        store = self._require_store()
        replay_id = int(await self._on_writer(lambda: store.add_replay(attempt)))
        return replace(attempt, id=replay_id)

    def _schedule_forward(self, request_id: int, request: CapturedRequest, target: str) -> None:
        """Forward a just-stored request in the background (the sender's 2xx does not wait)."""
        if self._replay_closed:
            log.warning("request #%d not forwarded: the service is stopping", request_id)
            return
        if self._forward_slots is None:
            self._forward_slots = asyncio.Semaphore(FORWARD_CONCURRENCY)
        request = replace(request, id=request_id)
        if self._forwarded_by_us(request):
            reason = (
                f"not forwarded: it came back from this inspector's own forward ({FORWARD_MARKER}"
                " header), sending it again would loop"
            )
            work = self._forward_done(_unsent(request_id, target, reason, FORWARD))
        elif len(self._forward_tasks) >= FORWARD_BACKLOG:
            reason = f"not forwarded: {FORWARD_BACKLOG} forwards are already waiting"
            work = self._forward_done(_unsent(request_id, target, reason, FORWARD))
        else:
            work = self._forward(request, target)
        task = self._forwards.spawn(work, name=f"forward-{request_id}")
        self._forward_tasks.add(task)
        task.add_done_callback(self._forward_tasks.discard)

    async def _forward(self, request: CapturedRequest, target: str) -> None:
        assert self._forward_slots is not None
        assert request.id is not None
        async with self._forward_slots:
            try:
                if await self._is_own_receiver(target):
                    raise ValueError(
                        f"{target} is this inspector's own receiver (it would forward to itself "
                        "forever)"
                    )
                marked = replace(
                    request, headers=(*request.headers, (FORWARD_MARKER, self.instance_id))
                )
                attempt = await self.replayer().send(marked, target, kind=FORWARD)
            except ValueError as exc:
                attempt = _unsent(request.id, target, f"not forwarded: {exc}", FORWARD)
        await self._forward_done(attempt)

    async def _forward_done(self, attempt: ReplayAttempt) -> None:
        try:
            attempt = await self._record(attempt)
        except StoreError as exc:  # e.g. the request was deleted meanwhile
            log.warning("forward of #%d not recorded: %s", attempt.request_id, exc)
        self._publish(
            ForwardDone(attempt.request_id, attempt.status, attempt.latency_ms, attempt.error,
                        attempt.id)
        )  # fmt: skip

    async def _is_own_receiver(self, target: str) -> bool:
        """Does `target` resolve to the address and port we listen on (see core.own_address)?
        Raises ValueError for an unusable target."""
        url = check_target(target)
        receiver = self.receiver
        if receiver is None or receiver.port is None or url.port is None or not url.raw_host:
            return False
        bound = receiver.host or "127.0.0.1"
        return await is_own_address(url.raw_host, url.port, bound, receiver.port)

    async def forwards_settled(self) -> None:
        """Wait until every forward started so far is done and recorded (tests, shutdown)."""
        while self._forward_tasks:
            await asyncio.wait(set(self._forward_tasks))

    async def _stop_replaying(self) -> None:
        """Give forwards in flight a few seconds to finish, cancel the rest, close the client."""
        self._replay_closed = True
        if self._forward_tasks:
            await asyncio.wait(set(self._forward_tasks), timeout=FORWARD_DRAIN)
        await self._forwards.close()
        if self._replayer is not None:
            await self._replayer.close()
            self._replayer = None


def _unsent(request_id: int, target: str, reason: str, kind: str = REPLAY) -> ReplayAttempt:
    """An attempt that never reached the network (the reason is its error)."""
    return ReplayAttempt(request_id, target, time.time_ns(), kind=kind, error=reason)


Write = Callable[[Callable[[], list[int]]], Awaitable[list[int]]]
"""Runs a function on the store's writer thread and returns its result
(`GroupWriter.run_on_writer`, or an executor with one thread)."""
RECORD_BATCH = 256
RECORD_WAIT = 0.02
"""Attempts are recorded in commits of up to about RECORD_BATCH, at most RECORD_WAIT s late."""
READ_BATCH = 64
READ_BYTES = 4 * 1024 * 1024
"""Stored requests are read ahead of the senders, at most this many (and about this many
body bytes) at a time."""


async def replay_stored(
    store: Store,
    replayer: Replayer,
    request_ids: Sequence[int],
    target: str,
    *,
    write: Write,
    on_attempt: Callable[[ReplayAttempt], None] | None = None,
    options: ReplayOptions | None = None,
    concurrency: int = REPLAY_CONCURRENCY,
) -> list[ReplayAttempt]:
    """Replay stored requests as captured to `target`, at most `concurrency` at a time.

    Requests are read from the store in small batches ahead of the senders, and attempts are
    recorded with group commits through `write` (while one batch commits, finished attempts
    gather for the next), so a long replay is limited by the network, not by SQLite.
    `on_attempt` is called with every attempt once it is recorded (it then has its id).

    Returns the attempts in the order of `request_ids`. A request that does not exist or cannot
    be replayed (e.g. its body was refused) gets an unrecorded attempt (id None) whose error
    says why. Raises ValueError for an unusable target before anything is sent.
    """
    check_target(target)
    options = options or ReplayOptions()
    results: list[ReplayAttempt | None] = [None] * len(request_ids)
    senders = max(1, min(concurrency, len(request_ids)))
    loaded: asyncio.Queue[tuple[int, int, CapturedRequest | None] | None] = asyncio.Queue(
        maxsize=senders
    )
    finished: asyncio.Queue[tuple[int, ReplayAttempt] | None] = asyncio.Queue()

    def done(index: int, attempt: ReplayAttempt) -> None:
        results[index] = attempt
        if on_attempt is not None:
            on_attempt(attempt)

    async def read() -> None:
        # On the loop, not a thread: a few ms at a time, and no GIL ping-pong with the senders.
        items = list(enumerate(request_ids))
        for start in range(0, len(items), 500):
            block = items[start : start + 500]
            sizes = store.body_sizes([request_id for _, request_id in block])
            for chunk in _read_chunks(block, sizes):
                found = store.requests([request_id for _, request_id in chunk])
                for index, request_id in chunk:
                    await loaded.put((index, request_id, found.get(request_id)))
        for _ in range(senders):
            await loaded.put(None)

    async def send() -> None:
        while (item := await loaded.get()) is not None:
            index, request_id, request = item
            if request is None:
                done(index, _unsent(request_id, target, f"there is no request #{request_id}"))
                continue
            try:
                attempt = await replayer.send(request, target, options=options)
            except ValueError as exc:
                done(index, _unsent(request_id, target, str(exc)))
                continue
            finished.put_nowait((index, attempt))

    async def send_all() -> None:
        await _all(*(send() for _ in range(senders)))
        finished.put_nowait(None)

    async def record() -> None:
        while True:
            batch = [await finished.get()]
            if batch[0] is not None and finished.qsize() < RECORD_BATCH:
                await asyncio.sleep(RECORD_WAIT)  # fewer, larger commits
            while not finished.empty():
                batch.append(finished.get_nowait())
            last = batch[-1] is None  # the end marker comes after every attempt
            items = [item for item in batch if item is not None]
            for (index, attempt), replay_id in zip(items, await _record_batch(items), strict=True):
                done(index, attempt if replay_id is None else replace(attempt, id=replay_id))
            if last:
                return

    async def _record_batch(items: list[tuple[int, ReplayAttempt]]) -> list[int | None]:
        attempts = [attempt for _, attempt in items]
        if not attempts:
            return []
        try:
            return list(await write(lambda: store.add_replays(attempts)))
        except StoreError:  # e.g. one request was deleted meanwhile: record the others
            ids: list[int | None] = []
            for attempt in attempts:
                try:
                    ids.append((await write(functools.partial(store.add_replays, [attempt])))[0])
                except StoreError as exc:
                    log.warning("replay of #%d not recorded: %s", attempt.request_id, exc)
                    ids.append(None)
            return ids

    await _all(read(), send_all(), record())
    return [attempt for attempt in results if attempt is not None]


def _read_chunks(
    items: list[tuple[int, int]], sizes: dict[int, int]
) -> list[list[tuple[int, int]]]:
    """Split (index, id) pairs into reads of at most READ_BATCH rows and about READ_BYTES."""
    chunks: list[list[tuple[int, int]]] = [[]]
    total = 0
    for item in items:
        size = sizes.get(item[1], 0)
        if chunks[-1] and (len(chunks[-1]) >= READ_BATCH or total + size > READ_BYTES):
            chunks.append([])
            total = 0
        chunks[-1].append(item)
        total += size
    return [chunk for chunk in chunks if chunk]


async def _all(*coros: Coroutine[Any, Any, None]) -> None:
    """Run coroutines together; if one fails, the others are cancelled and its error raised."""
    try:
        async with asyncio.TaskGroup() as group:
            for coro in coros:
                group.create_task(coro)
    except BaseExceptionGroup as group_error:
        raise group_error.exceptions[0] from None


def _derive_stored(stored: StoredRequest, settings: Settings) -> Derived:
    return derive(stored.request, settings)
