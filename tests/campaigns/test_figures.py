"""Campaign figures from the store, per Asia/Jakarta day, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from campaigns import figures
from campaigns.performance import performance
from campaigns.service import create_campaign
from campaigns.uplift import NOT_ENOUGH, TOO_FEW
from campaigns.windows import DayCount, Window, campaign_windows
from core.casework import Lead, Report
from core.db import transaction
from core.errors import InputError
from core.mentions import MentionIn, upsert_mentions
from core.models import Mention
from core.outreach import Post, PostMetric, PostVariant
from tests.campaigns.conftest import NOW, jakarta, plan_data

D = date(2026, 12, 4)  # a Friday; the campaign starts on Monday D + 3 = 7 December
TODAY = date(2026, 12, 9)  # day 3 of the campaign: windows 7-9 December and 4-6 December
JUST_BEFORE_MIDNIGHT = timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of `hour:minute` WIB on `day` December 2026."""
    return jakarta(date(2026, 12, day), hour, minute)


def last_instant(day: int) -> datetime:
    """23:59:59.999999 WIB on `day` December: the last instant of that Jakarta date."""
    return wib(day, 0) + JUST_BEFORE_MIDNIGHT


def days(counts: tuple[DayCount, ...]) -> dict[int, int]:
    return {c.day.day: c.count for c in counts}


# ---- windows (pure) -------------------------------------------------------------------------


def test_windows_while_the_campaign_runs():
    w = campaign_windows(date(2026, 12, 7), date(2027, 1, 31), TODAY)
    assert (w.campaign.start, w.campaign.end, w.campaign.days) == (date(2026, 12, 7), TODAY, 3)
    assert (w.baseline.start, w.baseline.end) == (date(2026, 12, 4), date(2026, 12, 6))
    assert w.after is None


def test_windows_after_the_end():
    # 56 days of campaign; 10 days after its end the after window has 10 days so far.
    w = campaign_windows(date(2026, 12, 7), date(2027, 1, 31), date(2027, 2, 10))
    assert w.campaign.days == 56
    assert (w.baseline.start, w.baseline.end) == (date(2026, 10, 12), date(2026, 12, 6))
    assert w.after == Window(start=date(2027, 2, 1), end=date(2027, 2, 10))
    later = campaign_windows(date(2026, 12, 7), date(2027, 1, 31), date(2027, 6, 1))
    assert later.after == Window(start=date(2027, 2, 1), end=date(2027, 3, 28))  # 56 days


def test_windows_refuse_a_campaign_that_has_not_started():
    with pytest.raises(InputError, match="nothing to evaluate yet"):
        campaign_windows(date(2026, 12, 7), date(2027, 1, 31), date(2026, 12, 6))
    with pytest.raises(ValueError):
        Window(start=date(2026, 12, 7), end=date(2026, 12, 6))


def test_window_bounds_are_jakarta_midnights():
    first, after = Window(start=date(2026, 12, 7), end=date(2026, 12, 9)).bounds()
    assert first == datetime(2026, 12, 6, 17, tzinfo=UTC)
    assert after == datetime(2026, 12, 9, 17, tzinfo=UTC)


# ---- store ------------------------------------------------------------------------------------


def _mention(n, at, handle, *tags, platform="x", score=None, sector=None):
    return (MentionIn(platform=platform, external_id=f"m{n}", text=" ".join(f"#{t}" for t in tags),
                      created_at=at, author_handle=handle, hashtags=tags), score, sector)  # fmt: skip


