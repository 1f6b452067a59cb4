"""Notification rules with a fake clock: each kind, turning kinds off, once a minute per kind."""

from __future__ import annotations

from inspector.core import notify
from inspector.core.notify import Notification, Notifier, NotifyPrefs


def test_invalid_signature() -> None:
    notifier = Notifier()
    assert notifier.stored(0.0, "waha") == []
    assert notifier.stored(1.0, "waha", (7,)) == [
        Notification("invalid_signature", "Invalid signature from waha", "#7")]  # fmt: skip
    assert notifier.stored(61.0, "meta", (8, 9))[0].title == "Invalid signatures from meta"


def test_forward_failed() -> None:
    [shown] = Notifier().forward_failed(0.0, 12, "connection refused")
    assert (shown.kind, shown.text) == ("forward_failed", "request #12: connection refused")


def test_source_stopping_or_losing_its_connection() -> None:
    notifier = Notifier(NotifyPrefs(interval=0))
    assert notifier.source_changed(0, "wsapi", "connecting", "connecting") == []
    assert notifier.source_changed(1, "wsapi", "live", "live") == []
    [lost] = notifier.source_changed(2, "wsapi", "retrying", "retrying in 4s")
    assert lost.title == "Source wsapi retrying"
    assert notifier.source_changed(3, "wsapi", "retrying", "retrying in 8s") == []
    [stopped] = notifier.source_changed(4, "wsapi", "stopped", "stopped: server said 204")
    assert stopped.kind == "stopped"
    assert notifier.source_changed(5, "other", "stopped", "stopped: removed") == []


def test_tunnel_stopping() -> None:
    notifier = Notifier(NotifyPrefs(interval=0))
    [died] = notifier.tunnel_changed(0, "ngrok", "died", "exited with status 1: auth failed")
    assert (died.kind, died.title) == ("stopped", "The ngrok tunnel died")
    assert notifier.tunnel_changed(1, "ngrok", "stopped", "stopped") == []  # the user stopped it
    assert notifier.tunnel_changed(2, "ngrok", "up", "") == []


def test_store_unable_to_write() -> None:
    [shown] = Notifier().store_failed(0.0, "disk full")
    assert (shown.kind, shown.title, shown.text) == (
        "store",
        "Requests are not being stored",
        "disk full",
    )


def steady(notifier: Notifier, sender: str, count: int, start: float = 0.0) -> float:
    for i in range(count):
        notifier.stored(start + i * 60.0, sender)
    return start + (count - 1) * 60.0


def test_silence_of_a_steady_sender() -> None:
    notifier = Notifier(NotifyPrefs(silence_after=600))
    last = steady(notifier, "WAHA", 40)
    assert notifier.tick(last + 599) == []
    [shown] = notifier.tick(last + 600)
    assert shown == Notification(
        "silence",
        "WAHA went quiet",
        "no events from WAHA for 10 min; it sent 40 in the hour before",
    )
    assert notifier.tick(last + 6000) == []  # once per silence
    again = steady(notifier, "WAHA", 5, start=last + 7000)  # sending steadily again
    assert notifier.tick(again + 900)[0].text == (
        "no events from WAHA for 15 min; it sent 5 in the hour before"
    )


def test_no_silence_for_a_sender_that_was_not_steady() -> None:
    notifier = Notifier(NotifyPrefs(silence_after=600, steady=5))
    last = steady(notifier, "github", 4)
    assert notifier.tick(last + 5000) == []


def test_only_the_last_hour_counts() -> None:
    notifier = Notifier(NotifyPrefs(silence_after=600, steady=5))
    steady(notifier, "meta", 10)  # long ago
    notifier.stored(10_000.0, "meta")
    assert notifier.tick(20_000.0) == []


def test_each_kind_can_be_turned_off() -> None:
    for kind in notify.KINDS:
        notifier = Notifier(NotifyPrefs(enabled=frozenset(notify.KINDS) - {kind}, interval=0))
        last = steady(notifier, "waha", 10)
        shown = [
            *notifier.stored(last, "waha", (1,)),
            *notifier.forward_failed(last, 1, "refused"),
            *notifier.tunnel_changed(last, "ssh", "died", "gone"),
            *notifier.store_failed(last, "full"),
            *notifier.tick(last + 3000),
        ]
        assert sorted(n.kind for n in shown) == sorted(set(notify.KINDS) - {kind})


def test_at_most_once_a_minute_per_kind() -> None:
    notifier = Notifier()
    assert len(notifier.store_failed(0.0, "full")) == 1
    assert notifier.store_failed(59.9, "full") == []
    assert len(notifier.forward_failed(30.0, 1, "refused")) == 1  # another kind is not held
    assert len(notifier.store_failed(60.0, "full")) == 1
    assert notifier.suppressed == 1


def test_a_silence_held_back_by_the_limit_comes_at_a_later_tick() -> None:
    notifier = Notifier(NotifyPrefs(silence_after=600))
    steady(notifier, "a", 10)
    last = steady(notifier, "b", 10)
    assert [n.title for n in notifier.tick(last + 600)] == ["a went quiet"]
    assert [n.title for n in notifier.tick(last + 660)] == ["b went quiet"]
