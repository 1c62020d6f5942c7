"""SQLAlchemy 2 typed models: the one `Base` of the store. Schema changes go through Alembic."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.clock import as_utc

# BIGINT primary keys on PostgreSQL; SQLite needs INTEGER to alias the rowid.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(postgresql.JSONB(), "postgresql").with_variant(sqlite.JSON(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every back end."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite has no time zones: store naive UTC text so ordering stays lexical.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: Json, list[str]: Json}


class Mention(Base):
    """One post, comment, reply or message captured from a platform."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_mentions_platform_external_id"),
        Index("ix_mentions_created_at", "created_at"),
        Index("ix_mentions_platform_created_at", "platform", "created_at"),
        Index("ix_mentions_author", "platform", "author_handle"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="post")
    conversation_id: Mapped[str | None] = mapped_column(String(120))
    reply_to_id: Mapped[str | None] = mapped_column(String(120))
    author_id: Mapped[str | None] = mapped_column(String(120))
    author_handle: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime]
    url: Mapped[str | None] = mapped_column(Text)
    hashtags: Mapped[list[str]] = mapped_column(default=list)
    mentioned: Mapped[list[str]] = mapped_column(default=list)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    media_urls: Mapped[list[str]] = mapped_column(default=list)
    listener: Mapped[str] = mapped_column(String(40))
    retrieved_at: Mapped[datetime]
    first_seen_at: Mapped[datetime]
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


class MentionHashtag(Base):
    """One hashtag of one mention, lower-cased, for per-hashtag counts and campaign uptake."""

    __tablename__ = "mention_hashtags"
    __table_args__ = (Index("ix_mention_hashtags_tag_created_at", "tag", "created_at"),)

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    tag: Mapped[str] = mapped_column(String(140), primary_key=True)
    created_at: Mapped[datetime]
    author_handle: Mapped[str | None] = mapped_column(String(200))


class ListenerCursor(Base):
    """Where a listener stopped; written in the same transaction as the mentions it covers."""

    __tablename__ = "listener_cursors"

    listener: Mapped[str] = mapped_column(String(40), primary_key=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class ListenerHealth(Base):
    """What the console shows per listener: on, off and why, rate-limited until when."""

    __tablename__ = "listener_health"

    listener: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # ok | off | backoff | rate_limited | stopped
    detail: Mapped[str] = mapped_column(Text, default="")
    retry_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_poll_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_count: Mapped[int] = mapped_column(Integer, default=0)
    total_count: Mapped[int] = mapped_column(BigInteger, default=0)


class QuarantineItem(Base):
    """An item that could not be understood, kept whole with the reason, until retried."""

    __tablename__ = "quarantine"
    __table_args__ = (
        Index("ix_quarantine_open", "resolved_at", "received_at"),
        # The same bad item fetched again (a re-poll after a crash, an overlap window) is kept once.
        UniqueConstraint("listener", "digest", name="uq_quarantine_listener_digest"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    listener: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of raw
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_retry_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]


class WebhookEvent(Base):
    """A webhook body as received, stored before parsing so a crash loses nothing."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_pending", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(Text)
