"""One sender per channel (X, Facebook, Telegram, LINE, Messenger) and a console stand-in."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

import pyfacebook
import requests
import telegram
import tweepy
from linebot.v3 import messaging as line
from requests.adapters import HTTPAdapter
from telegram import error as tg
from telegram.warnings import PTBUserWarning
from urllib3 import exceptions as u3

from core.clock import from_epoch, utcnow
from core.errors import FatalSourceError, RetriableSourceError, SourceError
from core.logs import hide_in_logs
from core.settings import Settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30
GRAPH_URL = "https://graph.facebook.com"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2, 1200})  # 1200: Messenger "temporary send message failure"


class UncertainDeliveryError(RetriableSourceError):
    """The request left but no answer came back: the platform may or may not have posted it."""


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


class _TimeoutAdapter(HTTPAdapter):
    """tweepy sets no timeout; without one a stalled connection hangs the job for ever."""

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT_SECONDS
        return super().send(request, **kwargs)


def _network_error(source: str, exc: requests.RequestException, what: str) -> SourceError:
    # ConnectTimeout is a ConnectionError too: nothing left, so a resend cannot double-post.
    if isinstance(exc, requests.ConnectionError):
        return RetriableSourceError(source, f"could not connect to {what}")
    if isinstance(exc, requests.Timeout):
        return UncertainDeliveryError(source, f"{what} did not answer in time")
    return RetriableSourceError(source, f"{what} failed ({type(exc).__name__})")


def _x_keys(settings: Settings) -> tuple[str, str, str, str] | None:
    """Return the four user-context keys X needs to post, or None unless all are set."""
    keys = (
        settings.x_consumer_key,
        settings.x_consumer_secret,
        settings.x_access_token,
        settings.x_access_token_secret,
    )
    values = tuple(k.get_secret_value() if k else "" for k in keys)
    return values if all(values) else None  # type: ignore[return-value]


class XSender:
    """Replies to a tweet through X API v2 create_tweet with the account's user context."""

    platform: ClassVar[str] = "x"
    safe_to_resend: ClassVar[bool] = False

    def __init__(self, settings: Settings, client: tweepy.Client | None = None) -> None:
        if client is None:
            keys = _x_keys(settings)
            if keys is None:
                detail = (
                    "replies need LAPOR_X_CONSUMER_KEY, LAPOR_X_CONSUMER_SECRET, "
                    "LAPOR_X_ACCESS_TOKEN and LAPOR_X_ACCESS_TOKEN_SECRET"
                )
                raise FatalSourceError(self.platform, detail)
            ck, cs, at, ats = keys
            client = tweepy.Client(
                consumer_key=ck,
                consumer_secret=cs,
                access_token=at,
                access_token_secret=ats,
                return_type=dict,
                wait_on_rate_limit=False,
            )
            client.session.mount("https://", _TimeoutAdapter())
        self._client = client

    def send(self, message: Outgoing) -> str:
        """Post `message.text` as a reply to tweet `message.in_reply_to`; return the new id."""
        tweet_id = _need(message, message.in_reply_to, "tweet to reply to")
        try:
            body = self._client.create_tweet(text=message.text, in_reply_to_tweet_id=tweet_id)
        except tweepy.TooManyRequests as exc:
            retry_at = from_epoch(exc.reset_time) if exc.reset_time else None
            raise RetriableSourceError(
                self.platform, "X rate limit reached (429)", retry_at
            ) from None
        except tweepy.Unauthorized:
            detail = "X rejected the user-context keys (401): check LAPOR_X_CONSUMER_KEY and tokens"
            raise FatalSourceError(self.platform, detail) from None
        except tweepy.TwitterServerError as exc:
            detail = f"X server error ({exc.response.status_code}) on the reply"
            raise RetriableSourceError(self.platform, detail) from None
        except tweepy.HTTPException as exc:  # 400/403/404: duplicate text, deleted tweet, access
            said = "; ".join(str(m) for m in exc.api_messages) or "no detail given"
            status = exc.response.status_code
            raise FatalSourceError(
                self.platform, f"X refused the reply ({status}): {said}"
            ) from None
        except requests.RequestException as exc:
            raise _network_error(self.platform, exc, "X") from None
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise UncertainDeliveryError(self.platform, "X answered the reply without a tweet id")
        return str(data["id"])


