"""What to paste where, per provider, to send its webhooks to this inspector.

Pure functions behind Help > Connect a provider: `steps(key, url, secret, token)` gives the
(title, text) steps for one provider, filled in with the receiver's URL (a tunnel, a relay or
local) and a path of its own (``/webhook/<key>``). `apply` turns the secret typed there into
the secret rule for that path (and Meta's verify token into the receiver's). The facts come
from each provider's documentation, listed per provider in docs/providers.md.
"""

from __future__ import annotations

import json
import secrets as random
from dataclasses import dataclass, replace

from inspector.core.config import SecretRule, Settings
from inspector.core.docker import ADD_HOST, COMPOSE_EXTRA_HOSTS
from inspector.core.models import SigStatus, StoredRequest


@dataclass(frozen=True, slots=True)
class Step:
    title: str
    """Where it goes, in a sentence."""
    text: str
    """What to paste there (or a note when `copy` is False)."""
    copy: bool = True


@dataclass(frozen=True, slots=True)
class Target:
    """One provider the assistant can connect."""

    key: str
    label: str
    provider: str
    """The provider name its requests are detected as (`provider:` in the filter bar)."""
    scheme: str | None
    """Signature scheme of the secret rule, None when the sender does not sign."""
    secret_label: str = "Secret"
    public: bool = False
    """A hosted service: it needs a public HTTPS URL (a tunnel or a relay)."""
    docker: bool = False
    """Usually self-hosted in Docker on this machine."""
    chosen_here: bool = False
    """The user makes the secret up (and pastes it at the provider); otherwise the provider
    shows it and the user pastes it here."""


TARGETS: tuple[Target, ...] = (
    Target("meta", "Meta (WhatsApp Cloud API)", "meta", "meta", "App secret", public=True),
    Target("waha", "WAHA", "waha", "waha", "HMAC key", docker=True, chosen_here=True),
    Target("wahooks", "WAHooks", "waha", "wahooks", "Signing secret", public=True),
    Target("wawp", "Wawp", "waha", None, public=True),
    Target("wsapi", "WSAPI", "wsapi", "wsapi", "Webhook secret", public=True, chosen_here=True),
    Target(
        "gowa",
        "GOWA (go-whatsapp-web-multidevice)",
        "gowa",
        "gowa",
        "Webhook secret",
        docker=True,
        chosen_here=True,
    ),
    Target("evolution", "Evolution API", "evolution", None, docker=True),
    Target("greenapi", "Green API", "greenapi", None, public=True),
    Target("vesper", "Vesper", "vesper", "vesper", "Webhook secret", public=True, chosen_here=True),
    Target("github", "GitHub", "github", "github", "Webhook secret", public=True, chosen_here=True),
    Target("stripe", "Stripe", "stripe", "stripe", "Signing secret (whsec_…)", public=True),
    Target("slack", "Slack", "slack", "slack", "Signing secret", public=True),
    Target("shopify", "Shopify", "shopify", "shopify", "Client secret / signing key", public=True),
    Target("twilio", "Twilio", "twilio", "twilio", "Auth token", public=True),
    Target(
        "standard",
        "Standard Webhooks (Svix, …)",
        "standard",
        "standard",
        "Signing secret (whsec_…)",
        public=True,
    ),
)
BY_KEY = {target.key: target for target in TARGETS}


def target(key: str) -> Target:
    try:
        return BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown provider {key!r} (one of {', '.join(BY_KEY)})") from None


def webhook_path(key: str) -> str:
    return f"/webhook/{target(key).key}"


def webhook_url(base_url: str, key: str) -> str:
    """The URL to give the provider: `base_url` (tunnel, relay or local) plus its path."""
    return base_url.rstrip("/") + webhook_path(key)


def new_token() -> str:
    """A verify token or a secret to paste into both sides."""
    return random.token_urlsafe(24)


def secret_rule(key: str, secret: str) -> SecretRule | None:
    """The secret rule for this provider's path, or None (no secret, or an unsigned sender)."""
    found = target(key)
    if not secret or found.scheme is None:
        return None
    return SecretRule(webhook_path(key), found.scheme, secret)


def apply(settings: Settings, key: str, secret: str, token: str | None = None) -> Settings:
    """`settings` with the secret rule for this provider's path (replacing the one for the same
    path) and, for Meta, the receiver's verify token."""
    path = webhook_path(key)
    rules = [rule for rule in settings.secrets if rule.path_prefix != path]
    rule = secret_rule(key, secret)
    if rule is not None:
        rules.append(rule)
    changed = settings.with_secrets(rules)
    if key == "meta" and token:
        changed = replace(changed, verify_token=token)
    return changed


# --- the steps ----------------------------------------------------------------------------------


