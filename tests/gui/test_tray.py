"""The tray notifier: counts, and the `notified` signal for each rule (offscreen: the signal,
not the OS popup); kinds are switched off from its menu and stay off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inspector.core.models import SigStatus
from inspector.core.service import ForwardDone
from inspector.core.sse import SourceState
from inspector.core.tunnel import TunnelState
from inspector.gui.bridge import CoreBridge
from inspector.gui.widgets.tray import TrayNotifier, load_prefs
from tests.gui.conftest import make_record


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tray(qtbot, bridge: CoreBridge, clock: Clock) -> Iterator[TrayNotifier]:
    notifier = TrayNotifier(bridge, clock=clock)
    yield notifier
    notifier.close()


def store_records(bridge: CoreBridge, *sigs: SigStatus, provider: str = "waha") -> list[int]:
    assert bridge.store is not None
    return bridge.store.insert_many([make_record(provider=provider, sig=s) for s in sigs])


def test_invalid_signature_is_notified_and_counted(qtbot, tray: TrayNotifier,
                                                   bridge: CoreBridge) -> None:  # fmt: skip
    ids = store_records(bridge, SigStatus.VALID, SigStatus.INVALID)
    with qtbot.waitSignal(tray.notified) as blocker:
        tray.on_stored(ids)
    assert blocker.args == ["invalid_signature", "Invalid signature from waha", f"#{ids[1]}"]
    assert (tray.new, tray.invalid) == (2, 1)
    tray.reset_counts()
    assert (tray.new, tray.invalid) == (0, 0)


def test_forward_failure_source_tunnel_and_store(qtbot, tray: TrayNotifier, clock: Clock) -> None:
    seen: list[tuple[str, str, str]] = []
    tray.notified.connect(lambda *args: seen.append(args))
    tray.on_forwarded(ForwardDone(3, None, None, "connection refused"))
    tray.on_forwarded(ForwardDone(4, 200, 5.0, None))  # fine: nothing
    tray.on_source(SourceState("wsapi", "live", "live"))
    tray.on_source(SourceState("wsapi", "retrying", "retrying in 4s"))
    tray.on_tunnel(TunnelState("ngrok", "died", reason="exited with status 1"))
    tray.on_store(False, "disk full")
    assert [kind for kind, _, _ in seen] == ["forward_failed", "stopped", "store"]
    assert seen[0][2] == "request #3: connection refused"
    clock.now += 61  # the tunnel's "stopped" came within the minute of the source's
    tray.on_tunnel(TunnelState("ngrok", "died", reason="exited with status 1"))
    assert seen[-1] == ("stopped", "The ngrok tunnel died", "exited with status 1")


def test_silence_is_noticed_by_the_timer_tick(qtbot, tray: TrayNotifier, bridge: CoreBridge,
                                              clock: Clock) -> None:  # fmt: skip
    for _ in range(6):
        tray.on_stored(store_records(bridge, SigStatus.VALID))
        clock.now += 60
    clock.now += 600
    with qtbot.waitSignal(tray.notified) as blocker:
        tray.tick()
    assert blocker.args[0] == "silence"
    assert blocker.args[2] == "no events from waha for 11 min; it sent 6 in the hour before"


def test_a_kind_turned_off_in_the_menu_stays_off(qtbot, tray: TrayNotifier,
                                                 bridge: CoreBridge) -> None:  # fmt: skip
    tray.kind_actions["invalid_signature"].setChecked(False)
    assert "invalid_signature" not in load_prefs().enabled
    with qtbot.assertNotEmitted(tray.notified):
        tray.on_stored(store_records(bridge, SigStatus.INVALID))
    assert tray.invalid == 1  # still counted
    again = TrayNotifier(bridge)
    try:
        assert not again.kind_actions["invalid_signature"].isChecked()
    finally:
        again.close()


def test_the_silence_time_is_configurable_and_kept(tray: TrayNotifier, bridge: CoreBridge) -> None:
    assert tray.silence_action.text() == "Silence after 10 min…"
    tray.set_silence_minutes(3)
    assert tray.notifier.prefs.silence_after == 180
    assert tray.silence_action.text() == "Silence after 3 min…"
    assert load_prefs().silence_after == 180