def _graph_error(source: str, error: dict[str, Any], status: int | None) -> SourceError:
    raw = error.get("code")
    code = int(str(raw)) if str(raw).isdigit() else None
    ref = f"(HTTP {status}, code {code}, fbtrace_id {error.get('fbtrace_id')})"
    said = str(error.get("message") or "no message")
    if code == 190:
        return FatalSourceError(source, f"the Page token is expired or invalid {ref}")
    if code == 10 and str(error.get("error_subcode")) == "2018278":
        detail = f"the person last wrote over 24 hours ago, so Messenger refuses a reply {ref}"
        return FatalSourceError(source, detail)
    if code == 10 or 200 <= (code or 0) <= 299:
        detail = f"the Page token lacks the permission to reply {ref}: {said}"
        return FatalSourceError(source, detail)
    if code in RATE_LIMIT_CODES:
        return RetriableSourceError(source, f"rate limited {ref}")
    if code in TRANSIENT_CODES or error.get("is_transient") or (status or 0) >= 500:
        return RetriableSourceError(source, f"Graph API error {ref}: {said}")
    return FatalSourceError(source, f"the Graph API refused the message {ref}: {said}")


class FacebookSender:
    """Replies to a Page comment (or post): POST /{id}/comments with `message`."""

    platform: ClassVar[str] = "facebook"
    safe_to_resend: ClassVar[bool] = False

    def __init__(self, settings: Settings, api: pyfacebook.GraphAPI | None = None) -> None:
        if api is None:
            token = settings.facebook_page_token
            if token is None or not token.get_secret_value():
                raise FatalSourceError(self.platform, "LAPOR_FACEBOOK_PAGE_TOKEN is not set")
            secret = settings.facebook_app_secret
            try:
                api = pyfacebook.GraphAPI(
                    access_token=token.get_secret_value(),
                    version=settings.facebook_graph_version,
                    sleep_on_rate_limit=False,
                    timeout=TIMEOUT_SECONDS,
                    app_secret=secret.get_secret_value() if secret else None,
                )
            except pyfacebook.LibraryError:
                detail = "write LAPOR_FACEBOOK_GRAPH_VERSION like v25.0"
                raise FatalSourceError(self.platform, detail) from None
        self._api = api
        self._status: int | None = None
        api.session.hooks["response"].append(self._remember)

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
            raise _graph_error(self.platform, error, self._status) from None
        except pyfacebook.LibraryError:
            detail = f"the Graph API sent a non-JSON answer (HTTP {self._status})"
            raise RetriableSourceError(self.platform, detail) from None
        except requests.RequestException as exc:
            raise _network_error(self.platform, exc, "the Graph API") from None
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
            raise _network_error(self.platform, exc, "the Send API") from None
        except ValueError:
            detail = f"the Send API sent a non-JSON answer (HTTP {response.status_code})"
            raise RetriableSourceError(self.platform, detail) from None
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise _graph_error(self.platform, body["error"], response.status_code)
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
            _hide_token_in_logs(token.get_secret_value())
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
        detail = exc.message.replace(self._bot.token, "<bot-token>")
        if isinstance(exc, tg.RetryAfter):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PTBUserWarning)  # int-vs-timedelta deprecation
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            retry_at: datetime = self._clock() + timedelta(seconds=seconds)
            return RetriableSourceError(self.platform, "Telegram flood control", retry_at=retry_at)
        if isinstance(exc, tg.InvalidToken | tg.EndPointNotFound):
            detail = "Telegram rejected the bot token: check LAPOR_TELEGRAM_BOT_TOKEN"
            return FatalSourceError(self.platform, detail)
        if isinstance(exc, tg.Forbidden):
            return FatalSourceError(self.platform, f"Telegram refused the message: {detail}")
        if isinstance(exc, tg.TimedOut):
            return UncertainDeliveryError(self.platform, "Telegram did not answer in time")
        if isinstance(exc, tg.BadRequest):
            return FatalSourceError(self.platform, f"Telegram refused the message: {detail}")
        return RetriableSourceError(self.platform, f"sendMessage failed: {detail}")


def _hide_token_in_logs(token: str) -> None:
    # httpx logs every request URL at INFO, and the Bot API puts the token in the URL path.
    hide_in_logs(token, ("httpx", "telegram.Bot"), "<bot-token>")


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
    if platform == "x" and _x_keys(settings):
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
