"""Messenger Platform webhooks: X-Hub-Signature-256, the verify handshake, a pure parser."""

from __future__ import annotations

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

PLATFORM = "messenger"
_PREFIX = "sha256="


def verify(body: bytes, signature_header: str, app_secret: str) -> bool:
    """Return True when `signature_header` is "sha256=" + hex HMAC-SHA256(app_secret, body).

    The comparison takes constant time; a missing or malformed header is False.
    """
    if not signature_header or not app_secret:
        return False
    header = signature_header.strip()
    if not header.lower().startswith(_PREFIX):
        return False
    expected = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    given = header[len(_PREFIX) :].lower()
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8"))


def handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """Return hub.challenge when hub.mode is "subscribe" and hub.verify_token matches, else None."""
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    token = params.get("hub.verify_token") or ""
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return params.get("hub.challenge")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _attachments(message: Mapping[str, Any]) -> tuple[list[str], tuple[str, ...]]:
    kinds: list[str] = []
    urls: list[str] = []
    attachments = message.get("attachments")
    for item in attachments if isinstance(attachments, list) else ():
        if not isinstance(item, Mapping):
            continue
        kinds.append(_str(item.get("type")) or "attachment")
        payload = item.get("payload")
        url = _str(payload.get("url")) if isinstance(payload, Mapping) else None
        if url:
            urls.append(url)
    return kinds, tuple(dict.fromkeys(urls))


def parse_messaging(event: Any) -> MentionIn | None:
    """Return the mention in one `messaging` event, or None for echoes and non-message events.

    Raises BadPayloadError when a message lacks a field a mention needs.
    """
    if not isinstance(event, Mapping):
        raise BadPayloadError("a Messenger messaging event is not a JSON object")
    message = event.get("message")
    if message is None:
        return None  # delivery, read, postback, reaction, referral: not mentions
    if not isinstance(message, Mapping):
        raise BadPayloadError("a Messenger event's 'message' is not an object")
    if message.get("is_echo"):
        return None  # our own page's outgoing message
    mid = _str(message.get("mid"))
    if mid is None:
        raise BadPayloadError("a Messenger message has no 'mid'")
    sender = event.get("sender")
    sender = sender if isinstance(sender, Mapping) else {}
    sender_id = _str(sender.get("id")) or _str(sender.get("user_ref"))
    if sender_id is None:
        raise BadPayloadError(f"Messenger message {mid} has no sender id")
    stamp = event.get("timestamp")
    if not isinstance(stamp, int | float) or isinstance(stamp, bool):
        raise BadPayloadError(f"Messenger message {mid} has no numeric 'timestamp'")
    kinds, media = _attachments(message)
    text = message.get("text")
    if not isinstance(text, str) or not text:
        # An attachment-only message becomes a placeholder, as on LINE: "[image]".
        text = " ".join(f"[{kind}]" for kind in kinds)
    reply_to = message.get("reply_to")
    return MentionIn(
        platform=PLATFORM,
        external_id=mid,
        text=text,
        created_at=from_epoch(stamp / 1000),
        kind="message",
        conversation_id=sender_id,
        reply_to_id=_str(reply_to.get("mid")) if isinstance(reply_to, Mapping) else None,
        author_id=sender_id,
        hashtags=extract_hashtags(text),
        mentioned=extract_handles(text),
        media_urls=media,
        raw=dict(event),
    )


def parse(body: Mapping[str, Any]) -> Batch:
    """Return the mentions in a Messenger webhook body; a malformed event is quarantined alone.

    Never raises: a body that is not a page subscription becomes one quarantined item.
    """
    entries = body.get("entry") if isinstance(body, Mapping) else None
    if (
        not isinstance(body, Mapping)
        or body.get("object") != "page"
        or not isinstance(entries, list)
    ):
        reason = "the Messenger webhook body is not {'object': 'page', 'entry': [...]}"
        return Batch(quarantined=[BadItem(raw=dump_raw(body), reason=reason)])
    mentions: list[MentionIn] = []
    bad: list[BadItem] = []
    for entry in entries:
        messaging = entry.get("messaging") if isinstance(entry, Mapping) else None
        if messaging is None:
            continue  # feed changes or standby events: not messages for this page
        if not isinstance(messaging, list):
            reason = "a Messenger entry's 'messaging' is not a list"
            bad.append(BadItem(raw=dump_raw(entry), reason=reason))
            continue
        found, broken = parse_each(messaging, parse_messaging)
        mentions += found
        bad += broken
    return Batch(mentions=mentions, quarantined=bad)


def reparse(raw: str) -> Batch:
    """Return the mention in one quarantined messaging event (or whole body) as a Batch.

    Raises BadPayloadError when it still cannot be parsed.
    """
    try:
        item = json.loads(raw)
    except ValueError as exc:
        raise BadPayloadError(f"the quarantined Messenger item is not JSON: {exc}") from exc
    if isinstance(item, Mapping) and "messaging" in item:
        item = {"object": "page", "entry": [item]}  # a quarantined entry
    if isinstance(item, Mapping) and "entry" in item:
        batch = parse(item)
        if batch.quarantined:
            raise BadPayloadError(batch.quarantined[0].reason)
        return batch
    found = parse_messaging(item)
    return Batch(mentions=[] if found is None else [found])
