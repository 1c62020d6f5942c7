"""One sender per channel (X, Facebook, Telegram, LINE, Messenger) and a console stand-in."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import pyfacebook
import requests
import telegram
import tweepy
from linebot.v3 import messaging as line
from telegram import error as tg
from urllib3 import exceptions as u3

from core.clock import utcnow
from core.errors import (
    FatalSourceError,
    RetriableSourceError,
    SourceError,
    UncertainDeliveryError,
)
from core.platforms import (
    TIMEOUT_SECONDS,
    graph_api,
    graph_error,
    hide_telegram_token,
    network_error,
    telegram_error,
    x_error,
    x_keys,
    x_user_client,
)
from core.settings import Settings

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outgoing:
    """One message to send: who gets it, what it answers, the text, and its idempotency key."""

    platform: str
    recipient: str | None  # chat id, user id (LINE, Messenger) or handle (X)
    in_reply_to: str | None  # the platform id of the message answered (tweet, comment, msg)
    text: str
    key: str


class Sender(Protocol):
    """Sends one message on one channel. `send` returns the platform's id of what it posted.

    Raises RetriableSourceError (429, 5xx, network; UncertainDeliveryError when the answer was
    lost) or FatalSourceError (credentials, permissions, a recipient the platform refuses).
    `safe_to_resend` is True when the platform itself drops a repeated send of the same key.
    """

    @property
    def platform(self) -> str: ...

    @property
    def safe_to_resend(self) -> bool: ...

    def send(self, message: Outgoing) -> str: ...


_console_ids = itertools.count(1)


class ConsoleSender:
    """Stand-in used without credentials (and by the demo): records the text, posts nothing."""

    safe_to_resend: ClassVar[bool] = True

    def __init__(self, platform: str = "console") -> None:
        self.platform = platform
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> str:
        """Return a fake id "console-<n>" after recording `message` (and logging it)."""
        self.sent.append(message)
        log.info("console reply on %s to %s: %s", message.platform, message.recipient, message.text)
        return f"console-{next(_console_ids)}"


def _need(message: Outgoing, value: str | None, what: str) -> str:
    if not value:
        raise FatalSourceError(message.platform, f"the message has no {what} to send to")
    return value


class XSender:
    """Replies to a tweet through X API v2 create_tweet with the account's user context."""

    platform: ClassVar[str] = "x"
    safe_to_resend: ClassVar[bool] = False

    def __init__(self, settings: Settings, client: tweepy.Client | None = None) -> None:
        self._client = client or x_user_client(settings, self.platform, "replies")

    def send(self, message: Outgoing) -> str:
        """Post `message.text` as a reply to tweet `message.in_reply_to`; return the new id."""
        tweet_id = _need(message, message.in_reply_to, "tweet to reply to")
        try:
            body = self._client.create_tweet(text=message.text, in_reply_to_tweet_id=tweet_id)
        except tweepy.HTTPException as exc:
            raise x_error(self.platform, exc, "the reply") from None
        except requests.RequestException as exc:
            raise network_error(self.platform, exc, "X") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise UncertainDeliveryError(self.platform, "X answered the reply without a tweet id")
        return str(data["id"])


class FacebookSender:
    """Replies to a Page comment (or post): POST /{id}/comments with `message`."""

    platform: ClassVar[str] = "facebook"
    safe_to_resend: ClassVar[bool] = False

    def __init__(self, settings: Settings, api: pyfacebook.GraphAPI | None = None) -> None:
        self._api = api or graph_api(settings, self.platform)
        self._status: int | None = None
        self._api.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._status = response.status_code  # pyfacebook drops the status the errors need

    def send(self, message: Outgoing) -> str:
        """Post `message.text` under comment `message.in_reply_to`; return the comment id."""
        target = _need(message, message.in_reply_to, "comment to reply to")
        self._status = None
        try:
            body = self._api.post_object(target, "comments", data={"message": message.text})
        except pyfacebook.FacebookError as exc:
            keys = ("code", "error_subcode", "message", "fbtrace_id")
            error = {k: getattr(exc, k, None) for k in keys}
            raise graph_error(self.platform, error, self._status) from None
        except pyfacebook.LibraryError:
            detail = f"the Graph API sent a non-JSON answer (HTTP {self._status})"
            raise RetriableSourceError(self.platform, detail) from None
        except requests.RequestException as exc:
            raise network_error(self.platform, exc, "the Graph API") from None
        if not isinstance(body, dict) or not body.get("id"):
            raise UncertainDeliveryError(self.platform, "the Graph API gave no comment id")
        return str(body["id"])


