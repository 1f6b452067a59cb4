"""Which desktop notifications to show, decided without Qt (the tray only displays them).

Feed `Notifier` what happens, each with the time it happened; it returns the notifications
to show now:

- ``invalid_signature``: a request arrived with an invalid signature;
- ``forward_failed``: the forward target did not answer (or answered 5xx);
- ``stopped``: an event-stream source or the tunnel stopped or lost its connection;
- ``store``: the store cannot write;
- ``silence``: a sender (provider or source) that was sending steadily has sent nothing for
  longer than `NotifyPrefs.silence_after` ("no events from WAHA for 10 min; it sent 40 in
  the hour before"). Call `tick(now)` now and then for it.

Each kind can be turned off, and each is shown at most once per `NotifyPrefs.interval`
(a minute): the ones held back are counted in `suppressed`, never queued.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

INVALID_SIGNATURE = "invalid_signature"
FORWARD_FAILED = "forward_failed"
STOPPED = "stopped"
STORE = "store"
SILENCE = "silence"
KINDS = (INVALID_SIGNATURE, FORWARD_FAILED, STOPPED, STORE, SILENCE)
LABELS = {
    INVALID_SIGNATURE: "Invalid signatures",
    FORWARD_FAILED: "Forward target failing",
    STOPPED: "A source or the tunnel stopping",
    STORE: "The store unable to write",
    SILENCE: "A sender going silent",
}
HOUR = 3600.0


@dataclass(frozen=True, slots=True)
class Notification:
    kind: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class NotifyPrefs:
    enabled: frozenset[str] = frozenset(KINDS)
    silence_after: float = 600.0
    """Seconds without events after which a steady sender counts as silent."""
    steady: int = 5
    """A sender is steady when it sent at least this many requests in the hour before its
    last one."""
    interval: float = 60.0
    """At most one notification per kind in this many seconds."""


@dataclass(slots=True)
class _Sender:
    times: deque[float] = field(default_factory=deque)
    alerted: bool = False


class Notifier:
    def __init__(self, prefs: NotifyPrefs | None = None) -> None:
        self.prefs = prefs or NotifyPrefs()
        self.suppressed = 0
        self._last_shown: dict[str, float] = {}
        self._senders: dict[str, _Sender] = {}
        self._sources: dict[str, str] = {}

    # what happened

    def stored(self, now: float, sender: str, invalid_ids: tuple[int, ...] = ()) -> list[
        Notification
    ]:  # fmt: skip
        """A request from `sender` (provider or source name) was stored; `invalid_ids` are the
        ids among those just stored whose signature is invalid."""
        record = self._senders.setdefault(sender, _Sender())
        record.times.append(now)
        record.alerted = False
        while record.times and record.times[0] < now - HOUR:
            record.times.popleft()
        if not invalid_ids:
            return []
        ids = ", ".join(f"#{i}" for i in invalid_ids[:5]) + ("…" if len(invalid_ids) > 5 else "")
        noun = "signature" if len(invalid_ids) == 1 else "signatures"
        return self._show(INVALID_SIGNATURE, now, f"Invalid {noun} from {sender}", ids)

    def forward_failed(self, now: float, request_id: int, reason: str) -> list[Notification]:
        return self._show(FORWARD_FAILED, now, "Forward target failing",
                          f"request #{request_id}: {reason}")  # fmt: skip

    def source_changed(self, now: float, name: str, state: str, detail: str) -> list[
        Notification
    ]:  # fmt: skip
        """An event-stream source changed state (core.sse.SourceState)."""
        before, self._sources[name] = self._sources.get(name), state
        lost = before == "live" and state == "retrying"
        if (state == "stopped" and detail != "stopped: removed") or lost:
            return self._show(STOPPED, now, f"Source {name} {state}", detail)
        return []

    def tunnel_changed(self, now: float, kind: str, state: str, reason: str) -> list[
        Notification
    ]:  # fmt: skip
        """The tunnel died (it is being restarted) or stopped on its own."""
        if state == "died" or (state == "stopped" and reason != "stopped"):
            return self._show(STOPPED, now, f"The {kind} tunnel {state}", reason)
        return []

    def store_failed(self, now: float, message: str) -> list[Notification]:
        return self._show(STORE, now, "Requests are not being stored", message)

    def tick(self, now: float) -> list[Notification]:
        """Check for senders that went silent."""
        shown: list[Notification] = []
        for sender, record in self._senders.items():
            notice = self._silence(now, sender, record)
            if notice is None:
                continue
            result = self._show(SILENCE, now, f"{sender} went quiet", notice)
            record.alerted = bool(result) or SILENCE not in self.prefs.enabled
            shown.extend(result)  # held back by the rate limit: tried again at a later tick
        return shown

    # decisions

    def _silence(self, now: float, sender: str, record: _Sender) -> str | None:
        if record.alerted or not record.times:
            return None
        last = record.times[-1]
        quiet = now - last
        if quiet < self.prefs.silence_after:
            return None
        sent = sum(1 for t in record.times if t >= last - HOUR)
        if sent < self.prefs.steady:
            return None
        return (
            f"no events from {sender} for {quiet / 60:.0f} min; it sent {sent} in the hour before"
        )

    def _show(self, kind: str, now: float, title: str, text: str) -> list[Notification]:
        if kind not in self.prefs.enabled:
            return []
        last = self._last_shown.get(kind)
        if last is not None and now - last < self.prefs.interval:
            self.suppressed += 1
            return []
        self._last_shown[kind] = now
        return [Notification(kind, title, text)]
