"""Campaigns page: the list with filters, the ten-step plan as fields, copies and templates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from campaigns import service, views
from campaigns.plan import Plan
from core.clock import local, utcnow
from core.errors import InputError
from pages.common import (
    acting_as_sidebar,
    actor,
    flash,
    md,
    reading,
    settings,
    show_flash,
    write_factory,
)
from pages.plan_form import plan_fields

NEW = 0  # the pick that opens an empty plan
_PICK_NEXT = "_campaigns_pick_next"  # the campaign to open after a save (widgets not yet built)
PHASES = ("planned", "running", "ended", "template")
PHASE_CELLS = {
    "running": "background-color: #e3f4e8; color: #1e6b34",
    "planned": "background-color: #e4ecfb; color: #1d3f8a",
    "ended": "color: #6b6b6b",
    "template": "background-color: #efe6fb; color: #5a2d8c",
}


def _clear(prefix: str) -> None:
    """Forget the widgets of a plan, so they show the stored plan on the next run."""
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


def copy(source_id: int, prefix: str, *, as_template: bool = False) -> None:
    """Copy a campaign with the name and start date under `prefix`, and open the copy."""
    get = st.session_state.get
    try:
        made = service.copy_campaign(write_factory(), source_id, name=get(f"{prefix}name") or "",
                                     starts_on=get(f"{prefix}start"), actor=actor(), now=utcnow(),
                                     as_template=as_template)  # fmt: skip
    except InputError as exc:
        flash("error", str(exc))
        return
    st.session_state["campaign_pick"] = made.id
    if as_template:
        flash("success", f"Template '{made.name}' saved; start a campaign from it with New from "
                         "template.")  # fmt: skip
    else:
        flash("success", f"'{made.name}' made: it starts on {made.starts_on:%d %b %Y}, every date "
                         "of the plan moved with it, and its posts came over as drafts.")  # fmt: skip


def from_template() -> None:
    """Make a campaign from the template picked in the new-campaign view."""
    copy(st.session_state["tpl_source"], "tpl_")


def save(k: str, campaign_id: int | None, data: dict[str, Any]) -> None:
    """Create or update through the service; a wrong plan shows its sentence and stores nothing."""
    try:
        if campaign_id is None:
            made = service.create_campaign(write_factory(), data, actor=actor(), now=utcnow())
        else:
            made = service.update_plan(
                write_factory(), campaign_id, data, actor=actor(), now=utcnow()
            )
    except InputError as exc:
        st.error(str(exc))
        return
    _clear(k)
    st.session_state[_PICK_NEXT] = made.id
    flash("success", f"Campaign '{made.name}' {'created' if campaign_id is None else 'saved'}.")
    st.rerun()


def checklist(plan: Plan) -> None:
    """What the stored plan still lacks before the campaign starts, one box per gap."""
    gaps = plan.problems()
    if not gaps:
        st.success("Nothing is missing from the plan.")
        return
    st.markdown("**Still missing before the campaign starts**")
    st.markdown("\n".join(f"- :material/check_box_outline_blank: {md(gap)}" for gap in gaps))


def copy_forms(campaign_id: int, plan: Plan, is_template: bool, today: date) -> None:
    """Show Copy and Save as template (or New from template, for a template)."""
    with st.expander("New from template" if is_template else "Copy or save as template"):
        p = f"copy_{campaign_id}_"
        st.text_input("Name of the new campaign", key=f"{p}name")
        st.date_input("It starts on (all dates move with it)", value=today, key=f"{p}start")
        bar = st.container(horizontal=True)
        bar.button("New from template" if is_template else "Copy", key=f"{p}go",
                   on_click=copy, args=(campaign_id, p))  # fmt: skip
        if not is_template:
            t = f"template_{campaign_id}_"
            st.session_state.setdefault(f"{t}name", f"{plan.name} (template)")
            st.session_state.setdefault(f"{t}start", plan.timing.starts_on)
            bar.button("Save as template", key=f"{t}go", on_click=copy, args=(campaign_id, t),
                       kwargs={"as_template": True})  # fmt: skip


def campaign_list(rows: list[views.CampaignListRow]) -> None:
    """Show the campaigns as a table, phase coloured."""
    frame = pd.DataFrame({
        "Name": [r.name for r in rows],
        "Region": [" ".join(x for x in (r.region_code or "", r.region_name) if x) for r in rows],
        "Starts": [r.starts_on for r in rows],
        "Ends": [r.ends_on for r in rows],
        "Hashtags": [" ".join(f"#{t}" for t in r.hashtags) for r in rows],
        "Phase": [r.phase for r in rows],
        "Posts": [r.posts for r in rows],
        "Published": [r.published for r in rows],
    })  # fmt: skip
    styled = frame.style.map(lambda v: PHASE_CELLS.get(v, ""), subset=["Phase"])
    st.dataframe(styled, hide_index=True, width="stretch", key="campaign_list", column_config={
        "Starts": st.column_config.DateColumn(format="D MMM YYYY"),
        "Ends": st.column_config.DateColumn(format="D MMM YYYY"),
    })  # fmt: skip


acting_as_sidebar()
st.title("Campaigns")
today = local(utcnow(), settings().timezone).date()
show_flash()
a, b = st.columns([2, 3])
phases = a.multiselect("Phase", PHASES, placeholder="All phases", key="campaign_phase")
search = b.text_input("Search", placeholder="name, region or #hashtag", key="campaign_search")
with reading() as session:
    everything = views.campaign_rows(session, today)
    rows = views.campaign_rows(session, today, phases=phases or None, search=search or None)
if rows:
    campaign_list(rows)
    st.caption(f"{len(rows)} of {len(everything)} campaigns · dates are Asia/Jakarta (WIB) days.")
else:
    st.info("No campaign matches these filters." if everything else "No campaigns yet.")

st.divider()
if _PICK_NEXT in st.session_state:
    st.session_state["campaign_pick"] = st.session_state.pop(_PICK_NEXT)
names = {r.id: f"{r.name} ({r.phase})" for r in everything}
picked = st.selectbox("Open", [NEW, *names], key="campaign_pick",
                      format_func=lambda i: names.get(i, "New campaign"))  # fmt: skip
campaign_id = picked or None
plan, is_template = None, False
if campaign_id is not None:
    with reading() as session:
        stored = service.get_campaign(session, campaign_id)
        plan, is_template = service.plan_of(stored), stored.is_template
templates = [r.id for r in everything if r.phase == "template"]
if campaign_id is None and templates:
    with st.expander("New from template"):
        st.selectbox("Template", templates, key="tpl_source", format_func=lambda i: names[i])
        st.text_input("Name of the new campaign", key="tpl_name")
        st.date_input("It starts on (all dates move with it)", value=today, key="tpl_start")
        st.button("New from template", key="tpl_go", on_click=from_template)
st.subheader(plan.name if plan else "New campaign")
k = f"plan_{campaign_id or 'new'}_"
data = plan_fields(k, campaign_id, plan, today)
if st.button("Create campaign" if campaign_id is None else "Save plan", type="primary",
             key=f"{k}save"):  # fmt: skip
    save(k, campaign_id, data)
if plan is not None:
    checklist(plan)
    copy_forms(campaign_id, plan, is_template, today)
