"""Posts: compose one version per channel, review, approve (never one's own), schedule, cancel.

Lifecycle: draft → in_review → approved → scheduled → publishing → published | failed, and
cancelled. Editing an approved or scheduled post sends it back to review; every step is
audited. The scheduler alone moves a post out of `scheduled` (see campaigns.publish).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core import audit
from core.db import transaction
from core.errors import InputError
from core.outreach import PUBLISH_CHANNELS, Campaign, MediaAsset, Post, PostVariant

# (versions by channel, campaign hashtags, has media) -> sentences that block the post.
CopyGate = Callable[[Mapping[str, str], Sequence[str], bool], list[str]]
EDITABLE = ("draft", "in_review", "approved", "scheduled", "failed")
CANCELLABLE = ("draft", "in_review", "approved", "scheduled", "failed")


def _load(session: Session, post_id: int) -> Post:
    # Locked first, as every writer of a post does (see campaigns.publish.lock_post).
    post = session.get(Post, post_id, with_for_update=True)
    if post is None:
        raise InputError(f"There is no post {post_id}.")
    return post


def variants_of(session: Session, post_id: int) -> list[PostVariant]:
    """Return the post's channel versions in channel order (x, facebook, telegram)."""
    rows = session.scalars(select(PostVariant).where(PostVariant.post_id == post_id))
    return sorted(rows, key=lambda v: PUBLISH_CHANNELS.index(v.channel))


def _clean_versions(versions: Mapping[str, str]) -> dict[str, str]:
    unknown = sorted(set(versions) - set(PUBLISH_CHANNELS))
    if unknown:
        raise InputError(
            f"We cannot publish on {', '.join(unknown)}; choose from {', '.join(PUBLISH_CHANNELS)}."
        )
    clean = {ch: text.strip() for ch, text in versions.items() if text and text.strip()}
    if not clean:
        raise InputError("Write the post's text for at least one channel.")
    return clean


def _check_media(session: Session, media_id: int | None) -> None:
    if media_id is None:
        return
    media = session.get(MediaAsset, media_id)
    if media is None:
        raise InputError(f"There is no image {media_id} in the media library.")
    if not media.alt_text.strip():
        raise InputError(f"Image '{media.title}' has no alt text; add it in the media library.")


def _move(session: Session, post: Post, to: str, *, action: str, actor: str, now: datetime,
          note: str | None = None, **changes: Any) -> None:  # fmt: skip
    """Move `post` to state `to`, audited with what changed."""
    before = {"state": post.state, **{k: getattr(post, k) for k in changes}}
    post.state = to
    for key, value in changes.items():
        setattr(post, key, value)
    post.updated_at = now
    after = {"state": to, **changes}
    audit.record(session, entity="post", entity_id=post.id, action=action, actor=actor, at=now,
                 before=before, after=after, note=note)  # fmt: skip


def _expect(post: Post, allowed: Sequence[str], doing: str) -> None:
    if post.state not in allowed:
        raise InputError(
            f"Post {post.id} is {post.state.replace('_', ' ')}; only a post that is "
            f"{' or '.join(s.replace('_', ' ') for s in allowed)} can be {doing}."
        )


def create_post(
    factory: sessionmaker[Session],
    campaign_id: int,
    *,
    title: str,
    versions: Mapping[str, str],
    actor: str,
    now: datetime,
    scheduled_at: datetime | None = None,
    media_id: int | None = None,
) -> Post:
    """Store a draft post with its channel versions and return it.

    Raises InputError when the campaign or image does not exist or no version has text.
    """
    clean = _clean_versions(versions)
    if not title.strip():
        raise InputError("Give the post a title (the calendar shows it).")
    with transaction(factory) as session:
        if session.get(Campaign, campaign_id) is None:
            raise InputError(f"There is no campaign {campaign_id}.")
        _check_media(session, media_id)
        post = Post(campaign_id=campaign_id, title=title.strip(), state="draft",
                    scheduled_at=scheduled_at, media_id=media_id, author=actor, edited_by=actor,
                    created_at=now, updated_at=now)  # fmt: skip
        session.add(post)
        session.flush()
        for channel, text in clean.items():
            session.add(PostVariant(post_id=post.id, channel=channel, text=text))
        audit.record(session, entity="post", entity_id=post.id, action="create", actor=actor,
                     at=now, before={}, after={"state": "draft", "channels": sorted(clean)})  # fmt: skip
        return post


