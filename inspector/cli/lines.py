"""What `serve`, `tail` and `wait` print: one line per request, per source state, per forward."""

from __future__ import annotations

import sys
from typing import TextIO

from inspector.cli.common import one_line


class SourceLines:
    """One stderr line per source state change (not per event count update)."""

    def __init__(self) -> None:
        self._shown: dict[str, tuple[str, str, int]] = {}
        self._lost: dict[str, int] = {}

    def show(self, event: object) -> None:
        """Print `event`'s line, unless it only updates the event count."""
        if self.wants(event):
            print(self.line(event), file=sys.stderr, flush=True)

    def wants(self, event: object) -> bool:
        from inspector.core.events import SourceState

        if not isinstance(event, SourceState):
            return False
        key = (event.state, event.detail, event.lost)
        if self._shown.get(event.name) == key:
            return False
        self._shown[event.name] = key
        return True

    def line(self, event: object) -> str:
        from inspector.core.events import SourceState

        assert isinstance(event, SourceState)
        if event.lost > self._lost.get(event.name, 0):  # data loss: say it, with the reason
            self._lost[event.name] = event.lost
            return one_line(
                f"source {event.name}: EVENT LOST ({event.lost} so far): {event.last_error}"
            )
        text = f"source {event.name}: {event.detail} ({event.events} events)"
        if event.last_error and event.state != "live":
            text += f"; last error: {event.last_error}"
        return one_line(text)


def request_line(item: object) -> str:
    """One line per stored request: time, method, path, size, status, provider, signature."""
    from datetime import datetime

    from inspector.core.events import Stored
    from inspector.core.responses import answer_note

    assert isinstance(item, Stored)
    req, derived = item.record.request, item.record.derived
    when = datetime.fromtimestamp(req.received_at_ns / 1e9).strftime("%H:%M:%S")
    record = item.record
    status = record.response_status or answer_note(record.response_headers) or "-"
    sig = derived.verification.status
    parts = [when, f"#{item.id}", req.method, req.target, f"{len(req.body)}B", str(status),
             derived.provider, derived.event_type, f"sig:{sig}", derived.summary]  # fmt: skip
    return "  ".join(one_line(str(p)) for p in parts if p)


class RequestLines:
    """Prints one line per request; with forwarding, the line waits for the forward's result
    (analysis and forwarding finish in either order) and ends with e.g. `→ 200 12ms`."""

    def __init__(self, out: TextIO, *, forwarding: bool) -> None:
        self._out = out
        self._forwarding = forwarding
        self._lines: dict[int, tuple[str, str, str]] = {}
        self._forwards: dict[int, object] = {}

    def stored_all(self, event: object) -> None:
        """A RequestsStored event: one line per request."""
        from inspector.core.events import RequestsStored

        assert isinstance(event, RequestsStored)
        for item in event.items:
            self.stored(item)

    def stored(self, item: object) -> None:
        from inspector.core.events import Stored

        assert isinstance(item, Stored)
        line = request_line(item)
        if not self._forwarding or item.record.request.refused:
            self._print(line)
            return
        derived = item.record.derived
        provider = derived.provider if derived else ""
        scheme = derived.verification.scheme if derived else ""
        event = self._forwards.pop(item.id, None)
        if event is None:
            self._lines[item.id] = (line, provider, scheme)
        else:
            self._print(f"{line}  {forward_text(event, provider, scheme)}")

    def forwarded(self, event: object) -> None:
        from inspector.core.events import ForwardDone

        assert isinstance(event, ForwardDone)
        waiting = self._lines.pop(event.request_id, None)
        if waiting is None:
            self._forwards[event.request_id] = event
            return
        line, provider, scheme = waiting
        self._print(f"{line}  {forward_text(event, provider, scheme)}")

    def flush(self) -> None:
        """Lines still waiting at shutdown (their forward was cancelled)."""
        for line, _, _ in self._lines.values():
            self._print(f"{line}  → not forwarded (stopped)")
        self._lines.clear()

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)


def forward_text(event: object, provider: str = "", scheme: str = "") -> str:
    """`→ 200 12ms`, `→ error: connection refused: …`, plus a warning when the handler answered
    slower than the provider waits."""
    from inspector.core.events import ForwardDone
    from inspector.core.replay import slow_warning

    assert isinstance(event, ForwardDone)
    ms = f"{event.latency_ms:.0f}ms" if event.latency_ms is not None else ""
    if event.error:
        return one_line(f"→ {event.status or 'error'}: {event.error} {ms}".rstrip())
    text = f"→ {event.status} {ms}"
    warning = slow_warning(provider, scheme, event.latency_ms)
    return f"{text}  WARNING: {warning}" if warning else text


def stored_line(stored: object, as_json: bool) -> str:
    """A stored request as `serve` prints it, or as one JSON object (the export format)."""
    import json

    from inspector.core.formats.native import request_to_json
    from inspector.core.models import StoredRequest
    from inspector.core.store import Record
    from inspector.core.writer import Stored

    assert isinstance(stored, StoredRequest)
    if as_json:
        return json.dumps(request_to_json(stored), ensure_ascii=False)
    record = Record(stored.request, stored.derived, stored.response_status,
                    stored.response_headers, stored.response_body)  # fmt: skip
    return request_line(Stored(stored.id, record))
