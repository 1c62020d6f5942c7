"""Calendar page: posts on their WIB day, posts in trouble said loudly and settled, the console."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from campaigns.publishers.registry import Publishers
from campaigns.schedule import run_due
from campaigns.service import create_campaign
from core.audit import history
from core.clock import local, utcnow
from core.errors import FatalSourceError, UncertainDeliveryError
from core.outreach import ConsolePost, Post, PostVariant
from tests.campaigns.conftest import NOW, FakePlatform, plan_data, scheduled_post, settings
from tests.pages.conftest import APP

# 23:00 UTC on Tuesday 8 December is 06:00 WIB on Wednesday 9 December.
WEDNESDAY_MORNING = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)



@pytest.fixture
def campaign(store):
    return create_campaign(store, plan_data(), actor="sari", now=NOW - timedelta(days=3))


def open_calendar(on: date | None = None):
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/calendar.py").run()
    if on is not None:
        at.date_input(key="cal_anchor").set_value(on).run()
    assert not at.exception, at.exception
    return at


def days(at):
    """Each calendar day's heading and the post lines under it, as the reader sees them."""
    out = {}
    for column in at.columns:
        lines = [m.value.replace("\\", "") for m in column.markdown]
        if lines and lines[0].startswith("**"):
            out[lines[0].strip("*")] = lines[1:]
    return out


def state(store, post_id):
    with store() as s:
        post = s.get(Post, post_id)
        versions = s.scalars(select(PostVariant).where(PostVariant.post_id == post_id))
        return post.state, {v.channel: v.state for v in versions}


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_week_view_shows_a_scheduled_post_on_its_wib_day(store, campaign):
    post_id = scheduled_post(store, campaign.id, at=WEDNESDAY_MORNING, title="Ajakan Rabu pagi",
                             versions={"x": "Halo #BeraniLAPOR"})  # fmt: skip
    at = open_calendar(date(2026, 12, 10))
    week = days(at)
    assert list(week) == ["Mon 07 Dec", "Tue 08 Dec", "Wed 09 Dec", "Thu 10 Dec", "Fri 11 Dec",
                          "Sat 12 Dec", "Sun 13 Dec"]  # fmt: skip
    (wednesday,) = week["Wed 09 Dec"]
    assert wednesday.startswith("`06:00` **Ajakan Rabu pagi** :violet-badge[scheduled]")
    assert "X" in wednesday and "Berani LAPOR! Surabaya" in wednesday
    assert week["Tue 08 Dec"] == []
    assert state(store, post_id)[0] == "scheduled"

    at.multiselect(key="cal_channels").set_value(["telegram"]).run()
    assert days(at)["Wed 09 Dec"] == []  # it has no Telegram version
    at.multiselect(key="cal_channels").set_value([]).run()
    at.button(key="cal_next").click().run()
    assert "Ajakan Rabu pagi" not in " ".join(sum(days(at).values(), []))
    assert at.date_input(key="cal_anchor").value == date(2026, 12, 17)


def test_month_view_and_today(store, campaign):
    scheduled_post(store, campaign.id, at=WEDNESDAY_MORNING, title="Ajakan",
                   versions={"x": "Halo #BeraniLAPOR"})  # fmt: skip
    at = open_calendar(date(2026, 12, 10))
    at.radio(key="cal_span").set_value("month").run()
    assert at.subheader[0].value == "December 2026"
    month = days(at)
    assert len(month) == 35 - 1 - 3  # 30 Nov and 1-3 Jan are dimmed, not bold
    assert month["09"] == ["`06:00` **Ajakan** :violet-badge[scheduled]  \n:gray[X]"]
    at.button(key="cal_prev").click().run()
    assert at.subheader[0].value == "November 2026"
    at.button(key="cal_today").click().run()
    assert at.date_input(key="cal_anchor").value == local(utcnow()).date()


