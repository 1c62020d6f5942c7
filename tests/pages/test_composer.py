"""Composer page: live copy checks, saving and sending for review, images and infographics."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from campaigns import posts
from campaigns.service import create_campaign
from core.casework import Report
from core.clock import utcnow
from core.db import transaction
from core.outreach import MediaAsset, Post, PostVariant
from tests.campaigns.conftest import NOW, VERSIONS, plan_data
from tests.pages.conftest import open_page

X_OK = "Ada pungli di layanan publik? #BeraniLAPOR di https://www.lapor.go.id atau SMS 1708."
# 153 characters, but X weighs each emoji 2: 13 + 2 × 140 = 293 weighted characters.
WEIGHTY = "#BeraniLAPOR " + "🙂" * 140
TOO_LONG = (
    "Teks untuk X terlalu panjang: 293 dari 280 karakter (emoji, huruf CJK, dan simbol seperti • "
    "dihitung 2). Pendekkan 13 karakter."
)


@pytest.fixture
def store(store, monkeypatch, tmp_path):
    """The console's test store with one campaign; images go under tmp_path."""
    monkeypatch.setenv("LAPOR_MEDIA_DIR", str(tmp_path / "media"))
    create_campaign(store, plan_data(), actor="sari", now=NOW)
    return store


def open_composer():
    return open_page("pages/composer.py")


def shown(at):
    """The page's Markdown and captions as the reader sees them (escapes removed)."""
    return [e.value.replace("\\", "") for e in [*at.markdown, *at.caption]]


def all_posts(store):
    with store() as s:
        return list(s.scalars(select(Post).order_by(Post.id)))


def test_an_x_text_over_280_shows_the_error_and_cannot_go_to_review(store):
    at = open_composer()
    at.text_input(key="cp0_title").input("Ajakan panjang")
    at.text_area(key="cp0_text_x").input(WEIGHTY).run()

    errors = [line for line in shown(at) if line.startswith(":red[")]
    assert errors == [f":red[{TOO_LONG}]"]
    assert any("293 / 280 characters · 13 over" in p.proto.text for p in at.get("progress"))
    assert any("not published on Telegram" in line for line in shown(at))

    at.button(key="composer_submit").click().run()
    assert not at.exception, at.exception
    assert at.error[0].value == TOO_LONG  # the checker's sentence, as it gives it
    (post,) = all_posts(store)
    assert post.state == "draft"  # kept as a draft, not in review


def test_a_valid_post_is_saved_then_sent_for_review(store):
    at = open_composer()
    at.text_input(key="cp0_title").input("Ajakan Selasa")
    at.text_area(key="cp0_text_x").input(X_OK)
    at.text_area(key="cp0_text_facebook").input(VERSIONS["facebook"])
    at.date_input(key="cp0_date").set_value(date(2030, 1, 8))
    at.time_input(key="cp0_time").set_value(time(19, 0))
    at.button(key="composer_save").click().run()
    assert not at.exception, at.exception

    (post,) = all_posts(store)
    assert at.success[0].value == "Draft 'Ajakan Selasa' saved."
    assert (post.title, post.state, post.author) == ("Ajakan Selasa", "draft", "sari")
    assert post.scheduled_at == datetime(2030, 1, 8, 12, 0, tzinfo=UTC)  # 19:00 WIB
    with store() as s:
        texts = dict(s.execute(select(PostVariant.channel, PostVariant.text)).all())
    assert texts == {"x": X_OK, "facebook": VERSIONS["facebook"]}  # empty Telegram: not there
    assert at.selectbox(key="composer_post").value == post.id  # the saved post stays open

    at.button(key="composer_submit").click().run()
    assert not at.exception, at.exception
    assert all_posts(store)[0].state == "in_review"
    assert "is in review" in at.success[0].value


def test_editing_an_approved_post_says_it_goes_back_to_review(store):
    post = posts.create_post(store, 1, title="Ajakan", versions=VERSIONS, actor="sari",
                             now=utcnow(), scheduled_at=utcnow() + timedelta(days=2))  # fmt: skip
    posts.submit(store, post.id, actor="sari", now=utcnow())
    posts.approve(store, post.id, actor="budi", now=utcnow())
    at = open_composer()
    at.selectbox(key="composer_post").set_value(post.id).run()
    assert any("Saving any change sends it back to review" in w.value for w in at.warning)
    assert {"composer_unschedule", "composer_save"} <= {b.key for b in at.button}

    at.text_area(key=f"cp{post.id}_text_x").input(X_OK)
    at.button(key="composer_save").click().run()
    assert not at.exception, at.exception
    (stored,) = all_posts(store)
    assert (stored.state, stored.approved_by, stored.version) == ("in_review", None, 2)
    assert "sent it back to review" in at.warning[0].value


