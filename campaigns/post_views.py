"""Read-only queries for the Composer and Approvals pages: review queue, a post, decisions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.casework import AuditEntry
from core.clock import as_utc
from core.outreach import PUBLISH_CHANNELS, Campaign, MediaAsset, Post, PostVariant

DECISIONS = ("approve", "send_back")


@dataclass(frozen=True, slots=True, kw_only=True)
class CampaignFacts:
    """What the composer needs of a campaign: its name, region and hashtags."""

    id: int
    name: str
    region_code: str | None
    hashtags: tuple[str, ...]  # as the plan spells them, without '#'
    is_template: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PostPick:
    """A post as the composer's picker lists it."""

    post_id: int
    title: str
    state: str
    scheduled_at: datetime | None
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueRow:
    """A post waiting in review, as the reviewer's queue shows it."""

    post_id: int
    campaign_id: int
    campaign_name: str
    title: str
    author: str
    edited_by: str  # who wrote the version under review
    scheduled_at: datetime | None
    updated_at: datetime
    channels: tuple[str, ...]
    has_media: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionText:
    """One channel's text of a post and where its publication stands."""

    channel: str
    text: str
    state: str
    last_error: str | None
    url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaView:
    """The image attached to a post, with its alt text."""

    id: int
    title: str
    kind: str  # rendered | uploaded
    path: str  # relative to the media folder
    alt_text: str
    width: int
    height: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PostDetail:
    """One post with its channel versions, image and its campaign's hashtags."""

    post_id: int
    campaign_id: int
    campaign_name: str
    hashtags: tuple[str, ...]  # the campaign's, as the plan spells them, without '#'
    title: str
    state: str
    scheduled_at: datetime | None
    version: int
    author: str
    edited_by: str
    approved_by: str | None
    approved_at: datetime | None
    approved_version: int | None
    review_note: str | None
    problem: str | None
    created_at: datetime
    updated_at: datetime
    versions: tuple[VersionText, ...]  # channel order: x, facebook, telegram
    media: MediaView | None

    @property
    def texts(self) -> dict[str, str]:
        """Return the text of each channel that has a version."""
        return {v.channel: v.text for v in self.versions}


@dataclass(frozen=True, slots=True, kw_only=True)
class TimelineEntry:
    """One audited step in a post's life: who did what, when, and the state it moved between."""

    at: datetime
    action: str
    actor: str
    note: str | None
    state_from: str | None
    state_to: str | None
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """A reviewer's approval or send-back, newest first in the list, with the post's state now."""

    post_id: int
    title: str
    campaign_name: str
    action: str  # approve | send_back
    actor: str
    at: datetime
    note: str | None
    state_now: str


def _hashtags(campaign: Campaign) -> tuple[str, ...]:
    # The plan keeps the champion's spelling (#BeraniLAPOR); the column is lower-case for matching.
    tags = (campaign.plan.get("messages") or {}).get("hashtags") or campaign.hashtags
    return tuple(str(t).lstrip("#") for t in tags)


