"""The evaluation: KPIs against targets with traffic lights, the verdict, step 9 of the plan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from campaigns.baseline import compute_baseline
from campaigns.evaluate import evaluate, judge, save
from campaigns.plan import Kpi
from campaigns.service import get_campaign, plan_of
from campaigns.uplift import rate_ratio
from core.casework import Report
from core.db import transaction
from core.errors import InputError
from core.models import MentionHashtag
from core.outreach import Post, PostMetric, PostVariant
from tests.campaigns.conftest import NOW, jakarta

TODAY = date(2026, 12, 20)  # day 14 of a 56-day campaign (7 Dec – 31 Jan): a quarter gone


def reports(factory, day: date, count: int, region="357801", first=0):
    with transaction(factory) as s:
        for i in range(count):
            at = jakarta(day, 9) + timedelta(minutes=i)
            s.add(Report(tracking_id=f"LPR-{region}-{day:%m%d}-{first + i:04d}", kind="pengaduan",
                         sector="infrastruktur", title="Jalan rusak", description="-",
                         region_code=region, status="submitted", created_by="t",
                         created_at=at, updated_at=at))  # fmt: skip


def spread(factory, start: date, days: int, total: int, region="357801"):
    """`total` reports spread over `days` days from `start`."""
    for d in range(days):
        n = total // days + (1 if d < total % days else 0)
        reports(factory, start + timedelta(days=d), n, region=region, first=d * 100)


def hashtag_uses(factory, count: int):
    with transaction(factory) as s:
        for i in range(count):
            s.add(MentionHashtag(platform="x", external_id=f"t{i}", tag="beranilapor",
                                 created_at=jakarta(date(2026, 12, 8 + i % 10), 10),
                                 author_handle=f"warga{i % 40}"))  # fmt: skip


def published_post(factory, campaign_id: int, impressions: int, reactions: int):
    with transaction(factory) as s:
        post = Post(campaign_id=campaign_id, title="Ajakan", state="published", author="sari",
                    edited_by="sari", scheduled_at=NOW, created_at=NOW, updated_at=NOW)  # fmt: skip
        s.add(post)
        s.flush()
        v = PostVariant(post_id=post.id, channel="x", text="#BeraniLAPOR", state="published",
                        external_id="1", published_at=NOW)  # fmt: skip
        s.add(v)
        s.flush()
        s.add(PostMetric(variant_id=v.id, collected_at=NOW + timedelta(days=2), source="x",
                         impressions=impressions, reactions=reactions, comments=0, shares=0,
                         clicks=0))  # fmt: skip


def test_kpis_get_traffic_lights_and_the_verdict_names_the_rise(factory, campaign):
    spread(factory, date(2026, 11, 23), 14, 20)  # baseline: 20 reports in 14 days
    spread(factory, date(2026, 12, 7), 14, 40)  # campaign so far: 40 in 14 days
    spread(factory, date(2026, 12, 7), 14, 28, region="3201")  # elsewhere: not counted
    hashtag_uses(factory, 100)
    published_post(factory, campaign.id, impressions=300_000, reactions=6_000)
    with factory() as s:
        result = evaluate(s, campaign.id, TODAY)
    assert result.elapsed == pytest.approx(14 / 56)
    lights = {k.metric: (k.actual, k.light, k.note) for k in result.kpis}
    # reports: 40/14 over 20/14 = ×2.0 = +100% (target +20%), exact CI above 1: green
    assert lights["reports_uplift_pct"][:2] == (pytest.approx(100.0), "green")
    # 100 uses against a target of 500 × ¼ of the campaign gone = 125 so far: 80% → amber
    assert lights["hashtag_uses"] == (100, "amber", "80% of the target so far")
    # 300,000 impressions against 1,000,000 × ¼ = 250,000 so far: green
    assert lights["impressions"] == (300_000, "green", "120% of the target so far")
    expected = rate_ratio(40, 14, 20, 14)
    assert result.verdict.startswith(
        "Reports in region 3578: 1.4 a day before, 2.9 a day during the campaign "
        f"(×2.00, 95% CI {expected.low:.2f}–{expected.high:.2f}): the rise is larger than chance."
    )


def test_an_uplift_that_reaches_the_target_by_chance_alone_is_amber():
    kpi = Kpi(metric="reports_uplift_pct", target=20)
    chance = rate_ratio(6, 14, 4, 14)  # +50%, but 10 reports in all: not larger than chance
    status = judge(kpi, 50.0, 0.25, chance)
    assert (status.light, status.note) == ("amber", "the change is not larger than chance")
    real_but_small = rate_ratio(1100, 14, 1000, 14)  # +10%, larger than chance, under target
    assert judge(kpi, 10.0, 0.25, real_but_small).light == "amber"
    fall = rate_ratio(500, 14, 1000, 14)
    assert judge(kpi, -50.0, 0.25, fall).light == "red"
    assert judge(kpi, None, 0.25, None).light == "grey"


def test_an_engagement_rate_is_judged_against_the_target_itself_not_the_pace():
    kpi = Kpi(metric="engagement_rate_pct", target=3)
    assert judge(kpi, 2.0, 0.1, None).light == "red"  # 67% of 3%: the pace does not matter
    assert judge(kpi, 2.4, 0.1, None).light == "amber"
    assert judge(kpi, 3.1, 0.1, None).light == "green"


def test_saving_fills_step_nine_of_the_plan_and_an_edit_keeps_it(factory, campaign):
    spread(factory, date(2026, 11, 23), 14, 20)
    spread(factory, date(2026, 12, 7), 14, 40)
    with factory() as s:
        result = evaluate(s, campaign.id, TODAY)
    save(factory, result, NOW + timedelta(days=13))
    with factory() as s:
        step9 = plan_of(get_campaign(s, campaign.id)).evaluation
    assert step9 is not None and step9.verdict == result.verdict
    assert step9.summary["reports"] == 40 and step9.summary["reports_baseline"] == 20
    assert [k.light for k in step9.kpis] == [k.light for k in result.kpis]


def test_a_campaign_that_has_not_started_cannot_be_evaluated(factory, campaign):
    with factory() as s, pytest.raises(InputError, match="nothing to evaluate yet"):
        evaluate(s, campaign.id, date(2026, 12, 1))


def test_the_baseline_is_measured_from_the_weeks_before_the_start(factory, campaign):
    spread(factory, date(2026, 10, 12), 56, 112)  # 8 weeks before 7 December: 14 a week
    hashtag_uses(factory, 0)
    found = compute_baseline(factory, campaign.id, now=NOW + timedelta(days=1))
    assert (found.from_date, found.to_date, found.weeks) == (date(2026, 10, 12), date(2026, 12, 6), 8)
    assert found.reports_per_week == 14.0 and found.leads_per_week == 0
    with factory() as s:
        assert plan_of(get_campaign(s, campaign.id)).analysis.baseline == found


def test_no_history_means_no_baseline_and_a_sentence_saying_what_to_do(factory, campaign):
    with pytest.raises(InputError, match="import your history first"):
        compute_baseline(factory, campaign.id, now=NOW)


def test_the_report_exports_pdf_html_charts_and_csv_a_coordinator_can_send(factory, campaign, tmp_path):
    from campaigns import report

    spread(factory, date(2026, 11, 23), 14, 20)
    spread(factory, date(2026, 12, 7), 14, 40)
    hashtag_uses(factory, 30)
    published_post(factory, campaign.id, impressions=300_000, reactions=6_000)
    with factory() as s:
        result = evaluate(s, campaign.id, TODAY)
    files = {p.name: p for p in report.write_all(result, tmp_path / "out")}
    assert files["report.pdf"].read_bytes().startswith(b"%PDF")
    assert {"hashtag_uses.png", "reports.png", "leads.png", "impressions.png"} <= set(files)
    page = files["report.html"].read_text(encoding="utf-8")
    assert result.verdict.split(":")[0] in page and "data:image/png;base64," in page
    daily = files["daily.csv"].read_text(encoding="utf-8-sig").splitlines()
    assert daily[0] == "date,window,hashtag_uses,hashtag_authors,leads,reports,impressions"
    assert len(daily) == 1 + 28  # 14 baseline days + 14 campaign days
    counted = [r.split(",") for r in daily[1:]]
    assert sum(int(r[5]) for r in counted if r[1] == "campaign") == 40
    assert sum(int(r[2]) for r in counted) == 30
    kpis = files["kpis.csv"].read_text(encoding="utf-8-sig")
    assert "reports_uplift_pct" in kpis and "green" in kpis


def test_indonesian_number_notation_in_the_report():
    from campaigns.report import number

    assert (number(1607), number(42.5, 1), number(None)) == ("1.607", "42,5", "–")


def test_after_the_end_the_stretch_after_it_is_weighed_against_the_same_baseline(factory):
    from campaigns.service import create_campaign
    from tests.campaigns.conftest import plan_data

    data = plan_data(timing={"starts_on": "2026-12-07", "ends_on": "2026-12-20", "events": []})
    data["tactics"] = data["tactics"][:1]
    campaign = create_campaign(factory, data, actor="sari", now=NOW)
    spread(factory, date(2026, 11, 23), 14, 20)  # baseline, 14 days
    spread(factory, date(2026, 12, 7), 14, 40)  # the campaign, 14 days
    spread(factory, date(2026, 12, 21), 7, 14)  # the week after: 2 a day
    with factory() as s:
        result = evaluate(s, campaign.id, date(2026, 12, 27))
    after = [r for r in result.figures.uplift if (r.window, r.measure, r.group) == ("after", "reports", "all")]
    assert [(r.ratio.a, r.ratio.t1, r.ratio.b, r.ratio.t0) for r in after] == [(14, 7, 20, 14)]
    assert after[0].ratio.estimate == pytest.approx(1.4)
    assert "Reports in region 3578: 1.4 a day before, 2.0 a day after it ended" in result.verdict
