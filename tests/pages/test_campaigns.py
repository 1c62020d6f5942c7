"""Campaigns page: a plan made through the ten steps, its checklist, wrong plans, copies, templates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from campaigns.service import create_campaign, save_evaluation
from core.clock import local, utcnow
from core.db import transaction
from core.mentions import MentionIn, upsert_mentions
from core.outreach import Campaign, Post
from tests.campaigns.conftest import NOW, plan_data, scheduled_post
from tests.pages.conftest import open_page

NEW = "plan_new_"



def open_campaigns():
    return open_page("pages/campaigns.py")


def shown(at):
    """The page's Markdown and captions as the reader sees them (escapes removed)."""
    return [e.value.replace("\\", "") for e in [*at.markdown, *at.caption]]


def listed(at):
    """The campaign list as the page shows it."""
    return next(d.value for d in at.dataframe if "Phase" in d.value.columns)


def rows(*added):
    """A data editor's state after a person added `added` rows."""
    return {"edited_rows": {}, "added_rows": list(added), "deleted_rows": []}


def campaigns(store):
    with store() as s:
        return list(s.scalars(select(Campaign).order_by(Campaign.id)))


def fill_plan(at, *, starts=date(2026, 12, 7), ends=date(2027, 1, 31)):
    """Type a Surabaya #BeraniLAPOR plan into the new campaign's ten steps (no staff named)."""
    at.text_input(key=f"{NEW}name").input("Berani LAPOR! Surabaya")
    at.text_input(key=f"{NEW}region_code").input("3578")
    at.text_input(key=f"{NEW}region_name").input("Kota Surabaya")
    at.number_input(key=f"{NEW}knowledge_pct").set_value(31.0)
    at.text_area(key=f"{NEW}demographics").input("Usia 18-35, aktif di X dan Facebook.")
    at.session_state[f"{NEW}kpis"] = rows(
        {"Objective": "Rise in reports in the region (%)", "Target": 20},
        {"Objective": "Uses of the campaign hashtags (uses)", "Target": 500},
    )
    at.text_area(key=f"{NEW}primary").input("warga usia 18-35\npekerja komuter")
    at.text_area(key=f"{NEW}messages").input("Lapor itu mudah dan aman")
    at.text_input(key=f"{NEW}hashtags").input("#BeraniLAPOR, #AyokLAPOR")
    at.session_state[f"{NEW}tactics"] = rows(
        {"Name": "Seri posting mingguan", "Mode": "online", "Kind": "social media"},
        {"Name": "Booth Car Free Day", "Mode": "offline", "Kind": "car free day",
         "Date": "2026-12-13", "Location": "Jl. Raya Darmo"},
    )  # fmt: skip
    at.date_input(key=f"{NEW}starts").set_value(starts)
    at.date_input(key=f"{NEW}ends").set_value(ends)
    at.session_state[f"{NEW}events"] = rows(
        {"Name": "CFD Darmo", "Date": "2026-12-13", "Joined to": "Car Free Day Surabaya"}
    )
    at.number_input(key=f"{NEW}budget").set_value(25_000_000)
    return at


def test_a_campaign_made_through_the_ten_steps_is_stored_listed_and_checked(store):
    at = fill_plan(open_campaigns()).run()
    assert "Rp 25.000.000" in shown(at)
    at.button(key=f"{NEW}save").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Campaign 'Berani LAPOR! Surabaya' created."

    (stored,) = campaigns(store)
    plan = stored.plan
    assert plan["objectives"]["kpis"] == [
        {"metric": "reports_uplift_pct", "target": 20.0, "label": ""},
        {"metric": "hashtag_uses", "target": 500.0, "label": ""},
    ]
    assert (stored.region_code, stored.starts_on, stored.ends_on) == (
        "3578", date(2026, 12, 7), date(2027, 1, 31)
    )  # fmt: skip
    assert stored.hashtags == ["ayoklapor", "beranilapor"] and stored.created_by == "sari"
    assert plan["audiences"]["primary"] == ["warga usia 18-35", "pekerja komuter"]
    assert [(t["name"], t["mode"], t["kind"], t["on"]) for t in plan["tactics"]] == [
        ("Seri posting mingguan", "online", "social_media", None),
        ("Booth Car Free Day", "offline", "car_free_day", "2026-12-13"),
    ]
    assert plan["timing"]["events"] == [
        {"name": "CFD Darmo", "on": "2026-12-13", "joined_to": "Car Free Day Surabaya"}
    ]
    assert plan["resources"]["budget_rupiah"] == 25_000_000

    table = listed(at)
    assert list(table["Name"]) == ["Berani LAPOR! Surabaya"]
    assert list(table["Region"]) == ["3578 Kota Surabaya"]
    assert list(table["Hashtags"]) == ["#BeraniLAPOR #AyokLAPOR"]
    assert list(table["Phase"]) == ["planned"] and list(table["Posts"]) == [0]
    # the new campaign is open, its KPIs in the editor, and the checklist names what is missing
    assert at.selectbox(key="campaign_pick").value == stored.id
    kpis = at.dataframe(key=f"plan_{stored.id}_kpis").value
    assert list(kpis["Target"]) == [20.0, 500.0]
    page = shown(at)
    assert "**Still missing before the campaign starts**" in page
    gaps = next(line for line in page if "check_box_outline_blank" in line)
    assert "Step 8 (resources): name who does the work." in gaps
    assert "Step 4" not in gaps and "Step 2" not in gaps


