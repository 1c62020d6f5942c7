"""Console queries for the Composer and Approvals: review queue, a post, its timeline, decisions."""

from __future__ import annotations

from datetime import UTC, timedelta

from campaigns import post_views, posts
from campaigns.service import create_campaign
from core.db import transaction
from core.outreach import MediaAsset
from tests.campaigns.conftest import NOW, VERSIONS, plan_data


def draft(factory, campaign_id, title, *, at=None, versions=None, media_id=None, actor="sari"):
    return posts.create_post(
        factory,
        campaign_id,
        title=title,
        versions=versions or VERSIONS,
        actor=actor,
        now=NOW,
        scheduled_at=at,
        media_id=media_id,
    ).id


def in_review(factory, campaign_id, title, **kw):
    post_id = draft(factory, campaign_id, title, **kw)
    posts.submit(factory, post_id, actor="sari", now=NOW + timedelta(minutes=1))
    return post_id


def image(factory, campaign_id):
    with transaction(factory) as s:
        asset = MediaAsset(campaign_id=campaign_id, kind="rendered", title="Top sektor",
                           path="ab/abc.png", sha256="a" * 64, mime="image/png", width=1080,
                           height=1080, bytes=1234, alt_text="Infografik: laporan terbanyak.",
                           created_by="sari", created_at=NOW)  # fmt: skip
        s.add(asset)
        s.flush()
        return asset.id


def test_review_queue_lists_posts_in_review_soonest_first(factory, campaign):
    other = create_campaign(factory, plan_data(name="Kenal LAPOR! Mudik"), actor="sari", now=NOW)
    late = in_review(factory, campaign.id, "Ajakan Jumat", at=NOW + timedelta(days=4),
                     versions={"telegram": "t", "x": "x"})  # fmt: skip
    untimed = in_review(factory, other.id, "Tanpa jadwal", media_id=image(factory, other.id))
    soon = in_review(factory, campaign.id, "Ajakan Selasa", at=NOW + timedelta(days=1))
    draft(factory, campaign.id, "Masih draf", at=NOW)
    approved = in_review(factory, campaign.id, "Sudah disetujui", at=NOW + timedelta(hours=2))
    posts.approve(factory, approved, actor="budi", now=NOW + timedelta(minutes=5))

    with factory() as s:
        queue = post_views.review_queue(s)

    assert [r.post_id for r in queue] == [soon, late, untimed]
    first = queue[0]
    assert (first.campaign_name, first.title, first.author) == (
        campaign.name,
        "Ajakan Selasa",
        "sari",
    )
    assert first.scheduled_at == NOW + timedelta(days=1) and first.scheduled_at.tzinfo == UTC
    assert first.channels == ("x", "facebook", "telegram")
    assert queue[1].channels == ("x", "telegram")  # channel order, not insertion order
    assert (queue[2].campaign_name, queue[2].has_media, queue[0].has_media) == (
        "Kenal LAPOR! Mudik",
        True,
        False,
    )


def test_post_detail_has_versions_image_and_the_campaigns_hashtags(factory, campaign):
    media_id = image(factory, campaign.id)
    post_id = draft(factory, campaign.id, "Ajakan", at=NOW + timedelta(days=2), media_id=media_id,
                    versions={"telegram": "Halo Telegram", "x": "Halo X"})  # fmt: skip

    with factory() as s:
        detail = post_views.post_detail(s, post_id)
        assert post_views.post_detail(s, post_id + 100) is None

    assert detail is not None
    assert [v.channel for v in detail.versions] == ["x", "telegram"]
    assert detail.texts == {"x": "Halo X", "telegram": "Halo Telegram"}
    assert detail.hashtags == ("BeraniLAPOR",)  # the plan's spelling, for the copy checks
    assert (detail.state, detail.author, detail.version) == ("draft", "sari", 1)
    assert detail.scheduled_at == NOW + timedelta(days=2) and detail.scheduled_at.tzinfo == UTC
    assert detail.media is not None
    assert (detail.media.id, detail.media.alt_text) == (media_id, "Infografik: laporan terbanyak.")


def test_campaign_posts_lists_one_campaigns_posts_untimed_last(factory, campaign):
    other = create_campaign(factory, plan_data(name="Lain"), actor="sari", now=NOW)
    untimed = draft(factory, campaign.id, "Tanpa jadwal")
    later = draft(factory, campaign.id, "Nanti", at=NOW + timedelta(days=3))
    sooner = draft(factory, campaign.id, "Segera", at=NOW + timedelta(days=1),
                   versions={"facebook": "fb"})  # fmt: skip
    draft(factory, other.id, "Kampanye lain")

    with factory() as s:
        picks = post_views.campaign_posts(s, campaign.id)
        facts = post_views.campaign_facts(s, campaign.id)

    assert [p.post_id for p in picks] == [sooner, later, untimed]
    assert picks[0].channels == ("facebook",) and picks[2].scheduled_at is None
    assert facts is not None
    assert (facts.name, facts.region_code, facts.hashtags) == (
        "Berani LAPOR! Surabaya",
        "3578",
        ("BeraniLAPOR",),
    )


def test_timeline_and_recent_decisions_come_from_the_audit_log(factory, campaign):
    sent_back = in_review(factory, campaign.id, "Kurang jelas")
    posts.send_back(factory, sent_back, actor="budi", note="Tambahkan tautan lapor.go.id",
                    now=NOW + timedelta(minutes=10))  # fmt: skip
    approved = in_review(factory, campaign.id, "Ajakan", at=NOW + timedelta(days=1))
    posts.approve(factory, approved, actor="dewi", now=NOW + timedelta(minutes=20), note="Bagus")

    with factory() as s:
        decisions = post_views.recent_decisions(s)
        only_one = post_views.recent_decisions(s, limit=1)
        timeline = post_views.post_timeline(s, approved)

    assert [(d.post_id, d.action, d.actor, d.note) for d in decisions] == [
        (approved, "approve", "dewi", "Bagus"),
        (sent_back, "send_back", "budi", "Tambahkan tautan lapor.go.id"),
    ]
    assert [d.state_now for d in decisions] == ["scheduled", "draft"]
    assert decisions[0].at == NOW + timedelta(minutes=20) and decisions[0].at.tzinfo == UTC
    assert [d.post_id for d in only_one] == [approved]

    steps = [(t.action, t.actor, t.state_from, t.state_to) for t in timeline]
    assert steps == [
        ("create", "sari", None, "draft"),
        ("submit", "sari", "draft", "in_review"),
        ("approve", "dewi", "in_review", "approved"),
        ("schedule", "dewi", "approved", "scheduled"),  # a future time: scheduled in the same step
    ]
    assert timeline[0].at.tzinfo == UTC
