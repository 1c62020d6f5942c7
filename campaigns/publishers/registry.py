"""Which publisher posts on each channel: the real one when its keys are set, else the console."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from campaigns.publishers.base import Publisher
from campaigns.publishers.console import ConsolePublisher
from core.outreach import PUBLISH_CHANNELS
from core.platforms import x_keys_unset
from core.settings import Settings


def missing(channel: str, settings: Settings) -> str | None:
    """Return why `channel` posts to the console instead of the platform, or None when it is live."""
    if channel == "x":
        unset = x_keys_unset(settings)
        return f"{', '.join(unset)} not set" if unset else None
    if channel == "facebook":
        if not settings.facebook_page_id:
            return "LAPOR_FACEBOOK_PAGE_ID is not set"
        return None if settings.facebook_page_token else "LAPOR_FACEBOOK_PAGE_TOKEN is not set"
    if channel == "telegram":
        if not settings.telegram_bot_token:
            return "LAPOR_TELEGRAM_BOT_TOKEN is not set"
        return None if settings.telegram_channel_id else "LAPOR_TELEGRAM_CHANNEL_ID is not set"
    return f"{channel} is not a publishing channel ({', '.join(PUBLISH_CHANNELS)})"


def publisher_for(channel: str, settings: Settings, factory: sessionmaker[Session]) -> Publisher:
    """Return the publisher for `channel`: the platform's when its settings are complete."""
    if missing(channel, settings) is None:
        if channel == "x":
            from campaigns.publishers.x import XPublisher

            return XPublisher(settings)
        if channel == "facebook":
            from campaigns.publishers.facebook import FacebookPublisher

            return FacebookPublisher(settings)
        from campaigns.publishers.telegram import TelegramPublisher

        return TelegramPublisher(settings)
    return ConsolePublisher(channel, factory, latency_ms=settings.console_publish_latency_ms)


class Publishers:
    """One publisher per channel for a process, built on first use (clients are reused)."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self._settings, self._factory = settings, factory
        self._built: dict[str, Publisher] = {}
        self._lock = threading.Lock()  # publishing threads ask at the same time

    def __call__(self, channel: str) -> Publisher:
        with self._lock:
            if channel not in self._built:
                self._built[channel] = publisher_for(channel, self._settings, self._factory)
            return self._built[channel]
