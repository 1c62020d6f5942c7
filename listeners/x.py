"""The X (Twitter) listener: recent search and the account's mentions through tweepy (API v2)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import requests
import tweepy

from core.clock import from_epoch
from core.errors import FatalSourceError, RetriableSourceError
from core.mentions import BadItem, Batch, Cursor, MentionIn
from core.platforms import TimeoutAdapter
from core.settings import Settings
from listeners.xparse import parse_v2_page

SOURCE = "x"
MAX_RESULTS = 100
EXPANSIONS = (
    "author_id,referenced_tweets.id,attachments.media_keys,"
    "entities.mentions.username,in_reply_to_user_id"
)
TWEET_FIELDS = (
    "id,text,author_id,conversation_id,created_at,lang,public_metrics,entities,"
    "referenced_tweets,in_reply_to_user_id,attachments,note_tweet"
)
USER_FIELDS = "username,name"
MEDIA_FIELDS = "url,preview_image_url,type"
FIELDS = {
    "expansions": EXPANSIONS,
    "tweet_fields": TWEET_FIELDS,
    "user_fields": USER_FIELDS,
    "media_fields": MEDIA_FIELDS,
    "max_results": MAX_RESULTS,
}


def build_client(settings: Settings) -> tweepy.Client:
    """Return a tweepy v2 client on the app bearer token that returns raw JSON bodies.

    Raises FatalSourceError when LAPOR_X_BEARER_TOKEN is not set.
    """
    if settings.x_bearer_token is None or not settings.x_bearer_token.get_secret_value():
        raise FatalSourceError(SOURCE, "LAPOR_X_BEARER_TOKEN is not set")
    client = tweepy.Client(
        bearer_token=settings.x_bearer_token.get_secret_value(),
        return_type=dict,
        wait_on_rate_limit=False,
    )
    client.session.mount("https://", TimeoutAdapter())
    return client


class _RejectedError(FatalSourceError):
    """X answered 400: a bad query, or a since_id / next_token it no longer accepts."""


def _translate(exc: Exception, what: str) -> Exception:
    """Return the lapor error for a failed X call (`what` names the call, never the token)."""
    if isinstance(exc, tweepy.TooManyRequests):
        reset = exc.reset_time
        retry_at = from_epoch(reset) if reset else None
        return RetriableSourceError(SOURCE, f"X rate limit reached (429) on {what}", retry_at)
    if isinstance(exc, tweepy.Unauthorized):
        return FatalSourceError(
            SOURCE, "X rejected the bearer token (401): check LAPOR_X_BEARER_TOKEN"
        )
    if isinstance(exc, tweepy.Forbidden):
        return FatalSourceError(
            SOURCE,
            f"X refused {what} (403): the app's access level or project may not include this "
            f"endpoint ({_api_message(exc)})",
        )
    if isinstance(exc, tweepy.TwitterServerError):
        return RetriableSourceError(
            SOURCE, f"X server error ({exc.response.status_code}) on {what}"
        )
    if isinstance(exc, tweepy.BadRequest):
        return _RejectedError(SOURCE, f"X rejected {what} (400): {_api_message(exc)}")
    if isinstance(exc, tweepy.HTTPException):
        status = getattr(exc.response, "status_code", "?")
        return FatalSourceError(SOURCE, f"X refused {what} ({status}): {_api_message(exc)}")
    if isinstance(exc, requests.Timeout):
        return RetriableSourceError(SOURCE, f"X did not answer {what} in time")
    if isinstance(exc, requests.ConnectionError):
        return RetriableSourceError(SOURCE, f"could not connect to X for {what}")
    if isinstance(exc, ValueError):  # a body that is not JSON (a proxy's error page)
        return RetriableSourceError(SOURCE, f"X answered {what} with a body that is not JSON")
    return exc


def _api_message(exc: tweepy.HTTPException) -> str:
    return "; ".join(str(m) for m in exc.api_messages) or "no detail given"


_CALL_ERRORS = (tweepy.TweepyException, requests.RequestException, ValueError)


class XListener:
    """Polls X recent search (one stream per query) and the account's mentions timeline.

    Cursor: ``{"search": {query: since_id}, "mentions": since_id, "resume": {...}}``.
    Each stream asks for tweets newer than its since_id and follows ``meta.next_token``
    (newest first) up to ``x_max_pages`` pages. When a stream reaches its last page, its
    since_id becomes ``meta.newest_id`` of the first page of that run. When the page cap
    cuts it short, since_id stays where it was and ``resume`` keeps the next token and
    that newest id, so the next poll goes on from the oldest tweet fetched down to the old
    since_id (same since_id, as X requires for a token) before moving since_id up: nothing
    between two polls is skipped, however long the backlog. The exception is a stream's first
    run (no since_id yet): it backfills at most ``x_max_pages`` pages and then starts from
    the newest, since X bills every tweet read. If X rejects a stored token (400), the stream
    starts again below its since_id; if it rejects the since_id itself (search only reaches
    7 days back), it starts with none, in the same poll.

    Any error raises (RetriableSourceError on 429/5xx/network, FatalSourceError on
    401/403/bad query) and throws this poll's tweets away: the cursor does not move, so
    the next poll fetches them again and the store, idempotent on the tweet id, keeps one.
    """

    name: ClassVar[str] = "x"

    def __init__(self, settings: Settings, client: tweepy.Client | None = None) -> None:
        self._settings = settings
        self._client = client if client is not None else build_client(settings)
        self._user_id: str | None = settings.x_user_id or None

    def poll(self, cursor: Cursor | None) -> Batch:
        """Return the new tweets of every query and of the mentions timeline, and the cursor.

        Raises RetriableSourceError or FatalSourceError (see the class docstring).
        """
        cursor = cursor or {}
        old_search = cursor.get("search") or {}
        old_resume = cursor.get("resume") or {}
        old_resume_search = old_resume.get("search") or {}
        mentions: dict[str, MentionIn] = {}
        bad: list[BadItem] = []
        search: dict[str, str | None] = {}
        resume_search: dict[str, dict[str, str | None]] = {}
        next_cursor: Cursor = {"search": search}

        for query in self._settings.x_queries:
            since, resume = self._stream(
                lambda token, since_id, q=query: self._client.search_recent_tweets(
                    q, since_id=since_id, next_token=token, **FIELDS
                ),
                f"the search {query!r}",
                old_search.get(query),
                old_resume_search.get(query),
                mentions,
                bad,
            )
            search[query] = since
            if resume:
                resume_search[query] = resume

        resume_mentions = None
        user_id = self._mentions_user_id()
        if user_id is not None:
            since, resume_mentions = self._stream(
                lambda token, since_id: self._client.get_users_mentions(
                    user_id, since_id=since_id, pagination_token=token, **FIELDS
                ),
                f"the mentions of @{self._settings.x_username}",
                cursor.get("mentions"),
                old_resume.get("mentions"),
                mentions,
                bad,
            )
            next_cursor["mentions"] = since
        if resume_search or resume_mentions:
            next_cursor["resume"] = {"search": resume_search, "mentions": resume_mentions}
        return Batch(mentions=list(mentions.values()), next_cursor=next_cursor, quarantined=bad)

    def _stream(
        self,
        fetch: Callable[[str | None, str | None], Mapping[str, Any]],
        what: str,
        since_id: str | None,
        resume: Mapping[str, Any] | None,
        out: dict[str, MentionIn],
        bad: list[BadItem],
    ) -> tuple[str | None, dict[str, str | None] | None]:
        """Fetch one stream's pages into `out`; return its next since_id and resume state."""
        token = resume.get("next_token") if resume else None
        newest = resume.get("newest_id") if resume else None
        while True:
            try:
                page = self._call(fetch, token, since_id, what)
                break
            except _RejectedError:
                # A stale token: start again below since_id. A since_id X no longer takes
                # (search only reaches 7 days back): everything still there is newer.
                if token:
                    token = newest = None
                elif since_id:
                    since_id = None
                else:
                    raise
        if newest is None:
            newest = (page.get("meta") or {}).get("newest_id")
        pages = 1
        while True:
            got, broken = parse_v2_page(page)
            for m in got:
                out[m.external_id] = m
            bad.extend(broken)
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                return (newest or since_id), None
            if pages >= self._settings.x_max_pages:
                if since_id is None:
                    # A first run backfills only x_max_pages pages (X bills every tweet read).
                    return newest, None
                return since_id, {"next_token": token, "newest_id": newest}
            page = self._call(fetch, token, since_id, what)
            pages += 1

    def _call(
        self,
        fetch: Callable[[str | None, str | None], Mapping[str, Any]],
        token: str | None,
        since_id: str | None,
        what: str,
    ) -> Mapping[str, Any]:
        try:
            page = fetch(token, since_id)
        except _CALL_ERRORS as exc:
            raise _translate(exc, what) from None
        if not isinstance(page, Mapping):
            raise RetriableSourceError(SOURCE, f"X answered {what} with something not an object")
        return page

    def _mentions_user_id(self) -> str | None:
        """Return the account's user id, looking it up once by username; None when unset."""
        if self._user_id is None and self._settings.x_username:
            username = self._settings.x_username.lstrip("@")
            body = self._call(
                lambda _t, _s: self._client.get_user(username=username),
                None,
                None,
                f"the lookup of @{username}",
            )
            data = body.get("data")
            if not isinstance(data, Mapping) or not data.get("id"):
                raise FatalSourceError(
                    SOURCE,
                    f"X has no user @{username}: check LAPOR_X_USERNAME (or set LAPOR_X_USER_ID)",
                )
            self._user_id = str(data["id"])
        return self._user_id