def test_a_failed_post_is_said_loudly_and_retry_schedules_it_again(store, campaign):
    post_id = scheduled_post(store, campaign.id, at=NOW, title="Ajakan melapor")
    platform = FakePlatform()
    platform.script["facebook"] = [FatalSourceError("facebook", "the Page token is expired")]
    run_due(store, platform, settings(), Clock(NOW))
    assert state(store, post_id)[0] == "failed"

    at = open_calendar()
    assert "Posts that need you: 1" in at.error[0].value
    page = " ".join(m.value.replace("\\", "") for m in at.markdown)
    assert "Ajakan melapor" in page and "the Page token is expired" in page
    assert {b.key for b in at.button if b.key.endswith(f"_{post_id}")} == {
        f"retry_{post_id}", f"cancel_{post_id}"
    }  # fmt: skip

    at.button(key=f"retry_{post_id}").click().run()
    assert not at.exception, at.exception
    assert state(store, post_id) == (
        "scheduled", {"x": "published", "facebook": "pending", "telegram": "published"}
    )  # fmt: skip
    assert at.success[0].value.startswith(f"Post {post_id} is scheduled again")
    assert not any("Posts that need you" in e.value for e in at.error)
    with store() as s:
        assert ("retry", "sari") in [(e.action, e.actor) for e in history(s, "post", post_id)]


def test_a_failed_post_can_be_cancelled(store, campaign):
    post_id = scheduled_post(store, campaign.id, at=NOW, versions={"x": "Halo #BeraniLAPOR"})
    platform = FakePlatform()
    platform.script["x"] = [FatalSourceError("x", "duplicate content")]
    run_due(store, platform, settings(), Clock(NOW))
    at = open_calendar()
    at.button(key=f"cancel_{post_id}").click().run()
    assert state(store, post_id) == ("cancelled", {"x": "cancelled"})
    assert not any("Posts that need you" in e.value for e in at.error)


def test_a_version_of_unknown_outcome_is_marked_not_posted(store, campaign):
    post_id = scheduled_post(store, campaign.id, at=NOW, versions={"telegram": "Halo #BeraniLAPOR"})
    platform = FakePlatform()
    platform.script["telegram"] = [UncertainDeliveryError("telegram", "Telegram did not answer")]
    platform.lookups["telegram"] = "cannot"
    run_due(store, platform, settings(), Clock(NOW))
    run_due(store, platform, settings(), Clock(NOW + timedelta(minutes=1)))
    assert state(store, post_id) == ("failed", {"telegram": "unknown"})

    at = open_calendar()
    assert any("Nobody knows whether Telegram carries it" in w.value for w in at.warning)
    keys = {b.key for b in at.button}
    assert f"retry_{post_id}" not in keys  # posting again blindly could post it twice
    with store() as s:
        variant_id = s.scalars(select(PostVariant.id).where(PostVariant.post_id == post_id)).one()
    assert {f"posted_{variant_id}", f"notposted_{variant_id}"} <= keys

    at.button(key=f"notposted_{variant_id}").click().run()
    assert not at.exception, at.exception
    assert state(store, post_id) == ("publishing", {"telegram": "pending"})
    assert at.success[0].value == "Marked not posted on Telegram: it goes out again now."
    assert not any("Nobody knows" in w.value for w in at.warning)
    with store() as s:
        actions = [(e.action, e.actor) for e in history(s, "post", post_id)]
    assert ("resolve_unknown", "sari") in actions


def test_channels_say_where_posts_go_and_the_console_timeline_shows_what_went(
    store, campaign, monkeypatch
):
    monkeypatch.setenv("LAPOR_TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("LAPOR_TELEGRAM_CHANNEL_ID", "@lapor_demo")
    scheduled_post(store, campaign.id, at=NOW, title="Lewat konsol",
                   versions={"x": "Halo dari konsol #BeraniLAPOR"})  # fmt: skip
    keys = settings()
    run_due(store, Publishers(keys, store), keys, Clock(NOW))

    at = open_calendar()
    where = next(m.value for m in at.markdown if m.value.startswith("**Where posts go**"))
    where = where.replace("\\", "")
    assert ":green-badge[platform] **Telegram**" in where
    assert ":gray-badge[console] **X**: LAPOR_X_CONSUMER_KEY" in where
    assert ":gray-badge[console] **Facebook**: LAPOR_FACEBOOK_PAGE_ID is not set" in where
    timeline = next(d.value for d in at.dataframe if "Posted (WIB)" in d.value.columns)
    assert list(timeline["Post"]) == ["Lewat konsol"]
    assert list(timeline["Text"]) == ["Halo dari konsol #BeraniLAPOR"]
    with store() as s:
        posted = s.scalars(select(ConsolePost.published_at)).one()
    assert list(timeline["Posted (WIB)"]) == [local(posted).strftime("%Y-%m-%d %H:%M")]