_UNSET: Any = object()


def edit_post(
    factory: sessionmaker[Session],
    post_id: int,
    *,
    actor: str,
    now: datetime,
    title: str | None = None,
    versions: Mapping[str, str] | None = None,
    scheduled_at: datetime | None = _UNSET,
    media_id: int | None = _UNSET,
) -> Post:
    """Change a post; an approved, scheduled or failed post goes back to review.

    A new version needs a new approval, by someone other than whoever wrote it. Raises
    InputError when the post is being published, is published or cancelled, or when a
    version was already published on its channel.
    """
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, EDITABLE, "edited")
        variants = {v.channel: v for v in variants_of(session, post_id)}
        if any(v.state == "published" for v in variants.values()):
            raise InputError(
                f"Post {post_id} is already out on some channels; cancel the rest, or write "
                "a new post."
            )
        changes: dict[str, Any] = {"version": post.version + 1, "edited_by": actor}
        if title is not None and title.strip():
            changes["title"] = title.strip()
        if scheduled_at is not _UNSET:
            changes["scheduled_at"] = scheduled_at
        if media_id is not _UNSET:
            _check_media(session, media_id)
            changes["media_id"] = media_id
        if versions is not None:
            clean = _clean_versions(versions)
            for channel, text in clean.items():
                if channel in variants:
                    variants[channel].text = text
                else:
                    variants[channel] = PostVariant(post_id=post_id, channel=channel, text=text)
                    session.add(variants[channel])
        for channel, variant in list(variants.items()):
            if versions is not None and channel not in clean:
                if not variant.attempts:
                    session.delete(variant)
                    continue
                # A dropped channel that was tried: its attempt rows keep it, so it is emptied
                # and cancelled (written again, it comes back).
                variant.state, variant.text, variant.next_attempt_at = "cancelled", "", None
            elif versions is not None or variant.state != "cancelled":
                variant.state, variant.round_attempts, variant.next_attempt_at = "pending", 0, None
        to = "in_review" if post.state in ("approved", "scheduled", "failed") else post.state
        if to != post.state:
            changes.update(approved_by=None, approved_at=None, approved_version=None)
        changes["problem"] = None
        _move(session, post, to, action="edit", actor=actor, now=now,
              note="edited after approval: needs a new review" if to != post.state else None,
              **changes)  # fmt: skip
        return post


def _gate(session: Session, post: Post, gate: CopyGate | None) -> None:
    if gate is None:
        return
    campaign = session.get(Campaign, post.campaign_id)
    versions = {v.channel: v.text for v in variants_of(session, post.id) if v.state != "cancelled"}
    errors = gate(versions, list(campaign.hashtags) if campaign else [], post.media_id is not None)
    if errors:
        raise InputError(" ".join(errors))


def submit(
    factory: sessionmaker[Session], post_id: int, *, actor: str, now: datetime,
    gate: CopyGate | None = None,
) -> Post:  # fmt: skip
    """Send a draft for review. Raises InputError when a copy check blocks it."""
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, ("draft",), "sent for review")
        _gate(session, post, gate)
        _move(session, post, "in_review", action="submit", actor=actor, now=now)
        return post


def approve(
    factory: sessionmaker[Session], post_id: int, *, actor: str, now: datetime,
    gate: CopyGate | None = None, note: str | None = None,
) -> Post:  # fmt: skip
    """Approve a post in review; with a planned time it is scheduled in the same step.

    Raises InputError when `actor` wrote the post or its current version (nobody approves
    their own post), or when a copy check blocks it.
    """
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, ("in_review",), "approved")
        if actor in (post.author, post.edited_by):
            raise InputError(
                "Nobody approves their own post: ask another champion or the coordinator."
            )
        _gate(session, post, gate)
        _move(session, post, "approved", action="approve", actor=actor, now=now, note=note,
              approved_by=actor, approved_at=now, approved_version=post.version,
              review_note=note)  # fmt: skip
        if post.scheduled_at is not None and post.scheduled_at > now:
            _schedule(session, post, post.scheduled_at, actor=actor, now=now)
        return post


