"""Models of the champion's work: campaigns, posts with one version per channel, media, publishing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.models import Base, BigId

# Channels a post can be published on (the listeners' names for them).
PUBLISH_CHANNELS = ("x", "facebook", "telegram")
POST_STATES = (
    "draft", "in_review", "approved", "scheduled", "publishing", "published", "failed",
    "cancelled",
)  # fmt: skip
# A channel version: waiting for its time (or its retry), being posted, done, given up, or
# sent without an answer (a crash or a lost reply) that a lookup or a person must settle.
VARIANT_STATES = ("pending", "publishing", "published", "failed", "unknown", "cancelled")
ATTEMPT_OUTCOMES = ("pending", "published", "retry", "failed", "unknown")
MEDIA_KINDS = ("rendered", "uploaded")


class Campaign(Base):
    """An outreach campaign: the ten planning steps as a validated document, key fields as columns.

    `plan` holds the whole plan (campaigns.plan.Plan); the columns repeat what the calendar,
    the evaluation and the list query (name, region, dates, hashtags), written from the plan.
    """

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_dates", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str | None] = mapped_column(String(20))
    starts_on: Mapped[date | None] = mapped_column(Date)  # Asia/Jakarta dates, inclusive
    ends_on: Mapped[date | None] = mapped_column(Date)
    hashtags: Mapped[list[str]] = mapped_column(default=list)  # lower-case, without '#'
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    copied_from: Mapped[int | None] = mapped_column(BigInteger)
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MediaAsset(Base):
    """An image in the media library: rendered from a template or uploaded, always with alt text."""

    __tablename__ = "media_assets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    kind: Mapped[str] = mapped_column(String(20))  # rendered | uploaded
    title: Mapped[str] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(Text)  # relative to the media folder
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    alt_text: Mapped[str] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(60))  # rendered: which template
    spec: Mapped[dict[str, Any]] = mapped_column(default=dict)  # rendered: what went in
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class Post(Base):
    """One piece of outreach content with a version per channel, its approval and its time."""

    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_due", "state", "scheduled_at"),
        Index("ix_posts_campaign", "campaign_id", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    scheduled_at: Mapped[datetime | None]  # planned time; publishing starts here once scheduled
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media_assets.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 on every edit
    author: Mapped[str] = mapped_column(String(120))
    edited_by: Mapped[str] = mapped_column(String(120))  # who wrote the current version
    approved_by: Mapped[str | None] = mapped_column(String(120))
    approved_at: Mapped[datetime | None]
    approved_version: Mapped[int | None] = mapped_column(Integer)
    review_note: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)  # why it failed, said loudly
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PostVariant(Base):
    """A post's text for one channel, and where its publication stands there."""

    __tablename__ = "post_variants"
    __table_args__ = (
        UniqueConstraint("post_id", "channel", name="uq_post_variants_post_channel"),
        Index("ix_post_variants_state", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # ever made: numbers the next one
    round_attempts: Mapped[int] = mapped_column(Integer, default=0)  # since the last (re)schedule
    next_attempt_at: Mapped[datetime | None]  # a retry (or a lookup after no answer) waits
    external_id: Mapped[str | None] = mapped_column(String(120))
    url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class PublishAttempt(Base):
    """One try to publish a channel version: written before the platform call, settled after.

    (variant_id, number) is unique, so two runs that both think they may publish cannot both
    write attempt n; the claim that precedes it is a conditional UPDATE only one run wins.
    """

    __tablename__ = "publish_attempts"
    __table_args__ = (
        UniqueConstraint("variant_id", "number", name="uq_publish_attempts_variant_number"),
        Index("ix_publish_attempts_open", "outcome", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("post_variants.id"))
    number: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # "post:<id>:<channel>:<n>"
    worker: Mapped[str] = mapped_column(String(120))  # host:pid that made the call
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(20), default="pending")
    external_id: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str | None] = mapped_column(Text)


class PostMetric(Base):
    """A snapshot of one published version's figures at one moment (the scheduler collects them)."""

    __tablename__ = "post_metrics"
    __table_args__ = (Index("ix_post_metrics_variant", "variant_id", "collected_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("post_variants.id"))
    collected_at: Mapped[datetime]
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    reactions: Mapped[int | None] = mapped_column(BigInteger)  # likes on X
    comments: Mapped[int | None] = mapped_column(BigInteger)  # replies on X
    shares: Mapped[int | None] = mapped_column(BigInteger)  # reposts + quotes on X
    clicks: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(20))  # x | facebook | console (demo figures)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConsolePost(Base):
    """What the console publisher 'posted' when a channel has no keys: the demo's timeline.

    One row per call (repeats are kept, so a double post would show); `variant_key` lets a
    lookup after a crash tell whether a version went out.
    """

    __tablename__ = "console_posts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120))  # the attempt's key
    variant_key: Mapped[str] = mapped_column(String(120), index=True)  # "post:<id>:<channel>"
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    media_path: Mapped[str | None] = mapped_column(Text)
    alt_text: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime]
