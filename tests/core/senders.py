"""A scripted sender that behaves like the WhatsApp providers, with a fake clock.

It builds the bodies each provider sends (message, statuses, `message` + `message.any`), and
delivers them to a store the way the receiver does: our answer is stored with each request and
the provider retries on its documented schedule while the answer is not a 2xx. Nothing sleeps:
`received_at` is set from the fake clock.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from inspector.core.config import Settings
from inspector.core.derive import derive
from inspector.core.models import CapturedRequest
from inspector.core.store import Record, Store

T0 = 1_780_000_000.0
"""The fake clock's start (seconds since the epoch)."""


def meta_status(wamid: str, state: str, at: float, error: tuple[int, str] | None = None) -> dict:
    status: dict[str, object] = {
        "id": wamid, "status": state, "timestamp": str(int(at)), "recipient_id": "16505551234",
    }  # fmt: skip
    if error is not None:
        status["errors"] = [{"code": error[0], "title": error[1]}]
    return _meta_value({"statuses": [status]})


def meta_message(wamid: str, text: str, at: float) -> dict:
    message = {"from": "16505551234", "id": wamid, "timestamp": str(int(at)), "type": "text",
               "text": {"body": text}}  # fmt: skip
    return _meta_value({"messages": [message]})


def _meta_value(value: dict[str, object]) -> dict:
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1"}, **value}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}]}  # fmt: skip


def waha(event: str, payload: dict, at: float, event_id: str = "") -> dict:
    body = {"event": event, "session": "default", "payload": payload, "engine": "WEBJS",
            "timestamp": int(at * 1000)}  # fmt: skip
    if event_id:
        body["id"] = event_id
    return body


def waha_text(
    message_id: str, text: str, at: float, *, from_me: bool = False, chat: str = "11111111111@c.us"
) -> dict:
    return {"id": message_id, "timestamp": int(at), "from": chat,
            "fromMe": from_me, "body": text, "hasMedia": False}  # fmt: skip


def waha_ack(message_id: str, level: int, at: float) -> dict:
    names = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DEVICE", 3: "READ", 4: "PLAYED"}
    return {"id": message_id, "from": "11111111111@c.us", "fromMe": True, "ack": level,
            "ackName": names[level], "timestamp": int(at)}  # fmt: skip


@dataclass
class Sender:
    """Delivers bodies to `store` like a provider, on a fake clock (seconds)."""

    store: Store
    clock: float = T0
    settings: Settings = field(default_factory=Settings)
    sent: list[int] = field(default_factory=list)

    def send(
        self,
        body: dict | bytes,
        answer: int | None = 200,
        headers: Sequence[tuple[str, str]] = (),
        at: float | None = None,
    ) -> int:
        """One delivery at `at` (default: now on the fake clock), stored with our `answer`
        (None: no answer); returns the request id."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        moment = self.clock if at is None else at
        request = CapturedRequest(
            "POST", "/hook", headers=(("Content-Type", "application/json"), *headers),
            body=raw, remote="127.0.0.1", received_at_ns=int(moment * 1e9),
        )  # fmt: skip
        record = Record(request, derive(request, self.settings), answer)
        [request_id] = self.store.insert_many([record])
        self.sent.append(request_id)
        return request_id

    def deliver(
        self,
        body: dict,
        answers: Sequence[int | None],
        schedule: Sequence[float],
        headers: Sequence[tuple[str, str]] = (),
    ) -> list[int]:
        """Send `body`, and again after schedule[i] seconds while our answer is not a 2xx (the
        provider's retry loop); returns the request ids of every attempt."""
        ids: list[int] = []
        for attempt, answer in enumerate(answers):
            ids.append(self.send(body, answer, headers))
            if answer is not None and 200 <= answer < 300:
                break
            self.clock += schedule[min(attempt, len(schedule) - 1)]
        return ids

    def wait(self, seconds: float) -> None:
        self.clock += seconds
