"""Console queries for campaigns: the list, the calendar by WIB day, posts in trouble, the console."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from campaigns import posts
from campaigns.publishers.registry import Publishers
from campaigns.schedule import run_due
from campaigns.service import copy_campaign, create_campaign
from campaigns.views import (
    by_day,
    calendar_items,
    calendar_window,
    campaign_rows,
    channel_routes,
    console_timeline,
    needs_attention,
    step,
)
from core.errors import FatalSourceError, UncertainDeliveryError
from tests.campaigns.conftest import NOW, FakePlatform, plan_data, scheduled_post, settings

WEEK = calendar_window(date(2026, 12, 7), "week")  # Mon 7 to Sun 13 December, WIB


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_campaign_rows_count_posts_and_filter_by_phase_and_hashtag(factory, campaign):
    scheduled_post(factory, campaign.id, at=NOW, versions={"x": "Halo #BeraniLAPOR"})
    scheduled_post(factory, campaign.id, at=NOW + timedelta(days=2), title="later")
    run_due(factory, FakePlatform(), settings(), Clock(NOW))
    copy_campaign(factory, campaign.id, name="Templat Berani", starts_on=date(2027, 1, 1),
                  actor="sari", now=NOW, as_template=True)  # fmt: skip
    other = plan_data(name="Kenal LAPOR Mudik", messages={"key_messages": ["Mudik aman"],
                      "hashtags": ["KenalLAPORsaatMudik"]},
                      timing={"starts_on": "2027-03-20", "ends_on": "2027-04-10"},
                      tactics=[], analysis={"region_code": "33", "region_name": "Jawa Tengah"})  # fmt: skip
    create_campaign(factory, other, actor="sari", now=NOW)
    today = date(2026, 12, 8)
    with factory() as s:
        rows = campaign_rows(s, today)
        assert [(r.name, r.phase, r.posts, r.published) for r in rows] == [
            ("Kenal LAPOR Mudik", "planned", 0, 0),
            ("Berani LAPOR! Surabaya", "running", 2, 1),
            ("Templat Berani", "template", 2, 0),
        ]
        running = rows[1]
        assert (running.region_code, running.region_name) == ("3578", "Kota Surabaya")
        assert running.hashtags == ("BeraniLAPOR",)
        assert (running.starts_on, running.ends_on) == (date(2026, 12, 7), date(2027, 1, 31))
        assert [r.name for r in campaign_rows(s, today, phases=["template"])] == ["Templat Berani"]
        assert [r.name for r in campaign_rows(s, today, search="#kenallapor")] == [
            "Kenal LAPOR Mudik"
        ]
        assert [r.name for r in campaign_rows(s, today, search="jawa tengah")] == [
            "Kenal LAPOR Mudik"
        ]


def test_calendar_items_fall_on_their_wib_day_and_filter(factory, campaign):
    # 23:00 UTC on Tuesday is 06:00 WIB on Wednesday; 17:00 UTC Sunday is Monday 00:00 WIB.
    wed = scheduled_post(factory, campaign.id, at=datetime(2026, 12, 8, 23, 0, tzinfo=UTC),
                         title="Rabu pagi")  # fmt: skip
    scheduled_post(factory, campaign.id, at=datetime(2026, 12, 13, 17, 0, tzinfo=UTC),
                   title="Senin depan", versions={"telegram": "Halo #BeraniLAPOR"})  # fmt: skip
    tg = scheduled_post(factory, campaign.id, at=datetime(2026, 12, 13, 16, 59, tzinfo=UTC),
                        title="Minggu malam", versions={"telegram": "Halo #BeraniLAPOR"})  # fmt: skip
    draft = posts.create_post(factory, campaign.id, title="Draf", versions={"x": "Draf"},
                              actor="sari", now=NOW,
                              scheduled_at=datetime(2026, 12, 10, 3, 0, tzinfo=UTC))  # fmt: skip
    copy_campaign(factory, campaign.id, name="Templat", starts_on=date(2026, 12, 7), actor="sari",
                  now=NOW, as_template=True)  # its drafts keep the same times  # fmt: skip
    with factory() as s:
        items = calendar_items(s, WEEK.start, WEEK.end)
        assert [i.title for i in items] == ["Rabu pagi", "Draf", "Minggu malam"]
        first = items[0]
        assert (first.post_id, first.state, first.campaign_name) == (
            wed, "scheduled", "Berani LAPOR! Surabaya"
        )  # fmt: skip
        assert first.scheduled_at == datetime(2026, 12, 8, 23, 0, tzinfo=UTC)
        assert [(v.channel, v.state) for v in first.versions] == [
            ("x", "pending"), ("facebook", "pending"), ("telegram", "pending")
        ]  # fmt: skip
        days = by_day(items)
        assert [i.title for i in days[date(2026, 12, 9)]] == ["Rabu pagi"]
        assert [i.title for i in days[date(2026, 12, 13)]] == ["Minggu malam"]
        assert date(2026, 12, 8) not in days

        assert [i.post_id for i in calendar_items(s, WEEK.start, WEEK.end, channels=["telegram"],
                                                  states=["scheduled"])] == [wed, tg]  # fmt: skip
        assert [i.post_id for i in calendar_items(s, WEEK.start, WEEK.end, states=["draft"])] == [
            draft.id
        ]
        assert calendar_items(s, WEEK.start, WEEK.end, campaign_id=campaign.id + 99) == []


def test_failed_and_unknown_posts_need_attention_with_the_actions_that_fit(factory, campaign):
    refused = scheduled_post(factory, campaign.id, at=NOW, title="Ditolak")
    unsure = scheduled_post(factory, campaign.id, at=NOW + timedelta(minutes=1),
                            title="Tidak pasti", versions={"telegram": "Halo #BeraniLAPOR"})  # fmt: skip
    scheduled_post(factory, campaign.id, at=NOW + timedelta(days=1), title="Besok")
    platform = FakePlatform()
    platform.script["facebook"] = [FatalSourceError("facebook", "the Page token is expired")]
    clock = Clock(NOW)
    run_due(factory, platform, settings(), clock)
    platform.script["telegram"] = [UncertainDeliveryError("telegram", "no answer")]
    platform.lookups["telegram"] = "cannot"
    clock.now = NOW + timedelta(minutes=1)
    run_due(factory, platform, settings(), clock)
    clock.now = NOW + timedelta(minutes=2)
    run_due(factory, platform, settings(), clock)  # the look at Telegram cannot tell

    with factory() as s:
        items = {i.title: i for i in needs_attention(s)}
    assert sorted(items) == ["Ditolak", "Tidak pasti"]
    failed = items["Ditolak"]
    assert (failed.post_id, failed.state, failed.can_retry, failed.can_cancel) == (
        refused, "failed", True, True
    )  # fmt: skip
    assert "the Page token is expired" in failed.problem
    assert {v.channel: v.state for v in failed.versions} == {
        "x": "published", "facebook": "failed", "telegram": "published"
    }  # fmt: skip
    odd = items["Tidak pasti"]
    assert odd.post_id == unsure and odd.can_retry is False  # a retry could post it twice
    assert [(v.channel, v.state) for v in odd.unknown] == [("telegram", "unknown")]

    posts.retry(factory, refused, actor="sari", now=clock.now)
    with factory() as s:
        assert [i.title for i in needs_attention(s)] == ["Tidak pasti"]
        assert needs_attention(s, campaign_id=campaign.id + 99) == []


def test_console_timeline_shows_what_the_console_posted_newest_first(factory, campaign):
    first = scheduled_post(factory, campaign.id, at=NOW, title="Pertama",
                           versions={"x": "Satu #BeraniLAPOR"})  # fmt: skip
    second = scheduled_post(factory, campaign.id, at=NOW + timedelta(hours=1), title="Kedua",
                            versions={"telegram": "Dua #BeraniLAPOR"})  # fmt: skip
    keys = settings()  # no platform keys: every channel posts to the console
    run_due(factory, Publishers(keys, factory), keys, Clock(NOW))
    run_due(factory, Publishers(keys, factory), keys, Clock(NOW + timedelta(hours=1)))
    with factory() as s:
        items = console_timeline(s)
    assert [(i.post_id, i.post_title, i.channel, i.text) for i in items] == [
        (second, "Kedua", "telegram", "Dua #BeraniLAPOR"),
        (first, "Pertama", "x", "Satu #BeraniLAPOR"),
    ]
    assert {i.campaign_name for i in items} == {"Berani LAPOR! Surabaya"}
    assert all(i.published_at.tzinfo is not None for i in items)
    with factory() as s:
        assert len(console_timeline(s, limit=1)) == 1


def test_channel_routes_say_why_a_channel_posts_to_the_console():
    keys = {k: "k" for k in ("x_consumer_key", "x_consumer_secret", "x_access_token",
                             "x_access_token_secret")}  # fmt: skip
    routes = {r.channel: r for r in channel_routes(settings(**keys, facebook_page_id="123"))}
    assert (routes["x"].live, routes["x"].reason) == (True, None)
    assert routes["facebook"].live is False
    assert routes["facebook"].reason == "LAPOR_FACEBOOK_PAGE_TOKEN is not set"
    assert routes["telegram"].reason == "LAPOR_TELEGRAM_BOT_TOKEN is not set"


def test_the_windows_cover_whole_wib_days_and_whole_weeks():
    assert (WEEK.first_day, WEEK.last_day) == (date(2026, 12, 7), date(2026, 12, 13))
    assert WEEK.start == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)  # Monday 00:00 WIB
    assert WEEK.end == datetime(2026, 12, 13, 17, 0, tzinfo=UTC)
    assert calendar_window(date(2026, 12, 13), "week").first_day == date(2026, 12, 7)
    month = calendar_window(date(2026, 12, 15), "month")
    assert (month.first_day, month.last_day) == (date(2026, 11, 30), date(2027, 1, 3))
    assert len(month.days) == 35 and month.start == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert step(date(2027, 1, 31), "month", 1) == date(2027, 2, 28)
    assert step(date(2027, 1, 15), "month", -1) == date(2026, 12, 15)
    assert step(date(2026, 12, 30), "week", 1) == date(2027, 1, 6)
