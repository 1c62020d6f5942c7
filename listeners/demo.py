"""The demo listener: a deterministic, realistic stream of Indonesian posts about public services."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from random import Random
from typing import Any, ClassVar

from core.clock import as_utc, local, parse_iso, utcnow
from core.errors import BadPayloadError, FatalSourceError
from core.mentions import (
    BadItem,
    Batch,
    Cursor,
    MentionIn,
    dump_raw,
    extract_handles,
    extract_hashtags,
)
from core.settings import Settings
from listeners import demo_text as content
from listeners.demo_text import Composed, Person

NAME = "demo"
PLATFORMS = ("x", "facebook", "telegram", "line", "messenger")
HISTORY_BASE = 10**9  # history() seqs: never reached by the live stream
CAMPAIGN_BASE = 2 * 10**9  # history() seqs of the campaign day's extra posts
BROKEN_RATE = 1 / 150
# Relative activity per hour of the day in Asia/Jakarta: busy by day, quiet at night.
HOURLY = (
    *(0.25, 0.15, 0.1, 0.1, 0.2, 0.45, 0.7, 0.9),
    *(1.0,) * 13,
    *(0.9, 0.7, 0.45),
)
_REPEATS = ("rt", "copas", "ikut")
_CHAT = ("telegram", "line", "messenger")
_KINDS = ("post", "comment", "reply", "message")
_OPTIONAL = "conversation_id reply_to_id author_id author_handle author_name lang url".split()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Draft:
    """Everything about one item except its time."""

    seq: int
    platform: str
    composed: Composed
    author: Person
    kind: str = "post"
    reply_to_id: str | None = None
    duplicate_of: str | None = None


def external_id(seed: int, seq: int) -> str:
    """Return the demo item's id: 'demo-<seed>-<seq>', unique on every platform."""
    return f"demo-{seed}-{seq}"


def _author(rng: Random, platform: str, intent: str, city: str = "") -> Person:
    kind = {"berita": "akun_berita", "promosi": "akun_promosi"}.get(intent, "warga")
    pool, cum = content.authors("warga" if platform in _CHAT else kind, platform)
    local_news = [p for p in pool if kind == "akun_berita" and city[:5].lower() in p.name]
    return rng.choice(local_news) if local_news else rng.choices(pool, cum_weights=cum)[0]


def _range_start(seq: int) -> int:
    return CAMPAIGN_BASE if seq >= CAMPAIGN_BASE else HISTORY_BASE if seq >= HISTORY_BASE else 0


def _plan(seed: int, seq: int) -> tuple[Random, str, str]:
    """Return the item's random stream, platform and intent (a repeat kind or a text kind)."""
    rng = Random(f"demo:{seed}:{seq}")
    lex = content.load("lexicon")
    if seq >= CAMPAIGN_BASE:  # the campaign day: campaign posts, their retweets and copies
        platform = content.weighted(rng, {"x": 75, "facebook": 25})
        mix = {"kampanye": 70, "rt": 20 if platform == "x" else 0, "copas": 10}
        return rng, platform, content.weighted(rng, mix)
    platform = content.weighted(rng, lex["platform_weights"])
    return rng, platform, content.weighted(rng, lex["intent_weights"][platform])


def _fresh(seed: int, seq: int, rng: Random, platform: str, intent: str) -> _Draft:
    sector = None
    if intent in content.REPORT_INTENTS:
        sector = content.weighted(rng, content.load("lexicon")["sector_weights"])
    composed = content.compose(rng, platform, intent, sector)
    author = _author(rng, platform, intent, composed.city.replace(" ", ""))
    kind = _default_kind(rng, platform)
    return _Draft(seq=seq, platform=platform, composed=composed, author=author, kind=kind)


def _default_kind(rng: Random, platform: str) -> str:
    if platform == "facebook":
        return "comment" if rng.random() < 0.8 else "post"  # comments under the page's posts
    return "message" if platform in _CHAT else "post"


def _original(seed: int, seq: int) -> _Draft | None:
    """Return the item at `seq` when it is not itself a repeat of another item."""
    rng, platform, intent = _plan(seed, seq)
    return None if intent in _REPEATS else _fresh(seed, seq, rng, platform, intent)


def _repeat(seed: int, seq: int, platform: str, how: str) -> _Draft | None:
    """Return a retweet, a copy-paste or a 'me too' reply of a recent item, or None."""
    rng = Random(f"demo:{seed}:{seq}:{how}")
    wanted = ("pengaduan",) if how == "ikut" else ("pengaduan", "aspirasi", "kampanye")
    for _ in range(8):
        src_seq = seq - rng.randint(1, 60)
        src = _original(seed, src_seq) if src_seq >= _range_start(seq) else None
        if (
            src is None
            or src.composed.intent not in wanted
            or (how == "ikut" and src.composed.urgent)
        ):
            continue
        if (how != "copas" and src.platform != "x") or (
            src.platform in _CHAT and platform not in _CHAT  # no private message goes public
        ):
            continue
        author, src_id = _author(rng, platform, "warga"), external_id(seed, src_seq)
        if author.handle == src.author.handle:
            continue
        dup: str | None = src_id
        kind, reply_to, pii = _default_kind(rng, platform), None, src.composed.pii
        if how == "rt":
            text = content.clip(f"RT @{src.author.handle}: {src.composed.text}")
        elif how == "ikut":
            text = content.clip(f"@{src.author.handle} {content.me_too(rng)}")
            kind, reply_to, dup, pii = "reply", src_id, None, ()
        else:
            text = content.copy_paste(rng, src.composed.text, platform)
        composed = replace(src.composed, text=text, pii=pii)
        return _Draft(
            seq=seq,
            platform=platform,
            composed=composed,
            author=author,
            kind=kind,
            reply_to_id=reply_to,
            duplicate_of=dup,
        )
    return None


