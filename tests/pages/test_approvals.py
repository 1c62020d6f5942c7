"""Approvals page: the review queue, each version's checks, deciding (never on one's own post)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from campaigns import posts
from campaigns.service import create_campaign
from content.media import save_upload
from core.clock import utcnow
from core.outreach import Post
from tests.campaigns.conftest import NOW, VERSIONS, plan_data
from tests.pages.conftest import open_page

OWN_POST = "Nobody approves their own post: ask another champion or the coordinator."



@pytest.fixture
def waiting(store):
    """A post by "sari" in review, planned two days ahead, with an X version over 280."""
    campaign = create_campaign(store, plan_data(), actor="sari", now=NOW)
    versions = {**VERSIONS, "x": "#BeraniLAPOR " + "a" * 290}
    post = posts.create_post(store, campaign.id, title="Ajakan Selasa", versions=versions,
                             actor="sari", now=utcnow() - timedelta(hours=1),
                             scheduled_at=utcnow() + timedelta(days=2))  # fmt: skip
    posts.submit(store, post.id, actor="sari", now=utcnow() - timedelta(minutes=30))
    return post.id


def open_approvals():
    return open_page("pages/approvals.py")


def shown(at):
    """The page's Markdown and captions as the reader sees them (escapes removed)."""
    return [e.value.replace("\\", "") for e in [*at.markdown, *at.caption]]


def state_of(store, post_id):
    with store() as s:
        return s.get(Post, post_id).state


def act_as(at, name):
    at.text_input(key="acting_as_input").input(name).run()
    assert not at.exception, at.exception


def test_the_queue_and_a_post_with_its_checks_image_and_history(waiting):
    at = open_approvals()
    queue = next(d.value for d in at.dataframe)
    assert list(queue["Title"]) == ["Ajakan Selasa"]
    assert list(queue["Author"]) == ["sari"]
    assert list(queue["Channels"]) == ["X, Facebook, Telegram"]
    assert list(queue["Campaign"]) == ["Berani LAPOR! Surabaya"]

    page = shown(at)
    assert (
        ":red[Teks untuk X terlalu panjang: 303 dari 280 karakter. Pendekkan 23 karakter.]" in page
    )
    texts = [t.value for t in at.text]  # every channel's version, as written
    assert texts == ["#BeraniLAPOR " + "a" * 290, VERSIONS["facebook"], VERSIONS["telegram"]]
    assert "No image." in page
    history = [line for line in page if line.startswith("`")]
    assert "created" in history[0] and "sari" in history[0]
    assert "**sent for review** (draft → in review) · sari" in history[1]
    assert any(line.startswith("Approving also schedules it for ") for line in page)


def test_the_author_cannot_approve_and_the_copy_gate_holds_for_another_reviewer(waiting, store):
    at = open_approvals()
    at.button(key=f"approve_{waiting}").click().run()
    assert at.error[0].value == OWN_POST
    assert state_of(store, waiting) == "in_review"

    act_as(at, "budi")
    at.button(key=f"approve_{waiting}").click().run()
    assert not at.exception, at.exception
    # The copy gate blocks the over-long X version even for another reviewer.
    assert at.error[0].value.startswith("Teks untuk X terlalu panjang")
    assert state_of(store, waiting) == "in_review"


def test_a_valid_post_approved_by_someone_else_is_scheduled_in_the_same_step(store):
    campaign = create_campaign(store, plan_data(), actor="sari", now=NOW)
    when = utcnow() + timedelta(days=2)
    post = posts.create_post(store, campaign.id, title="Ajakan", versions=VERSIONS, actor="sari",
                             now=utcnow(), scheduled_at=when)  # fmt: skip
    posts.submit(store, post.id, actor="sari", now=utcnow())
    at = open_approvals()
    act_as(at, "budi")
    at.text_area(key=f"review_note_{post.id}").input("Rapi")
    at.button(key=f"approve_{post.id}").click().run()
    assert not at.exception, at.exception

    with store() as s:
        stored = s.get(Post, post.id)
    assert (stored.state, stored.approved_by, stored.review_note) == ("scheduled", "budi", "Rapi")
    assert at.success[0].value.startswith("'Ajakan' approved and scheduled for ")
    assert "No post is waiting for review." in [i.value for i in at.info]
    decided = [line for line in shown(at) if ":green-badge[approved]" in line]
    assert decided and "by budi, now scheduled — Rapi" in decided[0]


def test_sending_back_needs_a_note(waiting, store):
    at = open_approvals()
    act_as(at, "budi")
    at.button(key=f"send_back_{waiting}").click().run()
    assert at.error[0].value == "Say what to change when you send a post back."
    assert state_of(store, waiting) == "in_review"

    at.text_area(key=f"review_note_{waiting}").input("Pendekkan teks X.")
    at.button(key=f"send_back_{waiting}").click().run()
    assert state_of(store, waiting) == "draft"
    assert at.info[0].value == "'Ajakan Selasa' went back to sari as a draft, with your note."
    decided = [line for line in shown(at) if ":orange-badge[sent back]" in line]
    assert decided and "by budi, now draft — Pendekkan teks X." in decided[0]


def test_the_reviewer_sees_the_image_with_its_alt_text(store, monkeypatch, tmp_path):
    monkeypatch.setenv("LAPOR_MEDIA_DIR", str(tmp_path / "media"))
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "red").save(buffer, "PNG")
    campaign = create_campaign(store, plan_data(), actor="sari", now=NOW)
    asset = save_upload(store, tmp_path / "media", buffer.getvalue(), title="Poster",
                        alt_text="Poster merah bertuliskan Berani LAPOR!", actor="sari",
                        now=NOW, campaign_id=campaign.id)  # fmt: skip
    post = posts.create_post(store, campaign.id, title="Dengan gambar", versions=VERSIONS,
                             actor="sari", now=NOW, media_id=asset.id)  # fmt: skip
    posts.submit(store, post.id, actor="sari", now=NOW)
    at = open_approvals()
    assert len(at.image) == 1
    assert "Alt text: Poster merah bertuliskan Berani LAPOR!" in shown(at)
    assert list(next(d.value for d in at.dataframe)["Image"]) == ["yes"]