class MessengerSender:
    """Sends a Messenger text through the Send API (POST /me/messages, messaging_type RESPONSE).

    RESPONSE is allowed within 24 hours of the person's last message, which is when the
    chatbot and the report-received reply speak.
    """

    platform: ClassVar[str] = "messenger"
    safe_to_resend: ClassVar[bool] = False

    def __init__(self, settings: Settings, session: requests.Session | None = None) -> None:
        token = settings.messenger_page_token
        if token is None or not token.get_secret_value():
            raise FatalSourceError(self.platform, "LAPOR_MESSENGER_PAGE_TOKEN is not set")
        self._token = token.get_secret_value()
        self._url = f"{GRAPH_URL}/{settings.facebook_graph_version}/me/messages"
        self._session = session or requests.Session()

    def send(self, message: Outgoing) -> str:
        """Send `message.text` to the PSID `message.recipient`; return the message id (mid)."""
        psid = _need(message, message.recipient, "recipient id")
        payload: dict[str, Any] = {
            "recipient": {"id": psid},
            "messaging_type": "RESPONSE",
            "message": {"text": message.text},
        }
        try:
            response = self._session.post(
                self._url,
                params={"access_token": self._token},
                json=payload,
                timeout=TIMEOUT_SECONDS,
            )
            body = response.json()
        except requests.RequestException as exc:  # the URL holds the token: never echo it
            raise network_error(self.platform, exc, "the Send API") from None
        except ValueError:
            detail = f"the Send API sent a non-JSON answer (HTTP {response.status_code})"
            raise RetriableSourceError(self.platform, detail) from None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise graph_error(self.platform, body["error"], response.status_code)
        if response.status_code >= 300 or not isinstance(body, dict):
            detail = f"the Send API answered HTTP {response.status_code}"
            raise RetriableSourceError(self.platform, detail)
        if not body.get("message_id"):
            raise UncertainDeliveryError(self.platform, "the Send API gave no message_id")
        return str(body["message_id"])


def _telegram_target(message: Outgoing) -> tuple[str, int | None]:
    """Return (chat id, message id to reply to) from "<chat>:<message>" ids."""
    chat = _need(message, message.recipient, "chat id").removeprefix("chat:").split(":")[0]
    reply_to = (message.in_reply_to or "").rpartition(":")[2]
    return chat, int(reply_to) if reply_to.isdigit() else None


class TelegramSender:
    """Sends a Telegram message with python-telegram-bot, replying to the citizen's message."""

    platform: ClassVar[str] = "telegram"
    safe_to_resend: ClassVar[bool] = False

    def __init__(
        self, settings: Settings, bot: telegram.Bot | None = None, *, clock: Any = utcnow
    ) -> None:
        if bot is None:
            token = settings.telegram_bot_token
            if token is None or not token.get_secret_value():
                raise FatalSourceError(self.platform, "LAPOR_TELEGRAM_BOT_TOKEN is not set")
            hide_telegram_token(token.get_secret_value())
            bot = telegram.Bot(token=token.get_secret_value(), base_url=settings.telegram_base_url)
        self._bot = bot
        self._clock = clock

    def send(self, message: Outgoing) -> str:
        """Send `message.text` to the chat; return "<chat id>:<message id>" of what was sent."""
        chat, reply_to = _telegram_target(message)
        try:
            sent = asyncio.run(self._send(chat, message.text, reply_to))
        except tg.TelegramError as exc:
            raise self._error(exc) from None
        return f"{sent.chat_id}:{sent.message_id}"

    async def _send(self, chat: str, text: str, reply_to: int | None) -> telegram.Message:
        params = None
        if reply_to is not None:  # still sent when the citizen deleted their message
            params = telegram.ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        async with self._bot:
            return await self._bot.send_message(chat_id=chat, text=text, reply_parameters=params)

    def _error(self, exc: tg.TelegramError) -> SourceError:
        return telegram_error(self.platform, exc, self._bot.token, self._clock())


