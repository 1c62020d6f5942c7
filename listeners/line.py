"""LINE Messaging API webhooks: signature check and a pure parser of message events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from core.clock import from_epoch
from core.errors import BadPayloadError
from core.mentions import (
    BadItem,
    Batch,
    MentionIn,
    dump_raw,
    extract_handles,
    extract_hashtags,
    parse_each,
)

PLATFORM = "line"


def verify(body: bytes, signature: str, channel_secret: str) -> bool:
    """Return True when `signature` (X-Line-Signature) is base64(HMAC-SHA256(secret, body)).

    The comparison takes constant time; a missing or empty signature is False.
    """
    if not signature or not channel_secret:
        return False
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.strip().encode("utf-8"))


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _text(message: Mapping[str, Any]) -> str:
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str):
            raise BadPayloadError("a LINE text message has no 'text' string")
        return text
    if not isinstance(kind, str) or not kind:
        raise BadPayloadError("a LINE message has no 'type'")
    # Non-text messages become a placeholder so a handler still sees the citizen wrote in.
    detail = [message.get(k) for k in ("title", "address", "fileName")]
    words = [w for w in detail if isinstance(w, str) and w]
    return " ".join([f"[{kind}]", *words])


def _media(message: Mapping[str, Any]) -> tuple[str, ...]:
    # Only externally hosted content has a URL; LINE-hosted content needs the content API.
    provider = message.get("contentProvider")
    if isinstance(provider, Mapping) and provider.get("type") == "external":
        url = _str(provider.get("originalContentUrl"))
        return (url,) if url else ()
    return ()


def parse_event(event: Any) -> MentionIn | None:
    """Return the mention in one webhook event, or None for events that are not messages.

    Raises BadPayloadError when a message event lacks a field a mention needs.
    """
    if not isinstance(event, Mapping):
        raise BadPayloadError("a LINE webhook event is not a JSON object")
    if event.get("type") != "message":
        return None  # follow, unfollow, postback, join, ...: not mentions
    message = event.get("message")
    if not isinstance(message, Mapping):
        raise BadPayloadError("a LINE message event has no 'message' object")
    message_id = message.get("id")
    if not isinstance(message_id, str | int) or isinstance(message_id, bool) or message_id == "":
        raise BadPayloadError("a LINE message has no 'id'")
    stamp = event.get("timestamp")
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        raise BadPayloadError(f"LINE message {message_id} has no numeric 'timestamp'")
    source = event.get("source")
    source = source if isinstance(source, Mapping) else {}
    text = _text(message)
    user_id = _str(source.get("userId"))
    return MentionIn(
        platform=PLATFORM,
        external_id=str(message_id),
        text=text,
        created_at=from_epoch(stamp / 1000),
        kind="message",
        conversation_id=_str(source.get("groupId")) or _str(source.get("roomId")) or user_id,
        reply_to_id=_str(message.get("quotedMessageId")),
        author_id=user_id,
        hashtags=extract_hashtags(text),
        mentioned=extract_handles(text),
        media_urls=_media(message),
        raw=dict(event),
    )


def parse(body: Mapping[str, Any]) -> Batch:
    """Return the mentions in a LINE webhook body; a malformed event is quarantined alone.

    Never raises: a body without an 'events' list becomes one quarantined item.
    """
    events = body.get("events") if isinstance(body, Mapping) else None
    if not isinstance(events, list):
        reason = "the LINE webhook body has no 'events' list"
        return Batch(quarantined=[BadItem(raw=dump_raw(body), reason=reason)])
    mentions, bad = parse_each(events, parse_event)
    return Batch(mentions=mentions, quarantined=bad)


def reparse(raw: str) -> Batch:
    """Return the mention in one quarantined LINE event (or whole body) as a Batch.

    Raises BadPayloadError when it still cannot be parsed.
    """
    try:
        item = json.loads(raw)
    except ValueError as exc:
        raise BadPayloadError(f"the quarantined LINE item is not JSON: {exc}") from exc
    if isinstance(item, Mapping) and "events" in item:
        batch = parse(item)
        if batch.quarantined:
            raise BadPayloadError(batch.quarantined[0].reason)
        return batch
    found = parse_event(item)
    return Batch(mentions=[] if found is None else [found])