def steps(key: str, base_url: str, secret: str = "", token: str = "") -> list[Step]:
    """What to paste where for provider `key`, filled in with the URL, secret and token."""
    url = webhook_url(base_url, key)
    shown = secret or "<the secret you choose>"
    return _BUILDERS[target(key).key](url, shown, token or "<a verify token>")


def _json(value: object) -> str:
    return json.dumps(value, indent=2)


def _meta(url: str, _secret: str, token: str) -> list[Step]:
    return [
        Step("Meta App Dashboard > WhatsApp > Configuration > Webhook: Callback URL", url),
        Step("Same place: Verify token (the receiver answers Meta's check with it)", token),
        Step('Then press "Verify and save" and subscribe to the webhook field', "messages"),
        Step(
            "App secret, for the signature (X-Hub-Signature-256): App Dashboard > App settings"
            " > Basic > App secret (Show); paste it into the secret field above",
            "",
            copy=False,
        ),
        Step("Note", "Meta needs a public HTTPS URL: start a tunnel first.", copy=False),
    ]


def _waha(url: str, secret: str, _token: str) -> list[Step]:
    webhooks = [{"url": url, "events": ["message", "session.status"], "hmac": {"key": secret}}]
    return [
        Step(
            'Session config (POST /api/sessions or PUT /api/sessions/{session}): "config"',
            _json({"webhooks": webhooks}),
        ),
        Step(
            "Or for every session, as environment variables of the WAHA container",
            f"WHATSAPP_HOOK_URL={url}\nWHATSAPP_HOOK_EVENTS=message,session.status\n"
            f"WHATSAPP_HOOK_HMAC_KEY={secret}",
        ),
        Step("WAHA then signs each body: X-Webhook-Hmac (HMAC-SHA512, hex)", "", copy=False),
    ]


def _wahooks(url: str, _secret: str, _token: str) -> list[Step]:
    return [
        Step("WAHooks dashboard: add a webhook with this URL", url),
        Step(
            "The webhook's signingSecret (X-WAHooks-Signature, HMAC-SHA256 of"
            ' "{timestamp}.{body}"): paste it into the secret field above',
            "",
            copy=False,
        ),
    ]


def _wawp(url: str, _secret: str, _token: str) -> list[Step]:
    return [
        Step("Wawp: paste this where it asks for a webhook URL", url),
        Step(
            "Note",
            "Wawp's webhook documentation was not found; its events have WAHA's shape "
            "and no signature is checked here.",
            copy=False,
        ),
    ]


def _wsapi(url: str, secret: str, _token: str) -> list[Step]:
    return [
        Step("WSAPI instance settings: Webhook URL", url),
        Step("Same place: Webhook secret (X-Webhook-Signature: sha256=<hex HMAC-SHA256>)", secret),
    ]


def _gowa(url: str, secret: str, _token: str) -> list[Step]:
    return [
        Step(
            "Environment of the GOWA container",
            f"WHATSAPP_WEBHOOK={url}\nWHATSAPP_WEBHOOK_SECRET={secret}",
        ),
        Step("Or as command-line flags", f'--webhook="{url}" --webhook-secret="{secret}"'),
        Step(
            "Note",
            'Without a secret GOWA signs with the default "secret" (X-Hub-Signature-256).',
            copy=False,
        ),
    ]


def _evolution(url: str, _secret: str, _token: str) -> list[Step]:
    body = {
        "webhook": {
            "enabled": True,
            "url": url,
            "byEvents": False,
            "base64": False,
            "events": ["MESSAGES_UPSERT", "MESSAGES_UPDATE", "CONNECTION_UPDATE"],
        }
    }
    return [
        Step(
            "POST {server}/webhook/set/{instance} with your apikey header, this body", _json(body)
        ),
        Step(
            "Or for all instances, environment variables",
            f"WEBHOOK_GLOBAL_ENABLED=true\nWEBHOOK_GLOBAL_URL={url}\n"
            "WEBHOOK_EVENTS_MESSAGES_UPSERT=true",
        ),
        Step(
            "Note",
            "Evolution API does not sign bodies; each payload carries the instance's "
            "apikey (masked in exports).",
            copy=False,
        ),
    ]


def _greenapi(url: str, _secret: str, _token: str) -> list[Step]:
    body = {"webhookUrl": url, "incomingWebhook": "yes", "outgoingMessageWebhook": "yes"}
    return [
        Step("Green API console > instance settings: Webhook URL", url),
        Step("Or POST {apiUrl}/waInstance{idInstance}/setSettings/{apiTokenInstance}", _json(body)),
        Step(
            "Note",
            "Green API does not sign bodies; it waits up to 180 s for an answer.",
            copy=False,
        ),
    ]


def _vesper(url: str, secret: str, _token: str) -> list[Step]:
    return [
        Step("Vesper dashboard: webhook URL", url),
        Step("Same place: webhook secret (x-vesper-signature, HMAC-SHA256 hex)", secret),
    ]