MENTIONS = [
    _mention(1, last_instant(6), "ani", "BeraniLAPOR", score=0.9, sector="infrastruktur"),
    _mention(2, wib(7, 0), "ani", "BeraniLAPOR", "AyokLAPOR", score=0.5, sector="infrastruktur"),
    _mention(3, wib(7, 10), "ani", "beranilapor", platform="facebook"),
    _mention(4, wib(8, 6, 59), "budi", "BERANILAPOR", score=0.7, sector="kesehatan"),
    _mention(5, wib(8, 12), "ani", "BeraniLAPOR", score=0.49, sector="kesehatan"),
    _mention(6, wib(9, 23), "citra", "BeraniLAPOR"),
    _mention(7, wib(9, 12), "dodi", "PelayananPublik", score=0.8),
    _mention(8, wib(10, 0), "eko", "BeraniLAPOR", score=0.9, sector="infrastruktur"),
    _mention(9, wib(8, 15), None, "BeraniLAPOR"),
]
REPORTS = [  # (created_at, region_code, sector)
    (last_instant(6), "357801", "infrastruktur"),
    (wib(7, 0), "357801", "infrastruktur"),
    (wib(7, 12), "357802", "kesehatan"),
    (wib(8, 8), "3578", "infrastruktur"),
    (wib(8, 9), "3507", "sosial"),
    (wib(9, 10), "3374", "infrastruktur"),
    (wib(9, 11), None, "lainnya"),
    (wib(10, 0), "357801", "infrastruktur"),
    (wib(5, 10), "3374", "sosial"),
]


@pytest.fixture
def store(factory):
    """The mentions, leads and reports above, and a Surabaya campaign from 7 December."""
    plan = plan_data(messages={"key_messages": ["Lapor itu mudah"],
                               "hashtags": ["#BeraniLAPOR", "#AyokLAPOR"]})  # fmt: skip
    campaign = create_campaign(factory, plan, actor="sari", now=NOW - timedelta(days=3))
    with transaction(factory) as s:
        upsert_mentions(s, "test", [m for m, _, _ in MENTIONS], NOW)
        ids = dict(s.execute(select(Mention.external_id, Mention.id)).all())
        for m, score, sector in MENTIONS:
            if score is not None:
                s.add(Lead(mention_id=ids[m.external_id], complaint_score=score, sector=sector,
                           triaged_at=NOW, updated_at=NOW))  # fmt: skip
        for i, (at, region, sector) in enumerate(REPORTS):
            s.add(Report(tracking_id=f"LPR-2026-{i:06d}", kind="pengaduan", sector=sector,
                         title="Laporan", description="Isi", region_code=region,
                         created_by="handler", created_at=at, updated_at=at))  # fmt: skip
    return factory, campaign


CAMPAIGN = Window(start=date(2026, 12, 7), end=TODAY)
BASELINE = Window(start=date(2026, 12, 4), end=date(2026, 12, 6))


def test_hashtag_uptake_per_jakarta_day(store):
    factory, _ = store
    with factory() as s:
        up = figures.uptake(s, CAMPAIGN, ["#BeraniLAPOR", "ayoklapor"])
        before = figures.uptake(s, BASELINE, ["beranilapor", "ayoklapor"])
    # 7 Dec: m2 (two tags) + m3; 8 Dec: m4 (06:59 WIB is still 7 Dec in UTC), m5, m9; 9 Dec: m6.
    assert days(up.uses_per_day) == {7: 3, 8: 3, 9: 1}
    assert up.uses == 7
    # Authors are per channel (x:ani and facebook:ani are two); m9 has no handle.
    assert days(up.authors_per_day) == {7: 2, 8: 2, 9: 1}
    assert up.authors == 4  # x:ani, facebook:ani, x:budi, x:citra
    assert up.per_channel == {"x": 6, "facebook": 1}
    assert up.per_tag == {"beranilapor": 6, "ayoklapor": 1}
    # m1 at 23:59:59.999999 WIB on 6 Dec belongs to 6 Dec, not to the campaign's first day.
    assert days(before.uses_per_day) == {4: 0, 5: 0, 6: 1}
    assert (before.uses, before.authors) == (1, 1)


def test_leads_per_day_above_the_score_threshold(store):
    factory, _ = store
    with factory() as s:
        now = figures.leads(s, CAMPAIGN)
        before = figures.leads(s, BASELINE)
        strict = figures.leads(s, CAMPAIGN, min_score=0.75)
    # m2 (0.5, counted), m4 (0.7), m7 (0.8, no sector); m5 (0.49) is below the threshold.
    assert days(now.per_day) == {7: 1, 8: 1, 9: 1}
    assert now.by_sector == {"infrastruktur": 1, "kesehatan": 1, "unknown": 1}
    assert now.by_region == {}
    assert (before.total, days(before.per_day)) == (1, {4: 0, 5: 0, 6: 1})
    assert (strict.total, strict.by_sector) == (1, {"unknown": 1})