def test_an_infographic_is_previewed_then_saved_with_its_alt_text_and_attached(store, tmp_path):
    at = open_composer()
    at.radio(key="cp0_img_mode").set_value("infographic").run()
    at.text_input(key="cp0_ig_title").input("LAPOR! saat mudik")
    at.number_input(key="cp0_ig_value_0").set_value(1607)
    at.text_input(key="cp0_ig_label_0").input("laporan selama Lebaran 2018")
    at.button(key="composer_preview").click().run()
    assert not at.exception, at.exception
    assert len(at.image) == 1  # the preview
    alt = at.text_area(key="cp0_ig_alt")
    assert alt.value.startswith("Infografik: LAPOR! saat mudik.")
    assert "Laporan selama Lebaran 2018: 1.607." in alt.value

    alt.input("Infografik: 1.607 laporan masuk selama Lebaran 2018.")
    at.button(key="composer_save_infographic").click().run()
    assert not at.exception, at.exception
    with store() as s:
        (asset,) = s.scalars(select(MediaAsset)).all()
    assert asset.alt_text == "Infografik: 1.607 laporan masuk selama Lebaran 2018."
    assert (asset.kind, asset.width, asset.height, asset.campaign_id) == ("rendered", 1080, 1080, 1)
    assert (tmp_path / "media" / asset.path).is_file()
    assert any("Attached: **LAPOR! saat mudik**" in line for line in shown(at))

    at.text_input(key="cp0_title").input("Mudik")
    at.text_area(key="cp0_text_x").input(X_OK)
    at.button(key="composer_save").click().run()
    (post,) = all_posts(store)
    assert post.media_id == asset.id


def test_a_data_driven_infographic_shows_this_weeks_top_sector(store):
    now = utcnow()
    with transaction(store) as s:
        for i, sector in enumerate(["infrastruktur", "infrastruktur", "kesehatan"]):
            s.add(Report(tracking_id=f"LPR-2026-00000{i}", kind="pengaduan", sector=sector,
                         title="Jalan rusak", description="Jalan berlubang", status="submitted",
                         created_by="budi", created_at=now, updated_at=now))  # fmt: skip
    at = open_composer()
    at.radio(key="cp0_img_mode").set_value("infographic").run()
    at.radio(key="cp0_ig_content").set_value("sectors").run()
    at.selectbox(key="cp0_ig_template").set_value("x")
    at.button(key="composer_preview").click().run()
    assert not at.exception, at.exception
    assert len(at.image) == 1
    alt = at.text_area(key="cp0_ig_alt").value
    assert alt.startswith("Infografik: Laporan terbanyak minggu ini: infrastruktur 67%.")
    assert "Dari 3 laporan" in alt


def test_an_upload_needs_alt_text(store):
    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), "red").save(buffer, "PNG")
    at = open_composer()
    at.radio(key="cp0_img_mode").set_value("upload").run()
    at.file_uploader(key="cp0_up_file").set_value(("poster.png", buffer.getvalue(), "image/png"))
    at.button(key="composer_upload").click().run()
    assert not at.exception, at.exception
    assert at.error[0].value.startswith("An image needs alt text")
    with store() as s:
        assert s.scalar(select(MediaAsset.id)) is None

    at.text_area(key="cp0_up_alt").input("Poster merah bertuliskan Berani LAPOR!")
    at.button(key="composer_upload").click().run()
    with store() as s:
        (asset,) = s.scalars(select(MediaAsset)).all()
    assert (asset.title, asset.alt_text) == ("poster", "Poster merah bertuliskan Berani LAPOR!")
    assert any("Alt text: Poster merah bertuliskan Berani LAPOR!" in line for line in shown(at))


def test_an_approved_post_is_scheduled_unscheduled_and_cancelled(store):
    post = posts.create_post(store, 1, title="Ajakan", versions=VERSIONS, actor="sari",
                             now=utcnow())  # fmt: skip
    posts.submit(store, post.id, actor="sari", now=utcnow())
    posts.approve(store, post.id, actor="budi", now=utcnow())  # no time yet: stays approved
    at = open_composer()
    at.selectbox(key="composer_post").set_value(post.id).run()
    at.button(key="composer_schedule").click().run()
    assert at.error[0].value == "Choose the planned date and time first."

    at.text_area(key=f"cp{post.id}_text_x").input(X_OK)
    at.date_input(key=f"cp{post.id}_date").set_value(date(2030, 1, 8))
    at.time_input(key=f"cp{post.id}_time").set_value(time(7, 30))
    at.button(key="composer_schedule").click().run()
    assert at.error[0].value.startswith("You changed the post: save it first")
    at.button(key="composer_discard").click().run()
    assert at.text_area(key=f"cp{post.id}_text_x").value == VERSIONS["x"]
    assert all_posts(store)[0].state == "approved"

    at.date_input(key=f"cp{post.id}_date").set_value(date(2030, 1, 8))
    at.time_input(key=f"cp{post.id}_time").set_value(time(7, 30))
    at.button(key="composer_schedule").click().run()
    assert at.success[0].value == "'Ajakan' is scheduled for 2030-01-08 07:30 WIB."
    (stored,) = all_posts(store)
    assert (stored.state, stored.scheduled_at) == (
        "scheduled",
        datetime(2030, 1, 8, 0, 30, tzinfo=UTC),
    )
    assert stored.approved_by == "budi"  # a time is not a change of content: no new review

    at.button(key="composer_unschedule").click().run()
    assert all_posts(store)[0].state == "approved"
    at.button(key="composer_cancel").click().run()
    assert all_posts(store)[0].state == "cancelled"
    assert "This post is cancelled; it can no longer be changed." in [i.value for i in at.info]
    assert "composer_save" not in {b.key for b in at.button}