def _github(url: str, secret: str, _token: str) -> list[Step]:
    return [
        Step("Repository (or organisation) > Settings > Webhooks > Add webhook: Payload URL", url),
        Step("Content type", "application/json"),
        Step("Secret (X-Hub-Signature-256)", secret),
    ]


def _stripe(url: str, _secret: str, _token: str) -> list[Step]:
    return [
        Step("Stripe Dashboard > Developers > Webhooks > Add endpoint: Endpoint URL", url),
        Step(
            "Then reveal the endpoint's Signing secret (whsec_…) and paste it into the secret "
            "field above",
            "",
            copy=False,
        ),
    ]


def _slack(url: str, _secret: str, _token: str) -> list[Step]:
    return [
        Step("api.slack.com/apps > your app > Event Subscriptions: Request URL", url),
        Step(
            "Basic Information > App Credentials > Signing Secret: paste it into the secret "
            "field above",
            "",
            copy=False,
        ),
        Step(
            "Note",
            "Slack checks the Request URL with a url_verification challenge that must "
            "be echoed; answer it from your handler (forward to it).",
            copy=False,
        ),
    ]


def _shopify(url: str, _secret: str, _token: str) -> list[Step]:
    toml = f'[[webhooks.subscriptions]]\ntopics = ["orders/create"]\nuri = "{url}"'
    return [
        Step(
            "Shopify admin > Settings > Notifications > Webhooks > Create webhook: URL "
            "(format JSON)",
            url,
        ),
        Step("Or in an app's shopify.app.toml", toml),
        Step(
            "Signing key (X-Shopify-Hmac-SHA256): the key shown under the webhooks list, or the "
            "app's client secret; paste it into the secret field above",
            "",
            copy=False,
        ),
    ]


def _twilio(url: str, _secret: str, _token: str) -> list[Step]:
    return [
        Step(
            "Twilio Console > Messaging (WhatsApp sender or sandbox settings): "
            '"When a message comes in", method POST',
            url,
        ),
        Step(
            "Auth Token (Console > Account info): paste it into the secret field above",
            "",
            copy=False,
        ),
        Step("Note", "Twilio signs the URL it calls: give it exactly this URL.", copy=False),
    ]


def _standard(url: str, _secret: str, _token: str) -> list[Step]:
    return [
        Step("The sender's webhook settings (e.g. Svix): endpoint URL", url),
        Step("Its signing secret (whsec_…): paste it into the secret field above", "", copy=False),
    ]


_BUILDERS = {
    "meta": _meta, "waha": _waha, "wahooks": _wahooks, "wawp": _wawp, "wsapi": _wsapi,
    "gowa": _gowa, "evolution": _evolution, "greenapi": _greenapi, "vesper": _vesper,
    "github": _github, "stripe": _stripe, "slack": _slack, "shopify": _shopify,
    "twilio": _twilio, "standard": _standard,
}  # fmt: skip


def docker_steps(key: str, port: int, bridge: str | None) -> list[Step]:
    """For a gateway in a container on this machine: the URL it can reach and how."""
    path = webhook_path(key)
    found = [
        Step(
            "URL for a container (Docker Desktop, or Linux with the flag below)",
            f"http://host.docker.internal:{port}{path}",
        ),
        Step("docker run flag (Linux)", ADD_HOST),
        Step("or in docker-compose.yml, under the service", COMPOSE_EXTRA_HOSTS),
    ]
    if bridge:
        found.append(Step("Or the Docker bridge address", f"http://{bridge}:{port}{path}"))
    found.append(Step("On Linux, turn on \"Also listen on the Docker bridge\" below, so the "
                      "receiver answers on that address too", "", copy=False))  # fmt: skip
    return found


# --- waiting for the first event ----------------------------------------------------------------


def waiting_text(key: str) -> str:
    return f"waiting for the first event from {target(key).label}…"


def arrival_text(stored: StoredRequest) -> str:
    """'received #123: message, signature valid', or what is wrong with the signature."""
    derived = stored.derived
    what = derived.event_type or derived.provider
    check = derived.verification
    verdict = _VERDICTS.get(check.status, f"signature {check.status.value}")
    if check.status not in (SigStatus.VALID, SigStatus.UNSIGNED) and check.reason:
        verdict += f": {check.reason}"
    return f"received #{stored.id}: {what}, {verdict}"


_VERDICTS = {
    SigStatus.VALID: "signature valid",
    SigStatus.UNSIGNED: "not signed",
    SigStatus.INVALID: "signature invalid",
    SigStatus.NO_SECRET: "signed, but no secret is set for this path",
    SigStatus.MISSING_HEADER: "signature header missing",
    SigStatus.EXPIRED: "signature expired",
    SigStatus.MALFORMED: "signature malformed",
}