def test_reports_by_region_one_level_down(store):
    factory, _ = store
    with factory() as s:
        east_java = figures.reports(s, CAMPAIGN, region="35")
        surabaya = figures.reports(s, CAMPAIGN, region="3578")
        everywhere = figures.reports(s, CAMPAIGN)
    assert days(east_java.per_day) == {7: 2, 8: 2, 9: 0}
    assert east_java.by_region == {"3578": 3, "3507": 1}
    assert east_java.by_sector == {"infrastruktur": 2, "kesehatan": 1, "sosial": 1}
    # A report coded to the city only stays at the city's code.
    assert surabaya.by_region == {"357801": 1, "357802": 1, "3578": 1}
    assert everywhere.by_region == {"35": 4, "33": 1, "unknown": 1}
    assert everywhere.total == 6


def test_report_region_must_be_digits(store):
    factory, _ = store
    with factory() as s, pytest.raises(InputError, match="Kemendagri"):
        figures.reports(s, CAMPAIGN, region="35%")


def test_campaign_figures_uplift_rows(store):
    factory, campaign = store
    with factory() as s:
        f = figures.campaign_figures(s, campaign.id, today=TODAY, comparison_region="33")
    assert (f.campaign.window, f.baseline.window, f.after) == (CAMPAIGN, BASELINE, None)
    rows = {(r.measure, r.group, r.key): r.ratio for r in f.uplift}
    # Surabaya reports: R2, R3, R4 in 3 campaign days against R1 in 3 baseline days.
    # R = (3/3) / (1/3) = 3; p = 2 * P(X >= 3 | n = 4, 1/2) = 2 * 5/16 = 0.625.
    overall = rows[("reports", "all", "")]
    assert (overall.a, overall.t1, overall.b, overall.t0) == (3, 3, 1, 3)
    assert overall.estimate == pytest.approx(3.0)
    assert overall.p_value == pytest.approx(0.625)
    assert overall.verdict == TOO_FEW
    assert rows[("reports", "sector", "infrastruktur")].estimate == pytest.approx(2.0)
    assert rows[("reports", "region", "357801")].estimate == pytest.approx(1.0)
    assert rows[("reports", "region", "357802")].estimate == float("inf")
    leads = rows[("leads", "all", "")]
    assert (leads.a, leads.b, leads.estimate) == (3, 1, pytest.approx(3.0))
    assert ("leads", "region", "3578") not in rows
    # Central Java: R6 in the campaign window, R9 in the baseline: (3/1) / (1/1) = 3.
    assert f.comparison_region == "33"
    assert f.comparison is not None
    assert (f.comparison.a1, f.comparison.a0, f.comparison.b1, f.comparison.b0) == (3, 1, 1, 1)
    assert f.comparison.estimate == pytest.approx(3.0)
    assert f.comparison.verdict == TOO_FEW
    assert days(f.campaign.uptake.uses_per_day) == {7: 3, 8: 3, 9: 1}


def test_campaign_figures_after_the_end(store):
    factory, campaign = store
    with factory() as s:
        f = figures.campaign_figures(s, campaign.id, today=date(2027, 2, 10))
    assert f.campaign.window == Window(start=date(2026, 12, 7), end=date(2027, 1, 31))
    assert f.baseline.window == Window(start=date(2026, 10, 12), end=date(2026, 12, 6))
    assert f.after is not None
    assert f.after.window == Window(start=date(2027, 2, 1), end=date(2027, 2, 10))
    # m8 and R8 (10 Dec) now fall in the campaign window too; nothing came after the end.
    assert (f.campaign.leads.total, f.campaign.reports.total, f.campaign.uptake.uses) == (4, 4, 8)
    assert (f.baseline.leads.total, f.baseline.reports.total) == (1, 1)
    assert (f.after.reports.total, len(f.after.reports.per_day)) == (0, 10)
    assert f.comparison is None


def test_comparison_region_without_baseline_reports(store):
    factory, campaign = store
    with factory() as s:
        f = figures.campaign_figures(s, campaign.id, today=TODAY, comparison_region="3507")
    assert f.comparison is not None
    assert (f.comparison.b1, f.comparison.b0, f.comparison.estimate) == (1, 0, None)
    assert f.comparison.verdict == NOT_ENOUGH