class LineSender:
    """Pushes a LINE text to the user (reply tokens expire within a minute, so push).

    Each push carries X-Line-Retry-Key derived from the idempotency key: LINE drops a repeat
    within 24 hours (HTTP 409), so resending after a lost answer never doubles the message.
    """

    platform: ClassVar[str] = "line"
    safe_to_resend: ClassVar[bool] = True

    def __init__(self, settings: Settings, *, host: str | None = None) -> None:
        token = settings.line_channel_access_token
        if token is None or not token.get_secret_value():
            raise FatalSourceError(self.platform, "LAPOR_LINE_CHANNEL_ACCESS_TOKEN is not set")
        host = host or settings.line_api_host
        self._config = line.Configuration(access_token=token.get_secret_value(), host=host)

    def send(self, message: Outgoing) -> str:
        """Push `message.text` to the LINE user id `message.recipient`; return the message id."""
        user = _need(message, message.recipient, "user id")
        request = line.PushMessageRequest(to=user, messages=[line.TextMessage(text=message.text)])
        retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"lapor-social:{message.key}"))
        try:
            with line.ApiClient(self._config) as client:
                answer = line.MessagingApi(client).push_message(
                    request, x_line_retry_key=retry_key, _request_timeout=TIMEOUT_SECONDS
                )
        except line.ApiException as exc:
            return self._refused(exc)
        except (u3.TimeoutError, u3.ProtocolError, u3.MaxRetryError, OSError) as exc:
            detail = f"the LINE API did not answer ({type(exc).__name__})"
            raise RetriableSourceError(self.platform, detail) from None
        return str(answer.sent_messages[0].id)

    def _refused(self, exc: line.ApiException) -> str:
        status = exc.status or 0
        body = _line_body(exc.body)
        if status == 409:
            # The same retry key went through before: the message is already there.
            sent = body.get("sentMessages")
            if isinstance(sent, list) and sent and isinstance(sent[0], dict) and sent[0].get("id"):
                return str(sent[0]["id"])
            headers = {k.lower(): v for k, v in dict(exc.headers or {}).items()}
            if headers.get("x-line-accepted-request-id"):
                return f"line-request:{headers['x-line-accepted-request-id']}"
        said = str(body.get("message") or "no detail given")
        if status == 401:
            detail = "LINE rejected the channel access token: check LAPOR_LINE_CHANNEL_ACCESS_TOKEN"
            raise FatalSourceError(self.platform, detail)
        if status == 429 or status >= 500 or status == 0:
            raise RetriableSourceError(self.platform, f"LINE answered HTTP {status}: {said}")
        raise FatalSourceError(self.platform, f"LINE refused the message (HTTP {status}): {said}")


def _line_body(body: Any) -> dict[str, Any]:
    try:
        data = json.loads(body or "{}")
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def sender_for(platform: str, settings: Settings) -> Sender:
    """Return the real sender for `platform` when its credentials are set, else a ConsoleSender."""
    if platform == "x" and x_keys(settings):
        return XSender(settings)
    if platform == "facebook" and settings.facebook_page_token:
        return FacebookSender(settings)
    if platform == "telegram" and settings.telegram_bot_token:
        return TelegramSender(settings)
    if platform == "line" and settings.line_channel_access_token:
        return LineSender(settings)
    if platform == "messenger" and settings.messenger_page_token:
        return MessengerSender(settings)
    return ConsoleSender(platform)
