"""Evaluation page: the verdict, KPI lights, uplift table, saving step 9, downloads."""

from __future__ import annotations

from datetime import timedelta

from campaigns.service import create_campaign, get_campaign, plan_of
from core.clock import local, utcnow
from tests.campaigns.conftest import plan_data
from tests.campaigns.test_evaluate import spread
from tests.pages.conftest import open_page


def open_evaluation():
    return open_page("pages/evaluation.py", timeout=60)


def running_campaign(factory):
    today = local(utcnow()).date()
    timing = {"starts_on": str(today - timedelta(days=13)), "ends_on": str(today + timedelta(days=42)),
              "events": []}  # fmt: skip
    data = plan_data(timing=timing)
    data["tactics"] = [t for t in data["tactics"] if "on" not in t]
    campaign = create_campaign(factory, data, actor="sari", now=utcnow() - timedelta(days=20))
    spread(factory, today - timedelta(days=27), 14, 20)  # baseline
    spread(factory, today - timedelta(days=13), 14, 60)  # during
    return campaign


def test_the_page_says_whether_the_rise_is_larger_than_chance_and_lights_the_kpis(store):
    campaign = running_campaign(store)
    at = open_evaluation()
    assert any("the rise is larger than chance" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rise in reports in the region"] == "200,0%"  # 60 vs 20 in 14 days: ×3
    assert any(":green-badge[green]" in m.value for m in at.markdown)
    uplift = at.dataframe[0].value
    overall = uplift[(uplift["Measure"] == "reports") & (uplift["Group"] == "All")]
    assert (int(overall["During"].iloc[0]), int(overall["Before"].iloc[0])) == (60, 20)

    at.button[0].click().run()  # save to step 9
    assert any("step 9" in s.value for s in at.success)
    with store() as s:
        assert plan_of(get_campaign(s, campaign.id)).evaluation.summary["reports"] == 60


def test_a_comparison_region_inside_the_campaign_is_refused_in_a_sentence(store):
    running_campaign(store)
    at = open_evaluation()
    at.text_input(key="eval_comparison").set_value("357801").run()
    assert [e.value for e in at.error] == ["Compare with a region outside the campaign's (3578)."]


def test_without_a_started_campaign_the_page_says_where_to_plan_one(store):
    at = open_evaluation()
    assert "No campaign has started yet" in at.info[0].value
