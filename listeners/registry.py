"""The explicit registry of listeners and webhook channels (no plug-in entry points)."""

from __future__ import annotations

from core.settings import Settings
from listeners.base import Listener, ListenerSpec


def _build_x(settings: Settings) -> Listener:
    from listeners.x import XListener

    return XListener(settings)


def _build_facebook(settings: Settings) -> Listener:
    from listeners.facebook import FacebookListener

    return FacebookListener(settings)


def _build_telegram(settings: Settings) -> Listener:
    from listeners.telegram import TelegramListener

    return TelegramListener(settings)


def _build_demo(settings: Settings) -> Listener:
    from listeners.demo import DemoListener

    return DemoListener(settings)


def _x_missing(s: Settings) -> str | None:
    return None if s.x_bearer_token else "LAPOR_X_BEARER_TOKEN is not set"


def _facebook_missing(s: Settings) -> str | None:
    if not s.facebook_page_id:
        return "LAPOR_FACEBOOK_PAGE_ID is not set"
    if not s.facebook_page_token:
        return "LAPOR_FACEBOOK_PAGE_TOKEN is not set"
    return None


def _telegram_missing(s: Settings) -> str | None:
    if not s.telegram_bot_token:
        return "LAPOR_TELEGRAM_BOT_TOKEN is not set"
    if s.telegram_webhook_secret:
        return "webhook mode (LAPOR_TELEGRAM_WEBHOOK_SECRET is set): updates arrive at /webhooks/telegram"
    return None


def _line_missing(s: Settings) -> str | None:
    return None if s.line_channel_secret else "LAPOR_LINE_CHANNEL_SECRET is not set"


def _messenger_missing(s: Settings) -> str | None:
    if not s.messenger_app_secret:
        return "LAPOR_MESSENGER_APP_SECRET is not set"
    if not s.messenger_verify_token:
        return "LAPOR_MESSENGER_VERIFY_TOKEN is not set"
    return None


def _demo_missing(s: Settings) -> str | None:
    if s.demo_on():
        return None
    if s.demo_enabled is False:
        return "LAPOR_DEMO_ENABLED is false"
    return "a real platform is configured (set LAPOR_DEMO_ENABLED=true to keep the demo)"


REGISTRY: dict[str, ListenerSpec] = {
    "x": ListenerSpec(
        name="x",
        label="X (Twitter)",
        build=_build_x,
        missing=_x_missing,
        interval=lambda s: s.x_poll_seconds,
    ),
    "facebook": ListenerSpec(
        name="facebook",
        label="Facebook Page",
        build=_build_facebook,
        missing=_facebook_missing,
        interval=lambda s: s.facebook_poll_seconds,
    ),
    "telegram": ListenerSpec(
        name="telegram",
        label="Telegram",
        build=_build_telegram,
        missing=_telegram_missing,
        interval=lambda s: s.telegram_poll_seconds,
    ),
    "line": ListenerSpec(
        name="line",
        label="LINE (webhook)",
        build=None,
        missing=_line_missing,
        interval=lambda s: 0,
    ),
    "messenger": ListenerSpec(
        name="messenger",
        label="Messenger (webhook)",
        build=None,
        missing=_messenger_missing,
        interval=lambda s: 0,
    ),
    "demo": ListenerSpec(
        name="demo",
        label="Demo stream",
        build=_build_demo,
        missing=_demo_missing,
        interval=lambda s: s.demo_poll_seconds,
    ),
}


def polled(settings: Settings) -> list[ListenerSpec]:
    """Return the specs of the polling listeners that are on under `settings`."""
    return [
        spec
        for spec in REGISTRY.values()
        if spec.build is not None and spec.off_reason(settings) is None
    ]