def _channels(session: Session, post_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    ids = list(post_ids)
    found: dict[int, list[str]] = defaultdict(list)
    if ids:
        stmt = select(PostVariant.post_id, PostVariant.channel).where(PostVariant.post_id.in_(ids))
        for post_id, channel in session.execute(stmt):
            found[post_id].append(channel)
    return {pid: tuple(sorted(chs, key=PUBLISH_CHANNELS.index)) for pid, chs in found.items()}


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def campaign_facts(session: Session, campaign_id: int) -> CampaignFacts | None:
    """Return the campaign's name, region and hashtags, or None when there is no such campaign."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return None
    return CampaignFacts(
        id=campaign.id,
        name=campaign.name,
        region_code=campaign.region_code,
        hashtags=_hashtags(campaign),
        is_template=campaign.is_template,
    )


def campaign_posts(session: Session, campaign_id: int) -> list[PostPick]:
    """Return the campaign's posts in planned-time order (untimed ones last, oldest first)."""
    stmt = (
        select(Post)
        .where(Post.campaign_id == campaign_id)
        .order_by(Post.scheduled_at.is_(None), Post.scheduled_at, Post.id)
    )
    rows = list(session.scalars(stmt))
    channels = _channels(session, (p.id for p in rows))
    return [
        PostPick(
            post_id=p.id,
            title=p.title,
            state=p.state,
            scheduled_at=_aware(p.scheduled_at),
            channels=channels.get(p.id, ()),
        )  # fmt: skip
        for p in rows
    ]


def review_queue(session: Session) -> list[QueueRow]:
    """Return every post in review, the soonest planned time first (untimed ones last)."""
    stmt = (
        select(Post, Campaign.name)
        .join(Campaign, Campaign.id == Post.campaign_id)
        .where(Post.state == "in_review")
        .order_by(Post.scheduled_at.is_(None), Post.scheduled_at, Post.updated_at, Post.id)
    )
    rows = session.execute(stmt).all()
    channels = _channels(session, (p.id for p, _ in rows))
    return [
        QueueRow(
            post_id=p.id,
            campaign_id=p.campaign_id,
            campaign_name=name,
            title=p.title,
            author=p.author,
            edited_by=p.edited_by,
            scheduled_at=_aware(p.scheduled_at),
            updated_at=as_utc(p.updated_at),
            channels=channels.get(p.id, ()),
            has_media=p.media_id is not None,
        )
        for p, name in rows
    ]


def post_detail(session: Session, post_id: int) -> PostDetail | None:
    """Return the post with its versions, image and campaign hashtags; None when it is gone."""
    post = session.get(Post, post_id)
    if post is None:
        return None
    campaign = session.get(Campaign, post.campaign_id)
    variants = session.scalars(select(PostVariant).where(PostVariant.post_id == post_id))
    versions = sorted(
        (
            VersionText(
                channel=v.channel, text=v.text, state=v.state, last_error=v.last_error, url=v.url
            )
            for v in variants
        ),  # fmt: skip
        key=lambda v: PUBLISH_CHANNELS.index(v.channel),
    )
    asset = session.get(MediaAsset, post.media_id) if post.media_id is not None else None
    media = None
    if asset is not None:
        media = MediaView(
            id=asset.id,
            title=asset.title,
            kind=asset.kind,
            path=asset.path,
            alt_text=asset.alt_text,
            width=asset.width,
            height=asset.height,
        )
    return PostDetail(
        post_id=post.id,
        campaign_id=post.campaign_id,
        campaign_name=campaign.name if campaign else "",
        hashtags=_hashtags(campaign) if campaign else (),
        title=post.title,
        state=post.state,
        scheduled_at=_aware(post.scheduled_at),
        version=post.version,
        author=post.author,
        edited_by=post.edited_by,
        approved_by=post.approved_by,
        approved_at=_aware(post.approved_at),
        approved_version=post.approved_version,
        review_note=post.review_note,
        problem=post.problem,
        created_at=as_utc(post.created_at),
        updated_at=as_utc(post.updated_at),
        versions=tuple(versions),
        media=media,
    )


def post_timeline(session: Session, post_id: int) -> list[TimelineEntry]:
    """Return the post's audited steps, oldest first."""
    return [_entry(e) for e in audit.history(session, "post", post_id)]


def _entry(e: AuditEntry) -> TimelineEntry:
    before, after = dict(e.before or {}), dict(e.after or {})
    return TimelineEntry(at=as_utc(e.at), action=e.action, actor=e.actor, note=e.note,
                         state_from=before.get("state"), state_to=after.get("state"),
                         before=before, after=after)  # fmt: skip


def recent_decisions(session: Session, *, limit: int = 10) -> list[Decision]:
    """Return the latest approvals and send-backs of posts, newest first, at most `limit`."""
    stmt = (
        select(AuditEntry, Post.title, Post.state, Campaign.name)
        .join(Post, Post.id == AuditEntry.entity_id)
        .join(Campaign, Campaign.id == Post.campaign_id)
        .where(AuditEntry.entity == "post", AuditEntry.action.in_(DECISIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
    )
    return [
        Decision(
            post_id=e.entity_id,
            title=title,
            campaign_name=name,
            action=e.action,
            actor=e.actor,
            at=as_utc(e.at),
            note=e.note,
            state_now=state,
        )  # fmt: skip
        for e, title, state, name in session.execute(stmt)
    ]
