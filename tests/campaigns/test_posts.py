"""Post lifecycle: review, approval by someone else, edits send it back, every step audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigns import posts
from core.audit import history
from core.errors import InputError
from core.outreach import Post, PostVariant
from tests.campaigns.conftest import NOW, VERSIONS


def state(factory, post_id):
    with factory() as s:
        return s.get(Post, post_id).state


def draft(factory, campaign, **kw):
    return posts.create_post(factory, campaign.id, title="Ajakan melapor", versions=VERSIONS,
                             actor="sari", now=NOW, **kw).id  # fmt: skip


def test_a_post_goes_through_review_and_approval_by_someone_else(factory, campaign):
    post_id = draft(factory, campaign)
    posts.submit(factory, post_id, actor="sari", now=NOW)
    with pytest.raises(InputError, match="Nobody approves their own post"):
        posts.approve(factory, post_id, actor="sari", now=NOW)
    assert state(factory, post_id) == "in_review"
    posts.approve(factory, post_id, actor="budi", now=NOW)
    posts.schedule(factory, post_id, at=NOW + timedelta(hours=2), actor="sari", now=NOW)
    with factory() as s:
        post = s.get(Post, post_id)
        assert (post.state, post.approved_by, post.approved_version) == ("scheduled", "budi", 1)
        assert post.scheduled_at == NOW + timedelta(hours=2)
        actions = [(e.action, e.actor, e.after.get("state")) for e in history(s, "post", post_id)]
    assert actions == [
        ("create", "sari", "draft"),
        ("submit", "sari", "in_review"),
        ("approve", "budi", "approved"),
        ("schedule", "sari", "scheduled"),
    ]


def test_whoever_edited_the_version_cannot_approve_it_either(factory, campaign):
    post_id = draft(factory, campaign)
    posts.submit(factory, post_id, actor="sari", now=NOW)
    posts.edit_post(factory, post_id, actor="budi", now=NOW, versions={"x": "Teks baru #BeraniLAPOR"})
    with pytest.raises(InputError, match="own post"):
        posts.approve(factory, post_id, actor="budi", now=NOW)
    posts.approve(factory, post_id, actor="dewi", now=NOW)
    assert state(factory, post_id) == "approved"


def test_editing_an_approved_or_scheduled_post_sends_it_back_to_review(factory, campaign):
    post_id = draft(factory, campaign, scheduled_at=NOW + timedelta(days=1))
    posts.submit(factory, post_id, actor="sari", now=NOW)
    posts.approve(factory, post_id, actor="budi", now=NOW)
    assert state(factory, post_id) == "scheduled"  # it had a time: approving scheduled it
    posts.edit_post(factory, post_id, actor="sari", now=NOW, title="Ajakan (revisi)")
    with factory() as s:
        post = s.get(Post, post_id)
        assert (post.state, post.version, post.approved_by) == ("in_review", 2, None)
        assert history(s, "post", post_id)[-1].note == "edited after approval: needs a new review"
    with pytest.raises(InputError, match="only a post that is approved can be scheduled"):
        posts.schedule(factory, post_id, at=NOW + timedelta(days=1), actor="sari", now=NOW)


def test_sending_back_needs_a_note_and_returns_a_draft(factory, campaign):
    post_id = draft(factory, campaign)
    posts.submit(factory, post_id, actor="sari", now=NOW)
    with pytest.raises(InputError, match="Say what to change"):
        posts.send_back(factory, post_id, actor="budi", note=" ", now=NOW)
    posts.send_back(factory, post_id, actor="budi", note="Tambahkan SMS 1708", now=NOW)
    with factory() as s:
        post = s.get(Post, post_id)
        assert (post.state, post.review_note) == ("draft", "Tambahkan SMS 1708")


def test_a_copy_check_error_blocks_review_and_scheduling(factory, campaign):
    def gate(versions, hashtags, has_media):
        return [f"Teks untuk {ch} terlalu panjang." for ch, t in versions.items() if len(t) > 60]

    post_id = draft(factory, campaign)
    with pytest.raises(InputError, match="Teks untuk x terlalu panjang"):
        posts.submit(factory, post_id, actor="sari", now=NOW, gate=gate)
    assert state(factory, post_id) == "draft"


def test_versions_must_be_for_known_channels_and_not_all_empty(factory, campaign):
    with pytest.raises(InputError, match="cannot publish on instagram"):
        posts.create_post(factory, campaign.id, title="t", versions={"instagram": "hai"},
                          actor="sari", now=NOW)  # fmt: skip
    with pytest.raises(InputError, match="at least one channel"):
        posts.create_post(factory, campaign.id, title="t", versions={"x": "  "}, actor="sari",
                          now=NOW)  # fmt: skip


def test_an_edit_can_drop_and_add_channels(factory, campaign):
    post_id = draft(factory, campaign)
    posts.edit_post(factory, post_id, actor="sari", now=NOW,
                    versions={"x": "Hanya X #BeraniLAPOR", "telegram": "Hanya Telegram"})  # fmt: skip
    with factory() as s:
        rows = s.scalars(select(PostVariant).where(PostVariant.post_id == post_id))
        assert sorted((v.channel, v.text) for v in rows) == [
            ("telegram", "Hanya Telegram"),
            ("x", "Hanya X #BeraniLAPOR"),
        ]


def test_cancelling_is_refused_once_published_and_keeps_published_channels(factory, campaign):
    post_id = draft(factory, campaign)
    posts.cancel(factory, post_id, actor="sari", now=NOW, note="acara dibatalkan")
    with factory() as s:
        assert {v.state for v in s.scalars(select(PostVariant))} == {"cancelled"}
        assert s.get(Post, post_id).state == "cancelled"
    with pytest.raises(InputError, match="is cancelled"):
        posts.submit(factory, post_id, actor="sari", now=NOW)