def _draft(seed: int, seq: int) -> _Draft:
    rng, platform, intent = _plan(seed, seq)
    if intent in _REPEATS:
        found = _repeat(seed, seq, platform, intent)
        if found is not None:
            return found
        intent = "kampanye" if seq >= CAMPAIGN_BASE else "pengaduan"
    return _fresh(seed, seq, rng, platform, intent)


def _metrics(rng: Random, draft: _Draft) -> dict[str, int]:
    if draft.platform not in ("x", "facebook"):
        return {}
    boost = 4 if draft.composed.intent in ("kampanye", "berita") else 1
    likes = min(int((rng.paretovariate(1.2) - 1) * 3 * boost), 5000)
    if draft.platform == "facebook":
        return {"like_count": likes, "comment_count": rng.randint(0, 2 + likes // 4)}
    return {
        "retweet_count": likes // rng.randint(2, 6),
        "reply_count": rng.randint(0, 1 + likes // 5),
        "like_count": likes,
        "quote_count": likes // rng.randint(8, 30),
        "bookmark_count": likes // rng.randint(5, 20),
        "impression_count": (likes + 1) * rng.randint(20, 90),
    }


def _handle(platform: str, author: Person) -> str | None:
    """Return the handle as the platform's own listener would store it."""
    if platform == "facebook":
        return author.id  # the Graph API gives an app-scoped id and a name, no username
    if platform == "telegram" and int(author.id) % 10 < 3:
        return None  # many Telegram users have no username
    return None if platform in ("line", "messenger") else author.handle


def _label(seed: int, seq: int, draft: _Draft) -> dict[str, Any]:
    """Return what the item was made to be, for demonstrating and measuring the triage."""
    label = asdict(draft.composed)
    del label["text"]
    label["pii"] = sorted(set(draft.composed.pii))
    return {"seed": seed, "seq": seq, **label, "duplicate_of": draft.duplicate_of}


def raw_item(seq: int, seed: int, created_at: datetime) -> dict[str, Any]:
    """Return demo item `seq` as the JSON a demo source would send (a MentionIn-like dict).

    A pure function of (seed, seq) apart from `created_at`. About one live item in 150 has no
    text, on purpose, so that the console shows the quarantine at work.
    """
    draft = _draft(seed, seq)
    rng = Random(f"demo:{seed}:{seq}:meta")
    eid, author = external_id(seed, seq), draft.author
    conversation, url = eid, None
    if draft.platform == "x":
        conversation = draft.reply_to_id or eid
        url = f"https://x.com/{author.handle}/status/{10**18 + seed % 10**6 * 10**11 + seq}"
    elif draft.platform == "facebook" and draft.kind == "comment":
        # A new page post every 400 items; the comments gather under it.
        conversation = f"demo-{seed}-fbpost-{seq // 400}"
    elif draft.platform in _CHAT:
        conversation = author.id
    item: dict[str, Any] = {
        "platform": draft.platform,
        "external_id": eid,
        "kind": draft.kind,
        "text": draft.composed.text,
        "created_at": as_utc(created_at).isoformat().replace("+00:00", "Z"),
        "conversation_id": conversation,
        "reply_to_id": draft.reply_to_id,
        "author_id": author.id,
        "author_handle": _handle(draft.platform, author),
        "author_name": author.name,
        "lang": "in" if draft.platform == "x" else None,
        "url": url,
        "metrics": _metrics(rng, draft),
        "media_urls": [],
        "demo": _label(seed, seq, draft),
    }
    if seq < HISTORY_BASE and rng.random() < BROKEN_RATE:
        breakage = rng.randrange(3)
        if breakage == 0:
            del item["text"]
        else:
            item["text"] = None if breakage == 1 else ""
    return item


def parse_item(item: Mapping[str, Any]) -> MentionIn:
    """Return the mention of one demo item (see `raw_item`).

    Raises BadPayloadError when the item lacks a usable field, such as its text.
    """
    if not isinstance(item, Mapping):
        raise BadPayloadError("a demo item is not a JSON object")
    eid = item.get("external_id")
    if not isinstance(eid, str) or not eid.startswith("demo-"):
        raise BadPayloadError(f"a demo item has no 'demo-' external_id (got {eid!r})")
    platform, kind = item.get("platform"), item.get("kind", "post")
    if platform not in PLATFORMS or kind not in _KINDS:
        raise BadPayloadError(f"demo item {eid} has an unknown platform or kind")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadPayloadError(
            f"demo item {eid} has no text (the demo breaks ~1 item in 150 on purpose)"
        )
    try:
        created_at = parse_iso(str(item.get("created_at")))
    except ValueError:
        raise BadPayloadError(f"demo item {eid} has no ISO 8601 'created_at'") from None
    metrics = item.get("metrics") or {}
    optional = {key: None if item.get(key) is None else str(item[key]) for key in _OPTIONAL}
    return MentionIn(
        platform=platform,
        external_id=eid,
        text=text,
        created_at=created_at,
        kind=kind,
        hashtags=extract_hashtags(text),
        mentioned=extract_handles(text),
        metrics=dict(metrics) if isinstance(metrics, Mapping) else {},
        media_urls=tuple(str(u) for u in item.get("media_urls") or ()),
        raw=dict(item),
        **optional,
    )


def generate(seq: int, seed: int, created_at: datetime) -> MentionIn:
    """Return demo mention `seq`: the same (seed, seq) always gives the same item.

    Raises BadPayloadError for the deliberately broken seqs (about 1 live item in 150).
    """
    return parse_item(raw_item(seq, seed, created_at))


def reparse(raw: str) -> Batch:
    """Return a Batch with the mention of one quarantined demo item (its JSON text).

    Raises BadPayloadError when it is still broken: a deliberately broken item has no text.
    """
    try:
        item = json.loads(raw)
    except ValueError:
        raise BadPayloadError("the quarantined demo item is not JSON") from None
    return Batch(mentions=[parse_item(item)])


def _hour_weight(when: datetime) -> float:
    return HOURLY[local(when).hour]


def items_per_poll(per_poll: int, now: datetime, rng: Random) -> int:
    """Return how many items a poll at `now` gives: `per_poll` by day, fewer at night (Jakarta)."""
    return int(per_poll * _hour_weight(now) + rng.random())


class DemoListener:
    """A realistic stream of citizens' posts on every channel, with no keys and no network."""

    name: ClassVar[str] = NAME

    def __init__(self, settings: Settings, now: Callable[[], datetime] | None = None) -> None:
        self._seed = settings.demo_seed
        self._per_poll = settings.demo_per_poll
        self._interval = settings.demo_poll_seconds
        self._now = now or utcnow

    def poll(self, cursor: Cursor | None) -> Batch:
        """Return the items numbered from cursor['seq'] on, dated within the last poll interval.

        Raises FatalSourceError when the cursor is not {'seq': n} with n >= 0.
        """
        start = (cursor or {}).get("seq", 0)
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise FatalSourceError(NAME, f"the stored cursor {cursor!r} is not {{'seq': n >= 0}}")
        now = as_utc(self._now())
        count = items_per_poll(self._per_poll, now, Random(f"demo:{self._seed}:poll:{start}"))
        mentions: list[MentionIn] = []
        bad: list[BadItem] = []
        for i in range(count):
            seq = start + i
            lag = (count - i - Random(f"demo:{self._seed}:{seq}:t").random()) / count
            item = raw_item(seq, self._seed, now - timedelta(seconds=self._interval * lag))
            try:
                mentions.append(parse_item(item))
            except BadPayloadError as exc:
                bad.append(BadItem(raw=dump_raw(item), reason=exc.reason))
        return Batch(mentions=mentions, next_cursor={"seq": start + count}, quarantined=bad)


def _moment(rng: Random, start: datetime, end: datetime) -> datetime | None:
    """Return a time in [start, end), busier by day than by night (Jakarta); None if none fits."""
    for _ in range(200):
        when = start + timedelta(seconds=rng.uniform(0, 86_400))
        if rng.random() < _hour_weight(when):
            return when if when < end else None
    return None


def history(days: int, seed: int, now: datetime, per_day: int = 300) -> Batch:
    """Return a back-filled Batch: about `per_day` items a day over `days` Jakarta dates to `now`.

    The dates are the `days` local dates ending today; today only holds items before `now`.
    Seqs start at HISTORY_BASE, so they never collide with the live stream, and the same call
    on a later day gives the same ids (the store keeps one row each). A campaign peaks two
    days before today: extra #BeraniLAPOR-style posts, their retweets and copies.
    The cursor does not move (next_cursor None). Raises ValueError when days < 1.
    """
    if days < 1:
        raise ValueError("history needs at least one day")
    now = as_utc(now)
    today = local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [as_utc(today - timedelta(days=days - 1 - day)) for day in range(days)]
    peak = max(days - 3, 0)
    slots = [(HISTORY_BASE + i, i // per_day) for i in range(days * per_day)]
    for j in range(per_day):
        day = peak + (0 if j < 0.8 * per_day else -1 if j < 0.9 * per_day else 1)
        slots.append((CAMPAIGN_BASE + j, min(max(day, 0), days - 1)))
    mentions = []
    for seq, day in slots:
        when = _moment(Random(f"demo:{seed}:{seq}:t"), starts[day], now)
        if when is not None:  # today's share stops at `now`
            mentions.append(generate(seq, seed, when))
    mentions.sort(key=lambda m: m.created_at)
    return Batch(mentions=mentions)
