from __future__ import annotations

from inspector.core import samples
from inspector.core.config import SecretRule, Settings
from inspector.gui.widgets.samples_menu import (
    PROVIDER_TITLES,
    SampleSecret,
    SamplesMenu,
    sample_secret,
    sent_message,
    target_url,
)


def test_menu_lists_every_sample_grouped_by_provider(qtbot) -> None:
    menu = SamplesMenu()
    qtbot.addWidget(menu)
    expected = samples.list_samples()
    assert set(menu.sample_actions) == {(p, e) for p, e, _ in expected}
    titles = [action.text() for action in menu.actions()]
    providers = list(dict.fromkeys(p for p, _, _ in expected))
    assert titles == [PROVIDER_TITLES.get(p, p) for p in providers]
    meta_menu = menu.actions()[0].menu()
    assert [a.text() for a in meta_menu.actions()] == [e for p, e, _ in expected if p == "meta"]
    description = dict(((p, e), d) for p, e, d in expected)[("meta", "text")]
    assert menu.sample_actions[("meta", "text")].toolTip() == description


def test_choosing_a_sample_emits_it(qtbot) -> None:
    menu = SamplesMenu()
    qtbot.addWidget(menu)
    with qtbot.waitSignal(menu.sampleChosen) as blocker:
        menu.sample_actions[("waha", "message.ack")].trigger()
    assert blocker.args == ["waha", "message.ack"]


def test_configured_secret_wins_over_the_demo_secret() -> None:
    settings = Settings(secrets=(SecretRule("/webhook", "meta", "mine"),))
    assert sample_secret(settings, "meta") == SampleSecret("mine", False, "/webhook", "meta")
    demo = sample_secret(Settings(), "stripe")
    assert demo == SampleSecret(samples.DEMO_SECRETS["stripe"], True)
    # a rule for another provider does not apply
    other = Settings(secrets=(SecretRule("/webhook", "github", "gh", "github"),))
    assert sample_secret(other, "meta").demo


def test_messages_say_which_secret_signed_it() -> None:
    demo = sent_message("meta", "text", 200, SampleSecret("demo-meta-app-secret", True))
    assert "demo secret 'demo-meta-app-secret'" in demo
    assert "add a meta secret for /webhook/meta" in demo
    mine = sent_message("meta", "text", 200, SampleSecret("x", False, "/webhook", "meta"))
    assert mine.endswith("Signed with the secret configured for /webhook.")
    clash = sent_message("meta", "text", 200, SampleSecret("x", False, "/webhook", "waha"))
    assert "expect the check to fail" in clash


def test_target_url_reaches_a_wildcard_bind_through_localhost() -> None:
    assert target_url("http://127.0.0.1:8080", "meta") == "http://127.0.0.1:8080/webhook/meta"
    assert target_url("http://0.0.0.0:9000", "waha") == "http://127.0.0.1:9000/webhook/waha"
    assert target_url("http://[::]:9000", "waha") == "http://127.0.0.1:9000/webhook/waha"
    assert target_url("http://[::1]:9000", "github") == "http://[::1]:9000/webhook/github"