def test_comparison_region_must_lie_outside_the_campaign(store):
    factory, campaign = store
    with factory() as s, pytest.raises(InputError, match="outside"):
        figures.campaign_figures(s, campaign.id, today=TODAY, comparison_region="35")


def _published(s, campaign_id, title, states):
    post = Post(campaign_id=campaign_id, title=title, state="published", author="sari",
                edited_by="sari", created_at=NOW, updated_at=NOW)  # fmt: skip
    s.add(post)
    s.flush()
    out = {}
    for channel, state in states.items():
        out[channel] = PostVariant(post_id=post.id, channel=channel, text="#BeraniLAPOR",
                                   state=state)  # fmt: skip
        s.add(out[channel])
    s.flush()
    return out


def _snap(s, variant, at, **values):
    s.add(PostMetric(variant_id=variant.id, collected_at=at, source="test", **values))


def test_post_performance(store):
    factory, campaign = store
    other = create_campaign(factory, plan_data(name="Lain"), actor="sari", now=NOW)
    with transaction(factory) as s:
        first = _published(s, campaign.id, "Ajakan", {"x": "published", "facebook": "published"})
        second = _published(s, campaign.id, "Kanal", {"telegram": "published"})
        _published(s, campaign.id, "Gagal", {"x": "failed"})
        x, fb, tg = first["x"], first["facebook"], second["telegram"]
        _snap(s, x, wib(7, 10), impressions=100, reactions=5, comments=1, shares=2, clicks=2)
        _snap(s, x, last_instant(7), impressions=300, reactions=10, comments=2, shares=3, clicks=5)
        _snap(s, x, wib(9, 8), impressions=500, reactions=20, comments=4, shares=6, clicks=10)
        _snap(s, fb, wib(8, 9), impressions=1000, reach=800, reactions=50, comments=5, shares=5)
        _snap(s, tg, wib(8, 9), reactions=3)
        elsewhere = _published(s, other.id, "Lain", {"x": "published"})["x"]
        _snap(s, elsewhere, wib(8, 9), impressions=99_999, reactions=99_999)
    with factory() as s:
        perf = performance(s, campaign.id, CAMPAIGN)
    # Engagements: x 20+4+6+10 = 40, facebook 50+5+5 = 60 (clicks unknown), telegram 3.
    assert [(p.channel, p.engagements) for p in perf.posts] == [
        ("facebook", 60), ("x", 40), ("telegram", 3)]  # fmt: skip
    assert perf.posts[0].engagement_rate == pytest.approx(60 / 1000)
    assert perf.posts[2].engagement_rate is None
    assert perf.totals == {"impressions": 1500, "reach": 800, "reactions": 73, "comments": 9,
                           "shares": 11, "clicks": 10}  # fmt: skip
    assert perf.engagements == 103
    # Telegram has no impressions, so its 3 engagements stay out of the rate: 100 / 1500.
    assert perf.engagement_rate == pytest.approx(100 / 1500)
    # 7 Dec: x's last snapshot of the day (300, at 23:59:59.999999 WIB); 8 Dec: x still 300 +
    # facebook 1000; 9 Dec: x 500 + facebook 1000.
    assert days(perf.impressions_per_day) == {7: 300, 8: 1300, 9: 1500}
    # Over a long window (in slices on SQLite) the figures carry forward to its last day.
    with factory() as s:
        year = performance(s, campaign.id, Window(start=D, end=date(2028, 6, 30)))
    assert len(year.impressions_per_day) == 575  # 4 Dec 2026 to 30 Jun 2028
    assert year.impressions_per_day[0].count == 0  # 4 Dec, before the first snapshot
    assert year.impressions_per_day[-1].count == 1500


def test_campaign_without_dates_is_refused(store):
    factory, campaign = store
    with transaction(factory) as s:
        s.get(type(campaign), campaign.id).starts_on = None
    with factory() as s, pytest.raises(InputError, match="no dates"):
        figures.campaign_figures(s, campaign.id, today=TODAY)
