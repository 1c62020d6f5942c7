"""The Telegram publisher: campaign posts in the LAPOR! channel through python-telegram-bot."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar

import httpx
import telegram
from telegram import error as tg
from telegram.constants import MessageLimit

from campaigns.publishers.base import CannotTellError, Figures, Published, PublishRequest
from core.clock import utcnow
from core.errors import (
    FatalSourceError,
    RetriableSourceError,
    SourceError,
    UncertainDeliveryError,
)
from core.platforms import hide_telegram_token, read_image, telegram_error
from core.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Bot API sendPhoto: "The photo must be at most 10 MB"
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024 characters after entities parsing
# httpx errors raised before the request reached Telegram: a resend cannot double the post
_UNSENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
)


class _NotSent(Exception):
    """getMe (the bot's start-up call) failed: nothing was posted."""

    def __init__(self, error: tg.TelegramError) -> None:
        self.error = error
        super().__init__(error.message)


class TelegramPublisher:
    """Posts campaign versions in LAPOR_TELEGRAM_CHANNEL_ID ("@channel" or "-100…"), where the
    bot must be an administrator allowed to post.

    Text goes out with sendMessage; with an image, sendPhoto carries the text as its caption
    (1024 characters at most). The Bot API has no alt text for photos, so the alt text stays
    in the media library. External ids are "<chat id>:<message id>".
    """

    channel: ClassVar[str] = CHANNEL

    def __init__(
        self,
        settings: Settings,
        bot: telegram.Bot | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        chat = (settings.telegram_channel_id or "").strip()
        if not chat:
            raise FatalSourceError(CHANNEL, "LAPOR_TELEGRAM_CHANNEL_ID is not set")
        if bot is None:
            token = settings.telegram_bot_token
            if token is None or not token.get_secret_value():
                raise FatalSourceError(CHANNEL, "LAPOR_TELEGRAM_BOT_TOKEN is not set")
            hide_telegram_token(token.get_secret_value())
            bot = telegram.Bot(token=token.get_secret_value(), base_url=settings.telegram_base_url)
        self._bot = bot
        self._chat = chat
        self._clock = clock
        # One Bot (and its HTTP client) per publisher: each call starts and stops it in its
        # own event loop, so publishing threads take turns.
        self._lock = threading.Lock()

    def publish(self, request: PublishRequest) -> Published:
        """Post the text, or the photo with the text as caption; return "<chat>:<message>" and
        the t.me link when the channel is public. Raises as the Publisher protocol says."""
        photo = None
        method = "sendMessage"
        if request.media_path is not None:
            length = len(request.text.strip())
            if length > CAPTION_LIMIT:
                detail = (
                    f"a photo caption holds {CAPTION_LIMIT} characters and this text has "
                    f"{length}; shorten it, or post the rest as a separate message"
                )
                raise FatalSourceError(CHANNEL, detail)
            photo = read_image(CHANNEL, request.media_path, MAX_PHOTO_BYTES)
            method = "sendPhoto"
        name = request.media_path.name if request.media_path is not None else None
        try:
            with self._lock:
                sent = asyncio.run(self._send(request.text, photo, name))
        except _NotSent as exc:
            raise self._error(exc.error, "getMe", left=False) from None
        except tg.TelegramError as exc:
            raise self._error(exc, method, left=True) from None
        log.info("posted %s on Telegram as %s:%s", request.key, sent.chat_id, sent.message_id)
        return Published(external_id=f"{sent.chat_id}:{sent.message_id}", url=self._url(sent))

    def lookup(self, request: PublishRequest) -> Published | None:
        """Never returns: raises CannotTellError, since a bot cannot read a channel's history
        (the Bot API has no method for past messages; getUpdates only brings new ones)."""
        raise CannotTellError(CHANNEL, "a bot cannot read a channel's history")

    def metrics(self, external_ids: Sequence[str]) -> dict[str, Figures]:
        """Return {}: the Bot API gives bots no view or reaction counts of channel posts."""
        return {}

    async def _send(self, text: str, photo: bytes | None, name: str | None) -> telegram.Message:
        try:
            try:
                await self._bot.initialize()
            except tg.TelegramError as exc:
                raise _NotSent(exc) from None
            if photo is None:
                return await self._bot.send_message(chat_id=self._chat, text=text)
            return await self._bot.send_photo(
                chat_id=self._chat, photo=photo, caption=text, filename=name
            )
        finally:
            await self._bot.shutdown()

    def _url(self, sent: telegram.Message) -> str | None:
        username = sent.chat.username or (self._chat[1:] if self._chat.startswith("@") else None)
        return f"https://t.me/{username}/{sent.message_id}" if username else None

    def _error(self, exc: tg.TelegramError, method: str, *, left: bool) -> SourceError:
        """Map a failed call; `left` is whether the post request itself was under way."""
        if type(exc) in (tg.NetworkError, tg.TimedOut):  # no answer (BadRequest is an answer)
            if not left or isinstance(exc.__cause__, _UNSENT):
                return RetriableSourceError(CHANNEL, f"{method} did not reach Telegram")
            return UncertainDeliveryError(CHANNEL, f"Telegram did not answer {method}")
        now = self._clock()
        return telegram_error(CHANNEL, exc, self._bot.token, now, what="the post", method=method)
