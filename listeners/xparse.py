"""Pure, fast parsing of X API v2 tweets (API pages and twarc2 flattened lines) into MentionIn."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from core.errors import BadPayloadError
from core.mentions import BadItem, Batch, MentionIn, dump_raw, extract_handles, extract_hashtags

PLATFORM = "x"
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _created_at(tweet: Mapping[str, Any], tweet_id: str) -> datetime:
    value = tweet.get("created_at")
    if not isinstance(value, str):
        raise BadPayloadError(
            f"tweet {tweet_id} has no created_at (request tweet.fields=created_at)"
            if value is None
            else f"tweet {tweet_id} has a created_at that is not text: {value!r}"
        )
    try:
        # Python 3.11 reads X's "2026-03-02T07:15:30.000Z" in one call.
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadPayloadError(
            f"tweet {tweet_id} has a created_at that is not a timestamp: {value!r}"
        ) from None
    if when.tzinfo is UTC:
        return when
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def _tags(entities: Mapping[str, Any] | None, text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (hashtags, mentioned usernames) from entities, else from the text."""
    if entities is None:
        hashtags = extract_hashtags(text) if "#" in text else ()
        mentioned = extract_handles(text) if "@" in text else ()
        return hashtags, mentioned
    tags = entities.get("hashtags")
    if tags is None:
        hashtags = extract_hashtags(text) if "#" in text else ()
    elif len(tags) == 1:
        hashtags = (tags[0]["tag"],)
    else:
        seen: dict[str, str] = {}
        for item in tags:
            tag = item["tag"]
            seen.setdefault(tag.lower(), tag)
        hashtags = tuple(seen.values())
    names = entities.get("mentions")
    if not names:
        mentioned: tuple[str, ...] = ()
    elif len(names) == 1:
        mentioned = (names[0]["username"],)
    else:
        mentioned = tuple(dict.fromkeys(item["username"] for item in names))
    return hashtags, mentioned


def _media_url(item: Mapping[str, Any]) -> str | None:
    return item.get("url") or item.get("preview_image_url")


def _build(
    tweet: Mapping[str, Any],
    author: Mapping[str, Any] | None,
    media_urls: tuple[str, ...],
    raw: Mapping[str, Any],
) -> MentionIn:
    """Map one tweet (with its author user and media URLs resolved) to a MentionIn."""
    tweet_id = tweet.get("id")
    if type(tweet_id) is not str or not tweet_id:
        if type(tweet_id) is not int:
            raise BadPayloadError(f"the tweet has no usable id (got {tweet_id!r})")
        tweet_id = str(tweet_id)
    note = tweet.get("note_tweet")
    text = note.get("text") if isinstance(note, dict) else None
    if text is None:
        text = tweet.get("text")
    if not isinstance(text, str):
        raise BadPayloadError(f"tweet {tweet_id} has no text")
    created_at = _created_at(tweet, tweet_id)

    kind = "post"
    reply_to_id = None
    refs = tweet.get("referenced_tweets")
    if refs:
        for ref in refs:
            if ref.get("type") == "replied_to":
                kind = "reply"
                reply_to_id = ref.get("id")
                break

    entities = tweet.get("entities")
    hashtags, mentioned = _tags(entities, text)

    if author is not None:
        handle = author.get("username")
        name = author.get("name")
    else:
        handle = name = None
    url = (
        f"https://x.com/{handle}/status/{tweet_id}"
        if handle
        else f"https://x.com/i/web/status/{tweet_id}"
    )
    author_id = tweet.get("author_id")
    if author_id is None and author is not None:
        author_id = author.get("id")
    return MentionIn(
        platform=PLATFORM,
        external_id=tweet_id,
        text=text,
        created_at=created_at,
        kind=kind,
        conversation_id=tweet.get("conversation_id"),
        reply_to_id=reply_to_id,
        author_id=author_id,
        author_handle=handle,
        author_name=name,
        lang=tweet.get("lang"),
        url=url,
        hashtags=hashtags,
        mentioned=mentioned,
        metrics=tweet.get("public_metrics") or {},
        media_urls=media_urls,
        raw=raw,
    )


def _index(items: Any, key: str) -> dict[str, Mapping[str, Any]]:
    if not isinstance(items, list):
        return {}
    return {item[key]: item for item in items if isinstance(item, dict) and key in item}


def _page_media(
    tweet: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]]
) -> tuple[str, ...]:
    attachments = tweet.get("attachments")
    if not attachments:
        return ()
    keys = attachments.get("media_keys")
    if not keys:
        return ()
    urls = []
    for key in keys:
        item = media.get(key)
        if item is not None:
            url = _media_url(item)
            if url:
                urls.append(url)
    return tuple(urls)