def send_back(
    factory: sessionmaker[Session], post_id: int, *, actor: str, note: str, now: datetime
) -> Post:
    """Return a post in review to its author as a draft, with what to change.

    Raises InputError when no note is given (the author must know what to change).
    """
    if not note.strip():
        raise InputError("Say what to change when you send a post back.")
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, ("in_review",), "sent back")
        _move(session, post, "draft", action="send_back", actor=actor, now=now,
              note=note.strip(), review_note=note.strip())  # fmt: skip
        return post


def _schedule(session: Session, post: Post, at: datetime, *, actor: str, now: datetime) -> None:
    if post.approved_version != post.version:
        raise InputError(f"Post {post.id} changed after approval; it needs a new review.")
    session.execute(
        update(PostVariant)
        .where(PostVariant.post_id == post.id)
        .where(PostVariant.state.not_in(("published", "cancelled")))  # cancelled: a dropped channel
        .values(state="pending", round_attempts=0, next_attempt_at=None, last_error=None)
    )
    _move(session, post, "scheduled", action="schedule", actor=actor, now=now,
          scheduled_at=max(at, now), problem=None)  # fmt: skip


def schedule(
    factory: sessionmaker[Session], post_id: int, *, at: datetime, actor: str, now: datetime,
    gate: CopyGate | None = None,
) -> Post:  # fmt: skip
    """Schedule an approved post at `at` (a past time means now); return it.

    Raises InputError when the post is not approved, changed after approval, or a copy
    check blocks it.
    """
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, ("approved",), "scheduled")
        _gate(session, post, gate)
        _schedule(session, post, at, actor=actor, now=now)
        return post


def unschedule(factory: sessionmaker[Session], post_id: int, *, actor: str, now: datetime) -> Post:
    """Take a scheduled post off the calendar (it stays approved). Raises InputError if not."""
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, ("scheduled",), "taken off the schedule")
        _move(session, post, "approved", action="unschedule", actor=actor, now=now)
        return post


def cancel(
    factory: sessionmaker[Session], post_id: int, *, actor: str, now: datetime, note: str = ""
) -> Post:
    """Cancel a post that is not being published; channels already carrying it keep it.

    Raises InputError while it is publishing (wait for the outcome) or once published.
    """
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, CANCELLABLE, "cancelled")
        session.execute(
            update(PostVariant)
            .where(PostVariant.post_id == post.id, PostVariant.state != "published")
            .values(state="cancelled", next_attempt_at=None)
        )
        _move(session, post, "cancelled", action="cancel", actor=actor, now=now,
              note=note.strip() or None)  # fmt: skip
        return post


def retry(factory: sessionmaker[Session], post_id: int, *, actor: str, now: datetime) -> Post:
    """Publish a failed post's unpublished channels again, now. Published ones stay as they are.

    Raises InputError when the post has not failed, or a channel's outcome is still unknown
    (settle it first: posting again could double it).
    """
    with transaction(factory) as session:
        post = _load(session, post_id)
        _expect(post, ("failed",), "retried")
        unknown = [v.channel for v in variants_of(session, post_id) if v.state == "unknown"]
        if unknown:
            raise InputError(
                f"It is not known whether {', '.join(unknown)} carries post {post_id}: check the "
                "channel and mark it posted or not posted first."
            )
        session.execute(
            update(PostVariant)
            .where(PostVariant.post_id == post.id, PostVariant.state == "failed")
            .values(state="pending", round_attempts=0, next_attempt_at=None)
        )
        _move(session, post, "scheduled", action="retry", actor=actor, now=now,
              scheduled_at=now, problem=None)  # fmt: skip
        return post
