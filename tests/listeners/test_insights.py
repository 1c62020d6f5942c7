"""Listening queries: Jakarta buckets, filters, top lists, totals, channel sentences, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db import transaction
from core.mentions import BadItem, Batch, MentionIn, extract_hashtags, save_batch
from core.models import ListenerHealth, QuarantineItem
from core.settings import Settings
from listeners import health, insights

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def mention(eid, at, text="Jalan rusak #BeraniLAPOR", platform="x", handle="warga_sby", name=None):
    return MentionIn(
        platform=platform,
        external_id=eid,
        text=text,
        created_at=at,
        author_handle=handle,
        author_name=name,
        hashtags=extract_hashtags(text),
        url=f"https://example.org/{eid}",
    )


def store(factory, *mentions, listener="demo"):
    with transaction(factory) as s:
        save_batch(s, listener, Batch(mentions=list(mentions)), T0)


def test_a_minute_apart_across_jakarta_midnight_lands_on_two_days(factory):
    store(
        factory,
        mention("1", datetime(2026, 11, 20, 16, 59, 59, 999900, tzinfo=UTC)),
        mention("2", datetime(2026, 11, 20, 17, 0, tzinfo=UTC)),
        mention("3", datetime(2026, 11, 20, 17, 30, tzinfo=UTC), platform="telegram"),
    )
    with factory() as s:
        start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
        days = insights.volume(s, start=start, end=end, bucket="day", by="platform")
        tags = insights.volume(s, start=start, end=end, bucket="day", by="hashtag")
    assert [(p.bucket, p.key, p.count) for p in days] == [
        (datetime(2026, 11, 20, tzinfo=WIB), "x", 1),
        (datetime(2026, 11, 21, tzinfo=WIB), "telegram", 1),
        (datetime(2026, 11, 21, tzinfo=WIB), "x", 1),
    ]
    assert days[0].bucket.utcoffset() == timedelta(hours=7)
    assert [(p.bucket.day, p.key, p.count) for p in tags] == [
        (20, "beranilapor", 1),
        (21, "beranilapor", 2),
    ]


def test_hourly_volume_counts_the_window_only_and_limits_hashtags(factory):
    store(
        factory,
        mention("1", T0 + timedelta(minutes=5), "Antre KTP #BeraniLAPOR #KTP"),
        mention("2", T0 + timedelta(minutes=55), "Lampu mati #ktp", platform="facebook"),
        mention("3", T0 + timedelta(hours=1), "PDAM #BeraniLAPOR"),
        mention("4", T0 + timedelta(hours=2), "di luar jendela #KTP"),
    )
    with factory() as s:
        kw = {"start": T0, "end": T0 + timedelta(hours=2), "bucket": "hour"}
        hours = insights.volume(s, by="platform", **kw)
        ktp = insights.volume(s, by="hashtag", hashtags=["#KTP"], **kw)
    assert [(p.bucket.hour, p.key, p.count) for p in hours] == [
        (19, "facebook", 1),
        (19, "x", 1),
        (20, "x", 1),
    ]
    assert [(p.bucket.hour, p.key, p.count) for p in ktp] == [(19, "ktp", 2)]


def test_chart_window_starts_on_a_whole_jakarta_hour_or_day():
    now = datetime(2026, 11, 20, 17, 42, tzinfo=UTC)  # 00:42 WIB on the 21st
    start, end = insights.chart_window(now, bucket="hour")
    hours = insights.buckets(start, end, bucket="hour")
    assert end == now and len(hours) == 48
    assert hours[0] == datetime(2026, 11, 19, 1, 0, tzinfo=WIB)
    assert hours[-1] == datetime(2026, 11, 21, 0, 0, tzinfo=WIB)
    start, end = insights.chart_window(now, bucket="day")
    days = insights.buckets(start, end, bucket="day")
    assert len(days) == 30 and days[-1] == datetime(2026, 11, 21, tzinfo=WIB)
    assert start == datetime(2026, 10, 23, tzinfo=WIB)


def test_latest_filters_by_channel_hashtag_text_and_dates(factory):
    store(
        factory,
        mention("1", T0, "Jalan RUSAK di Wonokromo #BeraniLAPOR"),
        mention("2", T0 + timedelta(minutes=1), "Sampah menumpuk 100% #AyoKenalLAPOR", "facebook"),
        mention("3", T0 + timedelta(minutes=2), "jalan rusak lagi", "telegram"),
        mention("4", T0 - timedelta(days=3), "jalan rusak lama #BeraniLAPOR"),
    )
    with factory() as s:
        newest = insights.latest(s)
        x_only = insights.latest(s, platforms=["x"])
        tagged = insights.latest(s, hashtag="#beranilapor")
        rusak = insights.latest(s, text="jalan rusak")
        percent = insights.latest(s, text="100%")
        wildcard = insights.latest(s, text="%")
        recent = insights.latest(
            s, text="rusak", start=T0 - timedelta(hours=1), end=T0 + timedelta(hours=1)
        )
        paged = insights.latest(s, limit=1, offset=1)
    assert [r.external_id for r in newest] == ["3", "2", "1", "4"]
    assert newest[1].text == "Sampah menumpuk 100% #AyoKenalLAPOR"
    assert newest[1].hashtags == ("AyoKenalLAPOR",) and newest[1].created_at.tzinfo is not None
    assert [r.external_id for r in x_only] == ["1", "4"]
    assert [r.external_id for r in tagged] == ["1", "4"]
    assert [r.external_id for r in rusak] == ["3", "1", "4"]
    assert [r.external_id for r in percent] == ["2"]
    assert [r.external_id for r in wildcard] == ["2"]
    assert [r.external_id for r in recent] == ["3", "1"]
    assert [r.external_id for r in paged] == ["2"]


def test_top_authors_hashtags_and_totals(factory):
    store(
        factory,
        mention("1", T0, "#BeraniLAPOR #PDAM", handle="budi", name="Budi S"),
        mention("2", T0 + timedelta(minutes=30), "#pdam", handle="budi", name="Budi S"),
        mention("3", T0 - timedelta(hours=5), "#BeraniLAPOR", handle="sari"),
        mention("4", T0 - timedelta(days=2), "#PDAM", platform="facebook", handle="budi"),
        mention("5", T0, "tanpa penulis", handle=None),
    )
    with factory() as s:
        window = {"start": T0 - timedelta(days=1), "end": T0 + timedelta(days=1)}
        authors = insights.top_authors(s, **window)
        tags = insights.top_hashtags(s, **window, limit=2)
        totals = insights.totals(s, now=T0 + timedelta(minutes=40))
    assert [(a.platform, a.handle, a.name, a.count) for a in authors] == [
        ("x", "budi", "Budi S", 2),
        ("x", "sari", None, 1),
    ]
    assert [(t.tag, t.count) for t in tags] == [("beranilapor", 2), ("pdam", 2)]
    assert (totals.total, totals.last_24h, totals.last_hour) == (5, 4, 3)
    assert dict(totals.per_platform) == {"x": 4, "facebook": 1}


def test_channel_sentences_say_what_is_on_off_and_waiting(factory):
    secret = "supersecret-token-123"
    settings = Settings(_env_file=None, x_bearer_token=secret, telegram_bot_token="tg-secret-999")
    now = datetime(2026, 11, 20, 3, 50, tzinfo=UTC)  # 10:50 WIB
    with transaction(factory) as s:
        s.add(
            ListenerHealth(
                listener="x",
                state="rate_limited",
                retry_at=datetime(2026, 11, 20, 4, 5, tzinfo=UTC),
                detail="429 Too Many Requests",
            )
        )
        s.add(
            ListenerHealth(
                listener="telegram",
                state="stopped",
                detail=f"Telegram rejected the bot token {secret} (401)",
            )
        )
        s.add(ListenerHealth(listener="facebook", state="ok", last_poll_at=now, last_count=6))
    with factory() as s:
        rows = {c.name: c for c in health.listener_status(s, settings, now=now)}
    assert list(rows) == ["x", "facebook", "telegram", "line", "messenger", "demo"]
    assert rows["x"].sentence == "rate-limited until 11:05" and rows["x"].configured
    assert rows["telegram"].sentence == "stopped — Telegram rejected the bot token *** (401)"
    assert rows["facebook"].sentence == "off — LAPOR_FACEBOOK_PAGE_ID is not set"
    assert not rows["facebook"].configured and rows["facebook"].state == "off"
    assert rows["line"].sentence == "off — LAPOR_LINE_CHANNEL_SECRET is not set"
    assert rows["demo"].state == "off"
    assert all(secret not in c.sentence for c in rows.values())

    demo = Settings(_env_file=None)
    with transaction(factory) as s:
        s.add(
            ListenerHealth(
                listener="demo", state="ok", last_poll_at=now - timedelta(minutes=8), last_count=6
            )
        )
    with factory() as s:
        rows = {c.name: c for c in health.listener_status(s, demo, now=now)}
    assert rows["demo"].sentence == "on — last poll 10:42, 6 new"
    assert rows["x"].sentence == "off — LAPOR_X_BEARER_TOKEN is not set"


def test_a_channel_configured_but_never_polled_is_waiting(factory):
    settings = Settings(_env_file=None, line_channel_secret="line-secret")
    with factory() as s:
        rows = {c.name: c for c in health.listener_status(s, settings, now=T0)}
    assert rows["line"].sentence == "on — waiting for the first webhook"
    assert rows["line"].state == "waiting"


def test_open_quarantine_lists_unresolved_items_with_a_short_preview(factory):
    raw = '{"id": "99",\n "text": "' + "x" * 500 + '"}'
    items = [BadItem(raw=raw, reason="no created_at"), BadItem(raw="{}", reason="old")]
    with transaction(factory) as s:
        save_batch(s, "x", Batch(quarantined=items), T0)
    with transaction(factory) as s:
        s.scalars(
            select(QuarantineItem).where(QuarantineItem.reason == "old")
        ).one().resolved_at = T0
    with factory() as s:
        rows = health.open_quarantine(s, limit=10, preview_chars=40)
        count = health.count_open_quarantine(s)
    assert count == 1 and len(rows) == 1
    assert (rows[0].listener, rows[0].reason, rows[0].received_at) == ("x", "no created_at", T0)
    assert rows[0].preview == '{"id": "99", "text": "' + "x" * 17 + "…"
    assert len(rows[0].preview) == 40
