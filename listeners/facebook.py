"""Facebook Page listener: comments on the Page's posts, posts tagging it, visitor posts."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlparse

import pyfacebook
import requests

from core.clock import parse_iso, utcnow
from core.errors import BadPayloadError, FatalSourceError, RetriableSourceError, SourceError
from core.mentions import BadItem, Batch, Cursor, MentionIn, dump_raw, extract_hashtags
from core.platforms import RATE_LIMIT_CODES, TIMEOUT_SECONDS, graph_retry_at
from core.settings import Settings

SOURCE = "facebook"
EDGES = ("comments", "tagged", "visitor_posts")
OVERLAP_SECONDS = 300  # Graph indexes comments late and `since` is second-grained
MAX_PAGES = 10  # pages followed per edge call when a cursor bounds the walk
PAGE_SIZE = 100
LISTEN_TRANSIENT_CODES = frozenset({1, 2})  # 1200 is Messenger-only

SCAN_FIELDS = "id,message,created_time,updated_time,permalink_url,from"
POST_FIELDS = (
    "id,message,created_time,permalink_url,from{id,name},"
    "attachments{media,media_type,type,url,subattachments}"
)
COMMENT_PARAMS = {
    "fields": "id,message,created_time,from{id,name},parent{id},permalink_url,"
    "like_count,comment_count,attachment",
    "filter": "stream",  # replies too, each with its parent
    "order": "reverse_chronological",
}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(item: Any, key: str) -> datetime | None:
    try:
        return parse_iso(str(item[key]))
    except (KeyError, TypeError, ValueError):
        return None


def _media_urls(item: Mapping[str, Any]) -> tuple[str, ...]:
    """Image URLs of a comment's `attachment` or a post's `attachments` (albums included)."""
    found = [item["attachment"]] if isinstance(item.get("attachment"), dict) else []
    pending = list((item.get("attachments") or {}).get("data") or [])
    while pending:  # album photos sit in subattachments
        att = pending.pop(0)
        if isinstance(att, dict):
            found.append(att)
            pending.extend((att.get("subattachments") or {}).get("data") or [])
    urls = [((a.get("media") or {}).get("image") or {}).get("src") for a in found]
    return tuple(dict.fromkeys(u for u in urls if isinstance(u, str) and u))


def parse_item(edge: str, item: Any, post_id: str | None = None) -> MentionIn:
    """Return the mention of one Graph item from `edge` ("comments" needs its `post_id`).

    Raises BadPayloadError when the item has no id or no readable created_time.
    """
    if edge not in EDGES or not isinstance(item, dict):
        raise BadPayloadError(f"a Facebook {edge!r} item is not a JSON object from a known edge")
    created_at = _time(item, "created_time")
    if not item.get("id") or created_at is None:
        raise BadPayloadError(
            f"Facebook {edge} item {item.get('id')!r} lacks an id or a readable created_time"
        )
    author = _obj(item.get("from"))  # Graph omits `from` for people who gave no permission
    text = _text(item.get("message")) or ""
    metrics = {k: item[k] for k in ("like_count", "comment_count") if item.get(k) is not None}
    if edge == "comments":
        if not post_id:
            raise BadPayloadError(f"Facebook comment {item['id']} came without its post id")
        parent = _obj(item.get("parent"))
        kind, conversation_id = "comment", str(post_id)
        reply_to_id = _text(parent.get("id")) or str(post_id)
    else:
        kind, conversation_id, reply_to_id = "post", str(item["id"]), None
    return MentionIn(
        platform=SOURCE,
        external_id=str(item["id"]),
        text=text,
        created_at=created_at,
        kind=kind,
        conversation_id=conversation_id,
        reply_to_id=reply_to_id,
        author_id=_text(author.get("id")),
        author_handle=_text(author.get("id") or author.get("name")),
        author_name=_text(author.get("name")),
        url=_text(item.get("permalink_url")),
        hashtags=extract_hashtags(text),
        metrics=metrics,
        media_urls=_media_urls(item),
        raw=item,
    )


def envelope(edge: str, item: Any, post_id: str | None = None) -> dict[str, Any]:
    """Return the quarantine form of an item: the item with the edge (and post) it came from."""
    return {"edge": edge, "item": item} | ({"post_id": post_id} if post_id else {})


def reparse(raw: str) -> Batch:
    """Return a Batch with the mention of one quarantined item (the text of `envelope`).

    Raises BadPayloadError when it still cannot be parsed.
    """
    try:
        wrapped = json.loads(raw)
        edge, item = wrapped["edge"], wrapped["item"]
    except (ValueError, TypeError, KeyError):
        raise BadPayloadError(
            'the quarantined Facebook item is not a JSON object with "edge" and "item"'
        ) from None
    return Batch(mentions=[parse_item(edge, item, wrapped.get("post_id"))])


def _fatal_hint(code: int | None, subcode: Any) -> str | None:
    """Return what the user must fix for a Graph error code, or None when config is not it."""
    new_token = "put a new long-lived Page token in LAPOR_FACEBOOK_PAGE_TOKEN"
    if code == 190:
        return f"the Page access token is expired or invalid; {new_token}"
    if code == 10 or 200 <= (code or 0) <= 299:
        return f"the Page token lacks pages_read_engagement/pages_read_user_content; {new_token}"
    if code == 100 and str(subcode) == "33":
        return "the Page was not found; check LAPOR_FACEBOOK_PAGE_ID"
    return None


def _since(cursor: Cursor | None) -> dict[str, int | None]:
    stored = _obj((cursor or {}).get("since"))
    return {edge: stored.get(edge) for edge in EDGES}


class FacebookListener:
    """Polls one Facebook Page through the Graph API (python-facebook-api's GraphAPI).

    Cursor: {"since": {"comments": t, "tagged": t, "visitor_posts": t}}, each t the Unix
    seconds of the newest created_time parsed on that edge (an edge with nothing seen yet has
    no key, and its first poll reads one page). The next poll asks each edge for
    `since = t - OVERLAP_SECONDS`, so items sharing t's second or indexed late are read again;
    the store is idempotent on (platform, external_id), so a re-read is never a second row.
    Comments are read from the Page's `facebook_max_posts` newest posts, skipping posts whose
    updated_time (which a new comment bumps) is older than the comments' `since`.
    """

    name: ClassVar[str] = SOURCE

    def __init__(self, settings: Settings, api: pyfacebook.GraphAPI | None = None) -> None:
        token = settings.facebook_page_token
        self._token = token.get_secret_value() if token else None
        if not settings.facebook_page_id or not (api or self._token):
            detail = "set LAPOR_FACEBOOK_PAGE_ID and a long-lived LAPOR_FACEBOOK_PAGE_TOKEN"
            raise FatalSourceError(SOURCE, detail)
        if api is None:
            try:
                api = pyfacebook.GraphAPI(
                    access_token=self._token,
                    version=settings.facebook_graph_version,
                    sleep_on_rate_limit=False,  # the scheduler backs off, not this thread
                    timeout=TIMEOUT_SECONDS,
                    # with the app secret, every call carries appsecret_proof
                    app_secret=(
                        settings.facebook_app_secret.get_secret_value()
                        if settings.facebook_app_secret
                        else None
                    ),
                )
            except pyfacebook.LibraryError:
                detail = "write LAPOR_FACEBOOK_GRAPH_VERSION like v25.0"
                raise FatalSourceError(SOURCE, detail) from None
        self._api = api
        self._page_id = settings.facebook_page_id
        self._max_posts = settings.facebook_max_posts
        self._last: requests.Response | None = None
        api.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response  # pyfacebook drops the status and headers the errors need

    def poll(self, cursor: Cursor | None) -> Batch:
        """Return the new comments, tagging posts and visitor posts, and the advanced cursor.

        Raises RetriableSourceError (rate limits, 5xx, timeouts) or FatalSourceError (token,
        permissions, Page id); a malformed item is quarantined in the batch.
        """
        since = _since(cursor)
        newest = dict(since)
        mentions: list[MentionIn] = []
        bad: list[BadItem] = []

        def take(edge: str, item: Any, post_id: str | None = None) -> None:
            try:
                mention = parse_item(edge, item, post_id)
            except BadPayloadError as exc:
                bad.append(BadItem(raw=dump_raw(envelope(edge, item, post_id)), reason=exc.reason))
                return
            mentions.append(mention)
            newest[edge] = max(newest[edge] or 0, int(mention.created_at.timestamp()))

        floor = {e: None if t is None else int(t) - OVERLAP_SECONDS for e, t in since.items()}
        for post_id in self._posts_to_scan(floor["comments"]):
            for item in self._walk(post_id, "comments", floor["comments"], **COMMENT_PARAMS):
                take("comments", item, post_id)
        for edge in ("tagged", "visitor_posts"):
            for item in self._walk(self._page_id, edge, floor[edge], fields=POST_FIELDS):
                take(edge, item)
        seen = {edge: t for edge, t in newest.items() if t is not None}
        return Batch(mentions=mentions, quarantined=bad, next_cursor={"since": seen})

    def _posts_to_scan(self, floor: int | None) -> Iterator[str]:
        page = self._get(self._page_id, "posts", fields=SCAN_FIELDS, limit=self._max_posts)
        for post in (page.get("data") or [])[: self._max_posts]:
            if not isinstance(post, dict) or not post.get("id"):
                continue
            updated = _time(post, "updated_time")
            if floor is None or updated is None or updated.timestamp() >= floor:
                yield str(post["id"])

    def _walk(self, object_id: str, edge: str, floor: int | None, **params: Any) -> Iterator[Any]:
        """Yield an edge's items newest first; follow paging.next only while above `floor`."""
        params["limit"] = PAGE_SIZE
        if floor is not None:
            params["since"] = floor
        for _ in range(MAX_PAGES):
            page = self._get(object_id, edge, **params)
            items = page.get("data") or []
            yield from items
            next_url = (page.get("paging") or {}).get("next")
            times = [_time(item, "created_time") for item in items]
            if floor is None or not next_url or any(t and t.timestamp() < floor for t in times):
                return
            params = dict(parse_qsl(urlparse(next_url).query))
            params.pop("access_token", None)  # the client adds its own
            params.pop("appsecret_proof", None)

    def _get(self, object_id: str, edge: str, **params: Any) -> dict[str, Any]:
        # `from None` everywhere: a chained requests error carries the URL with the token.
        self._last = None
        try:
            return self._api.get_connection(object_id=object_id, connection=edge, **params)
        except pyfacebook.FacebookError as exc:
            raise self._graph_error(exc, edge) from None
        except pyfacebook.LibraryError:  # not JSON: a 5xx page from a front end
            status = self._last.status_code if self._last is not None else None
            detail = f"the Graph API sent a non-JSON answer (HTTP {status}) on /{edge}"
            raise RetriableSourceError(SOURCE, detail, retry_at=self._retry_at()) from None
        except requests.RequestException as exc:
            detail = f"the Graph API did not answer on /{edge} ({type(exc).__name__})"
            raise RetriableSourceError(SOURCE, detail) from None

    def _retry_at(self) -> datetime | None:
        headers = self._last.headers if self._last is not None else {}
        return graph_retry_at(headers, utcnow())

    def _graph_error(self, exc: pyfacebook.FacebookError, edge: str) -> SourceError:
        raw_code, subcode = getattr(exc, "code", None), getattr(exc, "error_subcode", None)
        code = int(str(raw_code)) if str(raw_code).isdigit() else None
        status = self._last.status_code if self._last is not None else None
        said = str(getattr(exc, "message", None) or "no message")
        said = said.replace(self._token, "***") if self._token else said
        ref = f"(HTTP {status}, code {code}, subcode {subcode}, fbtrace_id "
        ref += f"{getattr(exc, 'fbtrace_id', None)}) on /{edge}: {said}"
        hint = _fatal_hint(code, subcode)
        if hint:
            return FatalSourceError(SOURCE, f"{hint} {ref}")
        if code in RATE_LIMIT_CODES:
            return RetriableSourceError(SOURCE, f"rate limited {ref}", retry_at=self._retry_at())
        if (
            code in LISTEN_TRANSIENT_CODES
            or getattr(exc, "is_transient", False)
            or (status or 0) >= 500
        ):
            return RetriableSourceError(SOURCE, f"Graph API error {ref}", retry_at=self._retry_at())
        return FatalSourceError(SOURCE, f"the Graph API refused the request {ref}")