def test_a_plan_that_ends_before_it_starts_names_the_step_and_stores_nothing(store):
    at = fill_plan(open_campaigns(), starts=date(2026, 12, 7), ends=date(2026, 12, 1)).run()
    at.button(key=f"{NEW}save").click().run()
    assert not at.exception, at.exception
    assert (
        "Step 7 (timing): the end 2026-12-01 is before the start 2026-12-07." in at.error[0].value
    )
    assert campaigns(store) == []
    assert at.text_input(key=f"{NEW}name").value == "Berani LAPOR! Surabaya"  # nothing retyped


def test_a_target_without_a_number_is_refused_with_its_field(store):
    at = open_campaigns()
    at.text_input(key=f"{NEW}name").input("Tanpa target")
    at.session_state[f"{NEW}kpis"] = rows({"Objective": "Posts published (posts)"})
    at.button(key=f"{NEW}save").click().run()
    assert "Step 2 (objectives), objectives.kpis.0.target" in at.error[0].value
    assert campaigns(store) == []


def test_editing_a_plan_keeps_the_other_steps_and_stamps_the_review(store):
    campaign = create_campaign(store, plan_data(), actor="budi", now=NOW)
    at = open_campaigns()
    at.selectbox(key="campaign_pick").set_value(campaign.id).run()
    k = f"plan_{campaign.id}_"
    assert at.text_input(key=f"{k}hashtags").value == "#BeraniLAPOR"
    assert any("Nothing is missing from the plan." in s.value for s in at.success)
    at.text_area(key=f"{k}review_notes").input("CFD lebih efektif dari radio.")
    at.text_input(key=f"{k}name").input("Berani LAPOR! Surabaya 2026").run()
    at.button(key=f"{k}save").click().run()
    assert at.success[0].value == "Campaign 'Berani LAPOR! Surabaya 2026' saved."
    (stored,) = campaigns(store)
    assert stored.name == "Berani LAPOR! Surabaya 2026"
    # every other step went through the fields and the tables unchanged
    untouched = [step for step in campaign.plan if step not in ("name", "review")]
    assert {s: stored.plan[s] for s in untouched} == {s: campaign.plan[s] for s in untouched}
    assert stored.plan["tactics"][1]["on"] == "2026-12-13"
    assert stored.plan["review"]["notes"] == "CFD lebih efektif dari radio."
    assert stored.plan["review"]["reviewed_by"] == "sari"


def test_copy_moves_every_date_and_brings_posts_as_drafts(store):
    source = create_campaign(store, plan_data(), actor="budi", now=NOW - timedelta(days=3))
    scheduled_post(store, source.id, at=datetime(2026, 12, 9, 2, 0, tzinfo=UTC))
    at = open_campaigns()
    at.selectbox(key="campaign_pick").set_value(source.id).run()
    p = f"copy_{source.id}_"
    at.text_input(key=f"{p}name").input("Berani LAPOR! Sidoarjo")
    at.date_input(key=f"{p}start").set_value(date(2027, 3, 1))  # 84 days later
    at.button(key=f"{p}go").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("'Berani LAPOR! Sidoarjo' made: it starts on 01 Mar 2027")

    _, copy = campaigns(store)
    assert (copy.name, copy.starts_on, copy.ends_on) == (
        "Berani LAPOR! Sidoarjo", date(2027, 3, 1), date(2027, 4, 25)
    )  # fmt: skip
    assert copy.plan["timing"]["events"][0]["on"] == "2027-03-07"
    assert copy.plan["tactics"][1]["on"] == "2027-03-07"
    with store() as s:
        (post,) = s.scalars(select(Post).where(Post.campaign_id == copy.id))
    assert post.state == "draft"
    assert post.scheduled_at == datetime(2026, 12, 9, 2, 0, tzinfo=UTC) + timedelta(days=84)
    assert at.selectbox(key="campaign_pick").value == copy.id
    assert at.date_input(key=f"plan_{copy.id}_starts").value == date(2027, 3, 1)
    assert "Berani LAPOR! Sidoarjo" in list(listed(at)["Name"])


