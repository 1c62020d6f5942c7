"""Platform-client helpers shared by the reply senders and the campaign publishers."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyfacebook
import requests
import tweepy
from requests.adapters import HTTPAdapter
from telegram import error as tg
from telegram.warnings import PTBUserWarning
from urllib3 import exceptions as u3

from core.clock import from_epoch
from core.errors import (
    FatalSourceError,
    RetriableSourceError,
    SourceError,
    UncertainDeliveryError,
)
from core.logs import hide_in_logs
from core.settings import Settings

TIMEOUT_SECONDS = 30
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
TRANSIENT_CODES = frozenset({1, 2, 1200})  # 1200: Messenger "temporary send message failure"
X_KEY_FIELDS = ("x_consumer_key", "x_consumer_secret", "x_access_token", "x_access_token_secret")
X_USER_KEYS = (
    "LAPOR_X_CONSUMER_KEY, LAPOR_X_CONSUMER_SECRET, LAPOR_X_ACCESS_TOKEN and "
    "LAPOR_X_ACCESS_TOKEN_SECRET"
)


class TimeoutAdapter(HTTPAdapter):
    """tweepy sets no timeout; without one a stalled connection hangs the job for ever."""

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = TIMEOUT_SECONDS
        return super().send(request, **kwargs)


def network_error(source: str, exc: requests.RequestException, what: str) -> SourceError:
    """Return the error for a call to `what` that got no HTTP answer (never echoes the URL)."""
    # ConnectTimeout is a ConnectionError too: nothing left, so a resend cannot double-post.
    if isinstance(exc, requests.ConnectionError):
        return RetriableSourceError(source, f"could not connect to {what}")
    if isinstance(exc, requests.Timeout):
        return UncertainDeliveryError(source, f"{what} did not answer in time")
    return RetriableSourceError(source, f"{what} failed ({type(exc).__name__})")


def answer_lost(exc: requests.RequestException) -> bool:
    """True when the request went out but the connection broke before the answer came back.

    requests wraps a refused or failed connect in MaxRetryError; a connection dropped after
    the request was written arrives as a bare urllib3 ProtocolError (or a ChunkedEncodingError).
    """
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return True
    cause = exc.args[0] if isinstance(exc, requests.ConnectionError) and exc.args else None
    return isinstance(cause, u3.ProtocolError)


def request_error(
    source: str, exc: requests.RequestException, what: str, *, posting: bool
) -> SourceError:
    """Return the error for a failed call to `what`.

    When `posting`, a request that left without an answer may have posted: UncertainDeliveryError.
    Otherwise (reads, uploads that post nothing) every failure is a plain RetriableSourceError.
    """
    if posting and answer_lost(exc):
        return UncertainDeliveryError(source, f"{what} dropped the connection before answering")
    error = network_error(source, exc, what)
    if not posting and isinstance(error, UncertainDeliveryError):
        return RetriableSourceError(source, error.detail)
    return error


def read_image(source: str, path: Path, max_bytes: int) -> bytes:
    """Return the bytes of a media-library image. Raises FatalSourceError when it is missing
    or larger than `max_bytes` (the platform would refuse it on every try)."""
    try:
        data = path.read_bytes()
    except OSError:
        raise FatalSourceError(
            source, f"the image {path.name} is not in the media library"
        ) from None
    if len(data) > max_bytes:
        limit = round(max_bytes / (1024 * 1024))
        raise FatalSourceError(
            source, f"the image {path.name} is over {limit} MB; use a smaller one"
        )
    return data


# X ------------------------------------------------------------------------------------------


def x_keys_unset(settings: Settings) -> list[str]:
    """Return the LAPOR_ names of the X user-context keys that are not set (posting needs all)."""
    return [f"LAPOR_{name.upper()}" for name in X_KEY_FIELDS if not getattr(settings, name)]


def x_keys(settings: Settings) -> tuple[str, str, str, str] | None:
    """Return the four user-context keys X needs to post, or None unless all are set."""
    keys = [getattr(settings, name) for name in X_KEY_FIELDS]
    values = tuple(k.get_secret_value() if k else "" for k in keys)
    return values if all(values) else None  # type: ignore[return-value]


def x_user_client(settings: Settings, source: str, purpose: str) -> tweepy.Client:
    """Return a tweepy Client with the account's OAuth 1.0a user context and a timeout.

    Raises FatalSourceError naming the variables when a key is missing.
    """
    keys = x_keys(settings)
    if keys is None:
        raise FatalSourceError(source, f"{purpose} need {X_USER_KEYS}")
    ck, cs, at, ats = keys
    client = tweepy.Client(
        consumer_key=ck,
        consumer_secret=cs,
        access_token=at,
        access_token_secret=ats,
        return_type=dict,
        wait_on_rate_limit=False,
    )
    client.session.mount("https://", TimeoutAdapter())
    return client


def x_error(source: str, exc: tweepy.HTTPException, what: str) -> SourceError:
    """Return the error for an HTTP error answer of X to a call about `what` ("the reply")."""
    status = exc.response.status_code
    if isinstance(exc, tweepy.TooManyRequests):
        retry_at = from_epoch(exc.reset_time) if exc.reset_time else None
        return RetriableSourceError(source, "X rate limit reached (429)", retry_at)
    if isinstance(exc, tweepy.Unauthorized):
        detail = "X rejected the user-context keys (401): check LAPOR_X_CONSUMER_KEY and tokens"
        return FatalSourceError(source, detail)
    if isinstance(exc, tweepy.TwitterServerError):
        return RetriableSourceError(source, f"X server error ({status}) on {what}")
    # 400/403/404: duplicate text, deleted tweet, access level
    said = "; ".join(str(m) for m in exc.api_messages) or "no detail given"
    return FatalSourceError(source, f"X refused {what} ({status}): {said}")


# Graph API (Facebook, Messenger) --------------------------------------------------------------


def graph_api(settings: Settings, source: str) -> pyfacebook.GraphAPI:
    """Return a GraphAPI client with the Page token, the pinned version and a timeout.

    Every call carries appsecret_proof when LAPOR_FACEBOOK_APP_SECRET is set. Raises
    FatalSourceError when the token is missing or the version is malformed.
    """
    token = settings.facebook_page_token
    if token is None or not token.get_secret_value():
        raise FatalSourceError(source, "LAPOR_FACEBOOK_PAGE_TOKEN is not set")
    secret = settings.facebook_app_secret
    try:
        return pyfacebook.GraphAPI(
            access_token=token.get_secret_value(),
            version=settings.facebook_graph_version,
            sleep_on_rate_limit=False,  # the scheduler backs off, not this thread
            timeout=TIMEOUT_SECONDS,
            app_secret=secret.get_secret_value() if secret else None,
        )
    except pyfacebook.LibraryError:
        raise FatalSourceError(source, "write LAPOR_FACEBOOK_GRAPH_VERSION like v25.0") from None


def graph_error(
    source: str,
    error: dict[str, Any],
    status: int | None,
    *,
    action: str = "reply",
    what: str = "the message",
    retry_at: datetime | None = None,
) -> SourceError:
    """Return the error for a Graph API error object (`error`, answered with HTTP `status`).

    `action` and `what` name the call in messages ("reply", "the message"); `retry_at` is
    given to rate-limit and transient errors.
    """
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
        detail = f"the Page token lacks the permission to {action} {ref}: {said}"
        return FatalSourceError(source, detail)
    if code in RATE_LIMIT_CODES:
        return RetriableSourceError(source, f"rate limited {ref}", retry_at)
    if code in TRANSIENT_CODES or error.get("is_transient") or (status or 0) >= 500:
        return RetriableSourceError(source, f"Graph API error {ref}: {said}", retry_at)
    return FatalSourceError(source, f"the Graph API refused {what} {ref}: {said}")


def graph_retry_at(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """Return when access comes back per the usage headers' estimated_time_to_regain_access.

    Reads X-App-Usage and X-Business-Use-Case-Usage (minutes); None when neither says.
    """
    minutes: list[float] = []
    for name in ("X-App-Usage", "X-Business-Use-Case-Usage"):
        try:
            usage = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        # X-Business-Use-Case-Usage: {"<business id>": [{"type": ..., ...}, ...]}
        groups = usage.values() if name != "X-App-Usage" and isinstance(usage, dict) else [[usage]]
        for entry in (e for group in groups if isinstance(group, list) for e in group):
            with suppress(KeyError, TypeError, ValueError):
                minutes.append(float(entry["estimated_time_to_regain_access"]))
    longest = max(minutes, default=0.0)
    return now + timedelta(minutes=longest) if longest > 0 else None


# Telegram -------------------------------------------------------------------------------------


def hide_telegram_token(token: str) -> None:
    """Keep the bot token out of every log line of httpx and PTB."""
    # httpx logs every request URL at INFO, and the Bot API puts the token in the URL path.
    hide_in_logs(token, ("httpx", "telegram.Bot"), "<bot-token>")


def telegram_error(
    source: str,
    exc: tg.TelegramError,
    token: str,
    now: datetime,
    *,
    what: str = "the message",
    method: str = "sendMessage",
) -> SourceError:
    """Return the error for a failed Bot API call `method` about `what`; the token never shows."""
    detail = exc.message.replace(token, "<bot-token>")
    if isinstance(exc, tg.RetryAfter):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBUserWarning)  # int-vs-timedelta deprecation
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return RetriableSourceError(
            source, "Telegram flood control", retry_at=now + timedelta(seconds=seconds)
        )
    if isinstance(exc, tg.InvalidToken | tg.EndPointNotFound):
        detail = "Telegram rejected the bot token: check LAPOR_TELEGRAM_BOT_TOKEN"
        return FatalSourceError(source, detail)
    if isinstance(exc, tg.Forbidden | tg.BadRequest):
        return FatalSourceError(source, f"Telegram refused {what}: {detail}")
    if isinstance(exc, tg.TimedOut):
        return UncertainDeliveryError(source, "Telegram did not answer in time")
    return RetriableSourceError(source, f"{method} failed: {detail}")