def _reason(tweet: Any, exc: Exception) -> str:
    if isinstance(exc, BadPayloadError):
        return exc.reason
    tid = tweet.get("id") if isinstance(tweet, dict) else None
    return f"tweet {tid or '(no id)'} has an unexpected shape ({type(exc).__name__}: {exc})"


def _flat_copy(
    tweet: Any,
    users: Mapping[str, Mapping[str, Any]],
    media: Mapping[str, Mapping[str, Any]],
    tweets: Mapping[str, Mapping[str, Any]],
) -> Any:
    """Return the tweet with its expansions inlined (twarc2 flat shape), for the quarantine."""
    if not isinstance(tweet, dict):
        return tweet
    flat = dict(tweet)
    try:
        author = users.get(tweet.get("author_id"))  # type: ignore[arg-type]
        if author is not None:
            flat["author"] = author
        attachments = tweet.get("attachments")
        if isinstance(attachments, dict) and attachments.get("media_keys"):
            flat["attachments"] = dict(
                attachments, media=[media[k] for k in attachments["media_keys"] if k in media]
            )
        refs = tweet.get("referenced_tweets")
        if isinstance(refs, list):
            flat["referenced_tweets"] = [
                {**tweets.get(r.get("id"), _EMPTY), **r} if isinstance(r, dict) else r for r in refs
            ]
    except (TypeError, AttributeError):
        pass
    return flat


def parse_v2_page(page: Mapping[str, Any]) -> tuple[list[MentionIn], list[BadItem]]:
    """Return the mentions of one X API v2 response body (or twarc2 line) and its bad tweets.

    Includes are indexed once per page; each mention's raw is the tweet plus its author under
    "author" and its media under "attachments.media" (twarc2's flat shape, not the whole
    includes), so `reparse` of it gives the same mention. A tweet that cannot be parsed becomes
    a BadItem whose raw is the tweet with its expansions inlined. Never raises for bad tweets.
    """
    if not isinstance(page, Mapping):
        return [], [BadItem(raw=dump_raw(page), reason="the X page is not a JSON object")]
    data = page.get("data")
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [BadItem(raw=dump_raw(page), reason="the X page's data is not a list of tweets")]
    includes = page.get("includes")
    if not isinstance(includes, Mapping):
        includes = _EMPTY
    users = _index(includes.get("users"), "id")
    media = _index(includes.get("media"), "media_key")

    mentions: list[MentionIn] = []
    bad: list[BadItem] = []
    append = mentions.append
    for tweet in data:
        try:
            author = users.get(tweet.get("author_id"))
            media_urls = _page_media(tweet, media) if media else ()
            raw = tweet
            if author is not None or media_urls:
                # raw in twarc2's flat shape (author and media inline) reparses to the same mention
                raw = dict(tweet)
                if author is not None:
                    raw["author"] = author
                if media_urls:
                    keys = tweet["attachments"]["media_keys"]
                    raw["attachments"] = {
                        **tweet["attachments"],
                        "media": [media[k] for k in keys if k in media],
                    }
            append(_build(tweet, author, media_urls, raw))
        except (BadPayloadError, KeyError, TypeError, AttributeError, ValueError) as exc:
            tweets = _index(includes.get("tweets"), "id")
            bad.append(
                BadItem(
                    raw=dump_raw(_flat_copy(tweet, users, media, tweets)),
                    reason=_reason(tweet, exc),
                )
            )
    return mentions, bad


def parse_flat_tweet(tweet: Mapping[str, Any]) -> MentionIn:
    """Return the mention of one tweet as twarc2 `flatten` writes it (expansions inlined).

    A tweet without inlined expansions (page shape) also parses, with less detail.
    Raises BadPayloadError when id, text or created_at is missing or wrong.
    """
    if not isinstance(tweet, Mapping):
        raise BadPayloadError("the tweet is not a JSON object")
    try:
        author = tweet.get("author")
        if not isinstance(author, Mapping):
            author = None
        media_urls: tuple[str, ...] = ()
        attachments = tweet.get("attachments")
        if attachments:
            items = attachments.get("media")
            if items:
                media_urls = tuple(u for u in (_media_url(m) for m in items) if u)
        return _build(tweet, author, media_urls, tweet)
    except BadPayloadError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise BadPayloadError(_reason(tweet, exc)) from None


def reparse(raw: str) -> Batch:
    """Return a Batch with the mention(s) of one quarantined X item (a tweet, flat or page-shaped).

    A whole quarantined page also parses. Raises BadPayloadError when it still cannot be parsed.
    """
    try:
        item = json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise BadPayloadError(f"the quarantined X item is not JSON ({exc})") from None
    if isinstance(item, dict) and "data" in item and "text" not in item:
        mentions, bad = parse_v2_page(item)
        if bad:
            raise BadPayloadError(bad[0].reason)
        return Batch(mentions=tuple(mentions))
    return Batch(mentions=(parse_flat_tweet(item),))
