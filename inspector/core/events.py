"""Every event the capture service publishes: plain, picklable data.

Listeners (`InspectorService.subscribe`, `RemoteService.subscribe`) are called on the service's
loop with one of these. The GUI bridge and the CLI each map an event's type to a handler in a
table (`Handlers`) and call it through `dispatch`. In the desktop app the events cross a pipe
from the capture process (ARCHITECTURE.md, "Processes"), where `RequestsStored` becomes the slim
`Analysed`.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

from inspector.core.models import ReplayAttempt, SigStatus, reduce_by_fields
from inspector.core.store import Record

Listener = Callable[[object], None]
Handlers = dict[type, Callable[[Any], None]]
"""Event type -> what to do with an event of exactly that type."""


def dispatch(handlers: Handlers, event: object) -> None:
    """Call the handler for `event`'s type; events without one are ignored."""
    handler = handlers.get(type(event))
    if handler is not None:
        handler(event)


@dataclass(frozen=True, slots=True)
class Stored:
    """One committed and analysed request: its id and what was written."""

    __reduce__ = reduce_by_fields

    id: int
    record: Record


def count_invalid(items: Sequence[Stored]) -> int:
    """How many of these requests have an invalid signature."""
    derived = (item.record.derived for item in items)
    return sum(d is not None and d.verification.status == SigStatus.INVALID for d in derived)


class StoredBatch(Sequence[Stored]):
    """Analysed requests as the writer process sends them: their ids and how many have an
    invalid signature, and the records themselves still pickled. Most listeners want only the
    ids (the desktop app) or nothing (`serve --quiet` without stream subscribers): the records
    (bodies included) are unpickled on first use, never when nobody reads them."""

    __slots__ = ("_blob", "_items", "ids", "invalid")

    def __init__(self, ids: Sequence[int], invalid: int, blob: bytes) -> None:
        self.ids = tuple(ids)
        self.invalid = invalid
        self._blob = blob
        self._items: tuple[Stored, ...] | None = None

    @classmethod
    def of(cls, items: Sequence[Stored]) -> StoredBatch:
        """Pack `items` (the writer process's side)."""
        return cls(
            [item.id for item in items],
            count_invalid(items),
            pickle.dumps(tuple(items), protocol=pickle.HIGHEST_PROTOCOL),
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (StoredBatch, (self.ids, self.invalid, self._blob))

    def items(self) -> tuple[Stored, ...]:
        if self._items is None:
            self._items = pickle.loads(self._blob)
        return self._items

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Stored: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Stored]: ...
    def __getitem__(self, index: int | slice) -> Stored | Sequence[Stored]:
        return self.items()[index]

    def __iter__(self) -> Iterator[Stored]:
        return iter(self.items())


# --- requests -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestsCommitted:
    """Requests committed, raw: provider, events and signature status follow in a
    RequestsStored event (within milliseconds, or after a burst)."""

    ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RequestsStored:
    """Requests committed and analysed (`items` is a StoredBatch when it came from the
    writer process: read `ids` and `invalid` without unpickling the records)."""

    items: Sequence[Stored]

    @property
    def ids(self) -> tuple[int, ...]:
        if isinstance(self.items, StoredBatch):
            return self.items.ids
        return tuple(item.id for item in self.items)

    @property
    def invalid(self) -> int:
        """How many of them have an invalid signature."""
        if isinstance(self.items, StoredBatch):
            return self.items.invalid
        return count_invalid(self.items)


@dataclass(frozen=True, slots=True)
class Analysed:
    """Requests were analysed (the cross-process form of RequestsStored)."""

    ids: tuple[int, ...]
    invalid: int
    """How many of them have an invalid signature."""


@dataclass(frozen=True, slots=True)
class Rederived:
    count: int


@dataclass(frozen=True, slots=True)
class Pruned:
    """Retention deleted `count` requests; `reason` says which rule (never silent)."""

    count: int
    reason: str


# --- receiver and store ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiverState:
    url: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class StoreOpened:
    """The history can be read: published before the writer process is up (which takes a
    moment), so that a window can show the stored requests at once."""


@dataclass(frozen=True, slots=True)
class StoreState:
    ok: bool
    message: str = ""


# --- replays and forwards -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForwardDone:
    """A captured request was forwarded (settings.forward_to): the target's status and latency,
    or why it failed (`error`, plain words)."""

    request_id: int
    status: int | None
    latency_ms: float | None
    error: str | None
    replay_id: int | None = None
    """The recorded attempt (None when it could not be recorded)."""


@dataclass(frozen=True, slots=True)
class ReplayDone:
    """A replay attempt was made and recorded."""

    attempt: ReplayAttempt


# --- stream sources -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceState:
    """Published whenever a stream source's connection state changes.

    `state` is one of connecting / live / retrying / stopped; `detail` is the line to show
    ("retrying in 4s", "stopped: server asked to stop (204)"); `events` counts events stored
    since the source started; `last_error` is the latest problem in plain words (or None)."""

    name: str
    state: str
    detail: str
    events: int = 0
    last_error: str | None = None
    lost: int = 0
    """Events received but not stored (too large, or not in the source's format): data loss,
    shown in the app. Published at once when it grows."""

    @property
    def removed(self) -> bool:
        """The source was removed from the settings (it leaves every list)."""
        return self.state == "stopped" and self.detail == REMOVED_DETAIL


REMOVED_DETAIL = "stopped: removed"


def merge_state(states: dict[str, SourceState], state: SourceState) -> None:
    """Keep the latest state per source; a removed source leaves the list."""
    if state.removed:
        states.pop(state.name, None)
    else:
        states[state.name] = state