def test_save_as_template_then_new_from_template(store):
    source = create_campaign(store, plan_data(), actor="budi", now=NOW)
    at = open_campaigns()
    at.selectbox(key="campaign_pick").set_value(source.id).run()
    at.button(key=f"template_{source.id}_go").click().run()
    assert not at.exception, at.exception
    _, template = campaigns(store)
    assert template.is_template and template.name == "Berani LAPOR! Surabaya (template)"
    table = listed(at)
    assert dict(zip(table["Name"], table["Phase"], strict=True))[template.name] == "template"
    at.multiselect(key="campaign_phase").set_value(["template"]).run()
    assert list(listed(at)["Name"]) == [template.name]

    at.selectbox(key="campaign_pick").set_value(0).run()
    at.selectbox(key="tpl_source").set_value(template.id)
    at.text_input(key="tpl_name").input("Kenal LAPOR saat Mudik")
    at.date_input(key="tpl_start").set_value(date(2027, 3, 20))
    at.button(key="tpl_go").click().run()
    assert not at.exception, at.exception
    made = campaigns(store)[-1]
    assert (made.name, made.is_template, made.starts_on, made.copied_from) == (
        "Kenal LAPOR saat Mudik", False, date(2027, 3, 20), template.id
    )  # fmt: skip


def test_step_nine_shows_the_systems_evaluation_read_only(store):
    campaign = create_campaign(store, plan_data(), actor="budi", now=NOW)
    save_evaluation(store, campaign.id, {
        "evaluated_at": "2027-02-01T03:00:00+00:00",
        "kpis": [{"metric": "reports_uplift_pct", "target": 20, "actual": 26.5, "light": "green"},
                 {"metric": "hashtag_uses", "target": 500, "actual": 120, "light": "red"}],
        "verdict": "Laporan naik 26,5%",
    }, NOW)  # fmt: skip
    at = open_campaigns()
    at.selectbox(key="campaign_pick").set_value(campaign.id).run()
    page = shown(at)
    assert any("Verdict:** Laporan naik 26,5%" in line for line in page)
    assert ":green-badge[met] **Rise in reports in the region**: 26,5 of 20 %" in page
    assert ":red-badge[behind] **Uses of the campaign hashtags**: 120 of 500 uses" in page


def test_the_baseline_is_computed_from_our_data_and_shown_read_only(store):
    starts = local(utcnow()).date() + timedelta(days=30)
    timing = {"starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=30)).isoformat()}
    campaign = create_campaign(store, plan_data(timing=timing, tactics=[]), actor="budi", now=NOW)
    at = open_campaigns()
    at.selectbox(key="campaign_pick").set_value(campaign.id).run()
    assert "No baseline yet." in shown(at)
    at.button(key=f"baseline_{campaign.id}").click().run()
    assert "no mentions or reports" in at.error[0].value  # nothing to measure from yet
    assert campaigns(store)[0].plan["analysis"]["baseline"] is None

    # 16 uses of the campaign hashtag over the 8 weeks before yesterday: 2 a week
    with transaction(store) as s:
        upsert_mentions(s, "test", [
            MentionIn(platform="x", external_id=f"m{i}", text="Ayo #BeraniLAPOR",
                      created_at=utcnow() - timedelta(days=3 + 3 * i), hashtags=("BeraniLAPOR",))
            for i in range(16)
        ], utcnow())  # fmt: skip
    at.button(key=f"baseline_{campaign.id}").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Baseline computed from our data and stored in step 1."
    baseline = campaigns(store)[0].plan["analysis"]["baseline"]
    assert (baseline["weeks"], baseline["mentions_per_week"]) == (8, 2.0)
    assert baseline["hashtag_uses_per_week"] == 2.0
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Mentions / week"], metrics["Hashtag uses / week"]) == ("2", "2")

    # saving the plan afterwards keeps the baseline: it is not a field a person types
    at.text_input(key=f"plan_{campaign.id}_region_name").input("Surabaya").run()
    at.button(key=f"plan_{campaign.id}_save").click().run()
    assert campaigns(store)[0].plan["analysis"]["baseline"] == baseline
