"""Plan validation: the ten steps as fields, sentences that name the step and field, copies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from campaigns import posts
from campaigns.plan import Plan, parse_plan
from campaigns.service import copy_campaign, create_campaign, plan_of, update_plan
from campaigns.views import campaign_rows
from core.audit import history
from core.errors import InputError
from core.outreach import Campaign, Post, PostVariant
from tests.campaigns.conftest import NOW, VERSIONS, plan_data


def test_a_complete_plan_is_stored_with_its_queried_columns(factory):
    campaign = create_campaign(factory, plan_data(), actor="sari", now=NOW)
    with factory() as s:
        stored = s.get(Campaign, campaign.id)
        plan = plan_of(stored)
    assert (stored.region_code, stored.starts_on, stored.ends_on) == (
        "3578",
        date(2026, 12, 7),
        date(2027, 1, 31),
    )
    assert stored.hashtags == ["beranilapor"]  # as the mention store keeps tags
    assert plan.messages.hashtags == ["BeraniLAPOR"]  # as the champion wrote it, without '#'
    assert [k.metric for k in plan.objectives.kpis] == [
        "reports_uplift_pct",
        "hashtag_uses",
        "impressions",
    ]
    assert plan.resources.budget_rupiah == 25_000_000
    assert plan.problems() == []


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"timing": {"starts_on": "2027-02-01", "ends_on": "2027-01-01"}},
         "Step 7 (timing): the end 2027-01-01 is before the start 2027-02-01."),
        ({"strategy": {"approach": "online"}},
         "Step 6 (tactics): 'Booth Car Free Day' is offline, but the strategy is online only."),
        ({"messages": {"hashtags": ["#2026"]}},
         "Step 4 (messages), messages.hashtags: '#2026' is not a hashtag: use letters, digits and _ only, not digits alone."),
        ({"analysis": {"region_code": "35.7"}},
         "Step 1 (analysis), analysis.region_code: a region code is 2, 4, 6 or 10 digits (e.g. 35 or 3578)."),
        ({"objectives": {"kpis": [{"metric": "likes", "target": 5}]}},
         "Step 2 (objectives), objectives.kpis.0.metric: 'likes' is not a metric;"),
        ({"objectives": {"kpis": [{"metric": "hashtag_uses", "target": 0}]}},
         "Step 2 (objectives), objectives.kpis.0.target: Input should be greater than 0."),
        ({"resources": {"budget_rupiah": -1}},
         "Step 8 (resources), resources.budget_rupiah: Input should be greater than or equal to 0."),
        ({"timing": None}, "Step 7 (timing), timing: Input should be a valid dictionary"),
    ],
)  # fmt: skip
def test_a_wrong_plan_gets_a_sentence_naming_the_step_and_field(factory, change, sentence):
    with pytest.raises(InputError) as caught:
        create_campaign(factory, plan_data(**change), actor="sari", now=NOW)
    assert str(caught.value).startswith(sentence)
    with factory() as s:
        assert s.scalars(select(Campaign)).all() == []  # nothing stored


def test_an_event_outside_the_dates_and_a_repeated_metric_are_refused():
    data = plan_data()
    data["timing"]["events"] = [{"name": "CFD", "on": "2027-03-01"}]
    with pytest.raises(InputError, match="the event 'CFD' on 2027-03-01 is outside the campaign"):
        parse_plan(data)
    twice = plan_data(
        objectives={"kpis": [{"metric": "reach", "target": 1}, {"metric": "reach", "target": 2}]}
    )
    with pytest.raises(InputError, match="each metric may have one target; repeated: reach"):
        parse_plan(twice)


def test_a_half_made_plan_saves_and_lists_what_is_missing_step_by_step():
    plan = parse_plan(
        {"name": "Draf", "timing": {"starts_on": "2027-01-01", "ends_on": "2027-02-01"}}
    )
    assert plan.problems() == [
        "Step 1 (analysis): say what people in the region know of LAPOR!.",
        "Step 1 (analysis): describe the region's people (age, access, language).",
        "Step 2 (objectives): add at least one measurable target.",
        "Step 3 (audiences): name the primary audience.",
        "Step 4 (messages): write at least one key message.",
        "Step 4 (messages): choose the campaign hashtag(s).",
        "Step 6 (tactics): plan at least one activity.",
        "Step 8 (resources): name who does the work.",
    ]


def test_hashtags_lose_their_hash_and_repeats(factory):
    plan = parse_plan(
        plan_data(messages={"hashtags": ["#BeraniLAPOR", "beranilapor", "AyokLAPOR"]})
    )
    assert plan.messages.hashtags == ["BeraniLAPOR", "AyokLAPOR"]


def test_editing_a_plan_keeps_the_systems_evaluation_and_audits_the_changed_steps(
    factory, campaign
):
    with factory() as s:
        current = plan_of(s.get(Campaign, campaign.id)).model_dump(mode="json")
    current["audiences"]["primary"] = ["pelajar SMA"]
    current["evaluation"] = {"evaluated_at": NOW.isoformat(), "verdict": "typed in by hand"}
    update_plan(factory, campaign.id, current, actor="budi", now=NOW)
    with factory() as s:
        plan = plan_of(s.get(Campaign, campaign.id))
        entry = history(s, "campaign", campaign.id)[-1]
    assert plan.audiences.primary == ["pelajar SMA"]
    assert plan.evaluation is None  # step 9 is the system's, never typed in
    assert (entry.action, entry.actor, list(entry.after)) == ("edit_plan", "budi", ["audiences"])


def test_a_copy_shifts_every_date_and_brings_posts_over_as_drafts(factory, campaign):
    post = posts.create_post(factory, campaign.id, title="Ajakan", versions=VERSIONS, actor="sari",
                             now=NOW, scheduled_at=NOW + timedelta(days=2))  # fmt: skip
    posts.submit(factory, post.id, actor="sari", now=NOW)
    copy = copy_campaign(factory, campaign.id, name="Berani LAPOR! 2027", starts_on=date(2027, 3, 1),
                         actor="dewi", now=NOW, as_template=True)  # fmt: skip
    shift = date(2027, 3, 1) - date(2026, 12, 7)
    with factory() as s:
        plan = plan_of(s.get(Campaign, copy.id))
        new_posts = s.scalars(select(Post).where(Post.campaign_id == copy.id)).all()
        channels = s.scalars(
            select(PostVariant.channel).where(PostVariant.post_id == new_posts[0].id)
        ).all()
    assert (plan.timing.starts_on, plan.timing.ends_on) == (
        date(2027, 3, 1),
        date(2027, 1, 31) + shift,
    )
    assert plan.timing.events[0].on == date(2026, 12, 13) + shift
    assert plan.tactics[1].on == date(2026, 12, 13) + shift
    assert plan.evaluation is None and plan.analysis.baseline is None
    assert [(p.state, p.author, p.scheduled_at) for p in new_posts] == [
        ("draft", "dewi", NOW + timedelta(days=2) + shift)
    ]
    assert sorted(channels) == ["facebook", "telegram", "x"]
    with factory() as s:
        rows = {r.name: r.phase for r in campaign_rows(s, date(2026, 12, 10))}
    assert rows == {"Berani LAPOR! Surabaya": "running", "Berani LAPOR! 2027": "template"}


def test_the_plan_model_forbids_unknown_fields_so_typos_are_caught():
    with pytest.raises(InputError, match="Step 5 \\(strategy\\), strategy.aproach"):
        parse_plan(plan_data(strategy={"aproach": "online"}))
    assert isinstance(parse_plan(Plan.model_validate(plan_data())), Plan)
