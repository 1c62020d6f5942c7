"""Telegram: parse Bot API updates into mentions, and poll getUpdates with an update_id offset."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

import telegram
from telegram import error as tg
from telegram.warnings import PTBUserWarning

from core.clock import from_epoch, utcnow
from core.errors import BadPayloadError, FatalSourceError, RetriableSourceError, SourceError
from core.mentions import (
    Batch,
    MentionIn,
    extract_handles,
    extract_hashtags,
    parse_each,
)
from core.platforms import hide_telegram_token
from core.settings import Settings

Obj = Mapping[str, Any]
Entities = list[tuple[str, str]]  # (entity type, the text it covers)
Clock = Callable[[], datetime]

PLATFORM = "telegram"
ALLOWED_UPDATES = ("message", "edited_message", "channel_post", "edited_channel_post")
CHAT_TYPES = ("private", "group", "supergroup", "channel")
MEDIA_KEYS = ("video", "document", "voice", "audio")
TOKEN_REJECTED = "Telegram rejected the bot token: check LAPOR_TELEGRAM_BOT_TOKEN"
WEBHOOK_SET = (
    "a webhook is set for this bot, so Telegram refuses polling: receive updates at "
    "/webhooks/telegram (set LAPOR_TELEGRAM_WEBHOOK_SECRET) or call deleteWebhook to poll"
)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadPayloadError(f"{what} is missing or not an integer")
    return value


def _obj(value: Any, what: str) -> Obj:
    if not isinstance(value, Mapping):
        raise BadPayloadError(f"{what} is missing or not a JSON object")
    return value


def _opt_obj(value: Any, what: str) -> Obj | None:
    return None if value is None else _obj(value, what)


def _entities(text: str, raw: Any) -> Entities:
    # Offsets and lengths count UTF-16 code units: an emoji before an entity counts twice.
    if not isinstance(raw, list | None):
        raise BadPayloadError("entities is not a list")
    try:
        encoded, found = text.encode("utf-16-le"), []
    except UnicodeEncodeError:  # a lone surrogate: no client sends one, and no store takes it
        raise BadPayloadError("the text is not valid Unicode") from None
    for item in raw or ():
        entity = _obj(item, "an entity")
        offset = _int(entity.get("offset"), "entity offset")
        end = offset + _int(entity.get("length"), "entity length")
        try:
            covered = encoded[2 * offset : 2 * end].decode("utf-16-le")
        except UnicodeDecodeError:  # the entity cuts an emoji in half
            covered = ""
        if not covered or offset < 0 or end * 2 > len(encoded):
            raise BadPayloadError(f"the entity at offset {offset} does not fit the text")
        found.append((str(entity.get("type")), covered))
    return found


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.lower(), value)
    return tuple(seen.values())


def _media(message: Obj) -> tuple[str, ...]:
    # Without the token there is no download URL; the handler resolves tg-file ids with getFile.
    ids = []
    photo = message.get("photo")
    if isinstance(photo, list) and photo and isinstance(photo[-1], Mapping):
        ids.append(photo[-1].get("file_id"))  # sizes come smallest first; keep the largest
    for key in MEDIA_KEYS:
        if isinstance(message.get(key), Mapping):
            ids.append(message[key].get("file_id"))
    return tuple(f"tg-file:{file_id}" for file_id in ids if isinstance(file_id, str) and file_id)


def _author(message: Obj) -> tuple[str | None, str | None, str | None]:
    # Prefer sender_chat: for anonymous admins `from` is a placeholder (@GroupAnonymousBot).
    chat = _opt_obj(message.get("sender_chat"), "sender_chat")
    if chat is not None:
        return str(_int(chat.get("id"), "sender_chat.id")), chat.get("username"), chat.get("title")
    user = _opt_obj(message.get("from"), "from")
    if user is None:
        return None, None, None
    name = " ".join(str(part) for part in (user.get("first_name"), user.get("last_name")) if part)
    return str(_int(user.get("id"), "from.id")), user.get("username"), name or None


def _addresses_bot(bot: str | None, text: str, found: Entities, reply: Obj | None) -> bool:
    if not bot:
        return False
    bot = bot.lstrip("@").lower()
    handles = {h.lower() for h in extract_handles(text)}
    handles |= {t.lstrip("@").lower() for kind, t in found if kind == "mention"}
    commands = {t.rpartition("@")[2].lower() for kind, t in found if kind == "bot_command"}
    replied = reply.get("from") if reply is not None else None
    to_bot = isinstance(replied, Mapping) and str(replied.get("username", "")).lower() == bot
    return bot in handles or bot in commands or to_bot


def parse_update(
    update: Obj, *, bot_username: str | None, watched_hashtags: Sequence[str]
) -> MentionIn | None:
    """Return the mention in one Bot API Update, or None for an update we do not capture.

    Private messages to the bot are always captured; group, supergroup and channel posts only
    when they address the bot (@mention, /command@bot, a reply to the bot) or carry a watched
    hashtag. Raises BadPayloadError when the update is malformed.
    """
    if not isinstance(update, Mapping):
        raise BadPayloadError("the update is not a JSON object")
    update_id = _int(update.get("update_id"), "update_id")
    key = next((k for k in ALLOWED_UPDATES if k in update), None)
    if key is None:
        return None
    try:
        return _parse_message(update, key, bot_username, watched_hashtags)
    except BadPayloadError as exc:
        raise BadPayloadError(f"Telegram update {update_id} ({key}): {exc.reason}") from None


def _parse_message(
    update: Obj, key: str, bot_username: str | None, watched: Sequence[str]
) -> MentionIn | None:
    message = _obj(update.get(key), key)
    message_id = _int(message.get("message_id"), "message_id")
    try:
        created_at = from_epoch(_int(message.get("date"), "date"))
    except (OverflowError, OSError, ValueError):
        raise BadPayloadError("date is not a Unix time") from None
    chat = _obj(message.get("chat"), "chat")
    chat_id = _int(chat.get("id"), "chat.id")
    chat_type = chat.get("type")
    if chat_type not in CHAT_TYPES:
        raise BadPayloadError(f"chat.type {chat_type!r} is not a type the Bot API documents")
    has_text = message.get("text") is not None
    text = message.get("text" if has_text else "caption", "")
    if not isinstance(text, str):
        raise BadPayloadError("text or caption is not a string")
    found = _entities(text, message.get("entities" if has_text else "caption_entities"))
    mentioned = _unique([t.lstrip("@") for kind, t in found if kind == "mention"])
    hashtags = _unique([t.lstrip("#") for kind, t in found if kind == "hashtag"])
    mentioned, hashtags = mentioned or extract_handles(text), hashtags or extract_hashtags(text)

    thread_id = message.get("message_thread_id")
    in_topic = message.get("is_topic_message") is True and isinstance(thread_id, int)
    reply = _opt_obj(message.get("reply_to_message"), "reply_to_message")
    if reply is not None and in_topic and reply.get("message_id") == thread_id:
        reply = None  # in a forum topic every message "replies" to the topic's first message
    reply_id = None if reply is None else _int(reply.get("message_id"), "reply message_id")

    if chat_type == "private":
        kind = "message"
    else:
        hit = {w.lstrip("#").lower() for w in watched} & {t.lower() for t in hashtags}
        if not (hit or _addresses_bot(bot_username, text, found, reply)):
            return None
        kind = "post" if reply is None else "reply"

    author_id, handle, name = _author(message)
    username = chat.get("username")
    public = chat_type != "private" and isinstance(username, str) and username
    return MentionIn(
        platform=PLATFORM,
        external_id=f"{chat_id}:{message_id}",
        text=text,
        created_at=created_at,
        kind=kind,
        conversation_id=f"{chat_id}:{thread_id}" if in_topic else str(chat_id),
        reply_to_id=None if reply_id is None else f"{chat_id}:{reply_id}",
        author_id=author_id,
        author_handle=handle if isinstance(handle, str) else None,
        author_name=name if isinstance(name, str) else None,
        url=f"https://t.me/{username}/{message_id}" if public else None,
        hashtags=hashtags,
        mentioned=mentioned,
        media_urls=_media(message),
        raw=dict(update),
    )


def parse_updates(
    updates: Sequence[Obj], *, bot_username: str | None, watched_hashtags: Sequence[str]
) -> Batch:
    """Return the mentions in a list of updates; malformed ones go to `quarantined`.

    `next_cursor` is left None: only the poller knows which offset the list covers.
    """
    mentions, bad = parse_each(
        updates,
        lambda update: parse_update(
            update, bot_username=bot_username, watched_hashtags=watched_hashtags
        ),
    )
    return Batch(mentions=tuple(mentions), quarantined=tuple(bad))


class TelegramListener:
    """Polls the Bot API's getUpdates; the cursor is {"offset": last update_id + 1}."""

    name: ClassVar[str] = "telegram"

    def __init__(
        self, settings: Settings, bot: telegram.Bot | None = None, *, clock: Clock = utcnow
    ) -> None:
        if bot is None:
            token = settings.telegram_bot_token
            if token is None or not token.get_secret_value():
                raise FatalSourceError(self.name, "LAPOR_TELEGRAM_BOT_TOKEN is not set")
            hide_telegram_token(token.get_secret_value())  # before Bot() logs its URL
            bot = telegram.Bot(token=token.get_secret_value(), base_url=settings.telegram_base_url)
        hide_telegram_token(bot.token)
        self._bot = bot
        self._bot_username = settings.telegram_bot_username
        self._watched = tuple(settings.watched_hashtags)
        self._clock = clock

    def poll(self, cursor: dict[str, Any] | None) -> Batch:
        """Return the updates after `cursor` as a batch whose cursor confirms all of them.

        Raises RetriableSourceError (flood control, timeouts, network) and FatalSourceError
        (token rejected, a webhook is set).
        """
        offset = (cursor or {}).get("offset")
        try:
            updates, username = asyncio.run(
                self._fetch(offset if isinstance(offset, int) else None)
            )
        except tg.TelegramError as exc:
            raise self._source_error(exc) from None
        if not isinstance(updates, list):
            raise RetriableSourceError(self.name, "getUpdates returned something other than a list")
        batch = parse_updates(
            updates, bot_username=self._bot_username or username, watched_hashtags=self._watched
        )
        # The offset confirms every update received, the ignored and quarantined ones too.
        raw_ids = [u.get("update_id") for u in updates if isinstance(u, Mapping)]
        ids = [i for i in raw_ids if isinstance(i, int)]
        return replace(batch, next_cursor={"offset": max(ids) + 1} if ids else None)

    async def _fetch(self, offset: int | None) -> tuple[Any, str | None]:
        # One event loop per poll: initialise (getMe) and shut the HTTP client down inside it.
        async with self._bot:
            with warnings.catch_warnings():
                # do_api_request warns "use Bot.get_updates"; we need the raw JSON so that one
                # malformed update is quarantined instead of failing the whole batch.
                warnings.simplefilter("ignore", PTBUserWarning)
                kwargs = {"offset": offset, "timeout": 0, "allowed_updates": list(ALLOWED_UPDATES)}
                updates = await self._bot.do_api_request("getUpdates", api_kwargs=kwargs)
            return updates, self._bot.username

    def _source_error(self, exc: tg.TelegramError) -> SourceError:
        detail = exc.message.replace(self._bot.token, "<bot-token>")
        if isinstance(exc, tg.RetryAfter):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PTBUserWarning)  # int-vs-timedelta deprecation
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            retry_at = self._clock() + timedelta(seconds=seconds)
            return RetriableSourceError(self.name, "Telegram flood control", retry_at=retry_at)
        if isinstance(exc, tg.InvalidToken | tg.Forbidden | tg.EndPointNotFound):
            return FatalSourceError(self.name, TOKEN_REJECTED)
        if isinstance(exc, tg.Conflict) and "webhook" in detail.lower():
            return FatalSourceError(self.name, WEBHOOK_SET)
        if isinstance(exc, tg.BadRequest):
            return FatalSourceError(self.name, f"Telegram refused getUpdates: {detail}")
        return RetriableSourceError(self.name, f"getUpdates failed: {detail}")


def reparse(raw: str) -> Batch:
    """Return the mention in one quarantined update (empty when it is one we ignore).

    Uses the default settings for the bot username and watched hashtags. Raises BadPayloadError
    when the text is still not a valid update.
    """
    try:
        update = json.loads(raw)
    except ValueError as exc:
        raise BadPayloadError(f"the quarantined Telegram update is not JSON: {exc}") from None
    s = Settings()
    mention = parse_update(
        update, bot_username=s.telegram_bot_username, watched_hashtags=s.watched_hashtags
    )
    return Batch(mentions=() if mention is None else (mention,))
