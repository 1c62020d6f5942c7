"""Campaigns page: the list with filters, the ten-step plan as fields, copies and templates."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from campaigns import service, views
from campaigns.plan import KPI_METRICS, STEP_TITLES, TACTIC_KINDS, Plan
from content.numbers import format_number
from core.clock import local, utcnow
from core.errors import InputError
from pages.common import (
    acting_as_sidebar,
    actor,
    flash,
    label,
    md,
    reading,
    settings,
    show_flash,
    wib,
    write_factory,
)

try:  # campaigns.baseline is written alongside this page: the page works without it
    from campaigns.baseline import compute_baseline
except ImportError:
    compute_baseline = None

NEW = 0  # the pick that opens an empty plan
_PICK_NEXT = "_campaigns_pick_next"  # the campaign to open after a save (widgets not yet built)
PHASES = ("planned", "running", "ended", "template")
PHASE_CELLS = {
    "running": "background-color: #e3f4e8; color: #1e6b34",
    "planned": "background-color: #e4ecfb; color: #1d3f8a",
    "ended": "color: #6b6b6b",
    "template": "background-color: #efe6fb; color: #5a2d8c",
}
METRICS = {f"{name} ({unit})": key for key, (name, unit) in KPI_METRICS.items()}
METRIC_NAMES = {key: shown for shown, key in METRICS.items()}
KINDS = {label(kind): kind for kind in TACTIC_KINDS}
LIGHTS = {"green": ("green", "met"), "amber": ("orange", "close"), "red": ("red", "behind"),
          "grey": ("gray", "no figures")}  # fmt: skip


def rupiah(amount: int) -> str:
    """Return an amount the way a budget line reads: 25000000 -> "Rp 25.000.000"."""
    return f"Rp {format_number(amount)}"


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or bool(pd.isna(value))


def _day(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, datetime):  # a pandas Timestamp is one too
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def _text(value: Any) -> str:
    return "" if _blank(value) else str(value).strip()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The editor's rows, without the empty rows a person leaves when adding one."""
    return [r for r in frame.to_dict("records") if not all(_blank(v) for v in r.values())]


def _frame(columns: dict[str, str], rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A table with typed columns even when empty, so the editor knows each column's kind."""
    data = {
        name: pd.Series([r.get(name) for r in rows], dtype=kind) for name, kind in columns.items()
    }
    return pd.DataFrame(data)


def _editor(key: str, frame: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    return st.data_editor(frame, key=key, num_rows="dynamic", hide_index=True, width="stretch",
                          column_config=config)  # fmt: skip


def _clear(prefix: str) -> None:
    """Forget the widgets of a plan, so they show the stored plan on the next run."""
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


def compute(campaign_id: int) -> None:
    """Compute and store step 1's baseline from our own data (a button's callback)."""
    try:
        compute_baseline(write_factory(), campaign_id, now=utcnow(), actor=actor())
    except InputError as exc:
        flash("error", str(exc))
        return
    flash("success", "Baseline computed from our data and stored in step 1.")


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


def analysis_step(k: str, campaign_id: int | None, plan: Plan | None) -> dict[str, Any]:
    """Show step 1 with its read-only baseline; return the step as the plan stores it."""
    a = plan.analysis if plan else None
    left, right = st.columns([1, 3])
    code = left.text_input("Region code", value=a.region_code if a else "", key=f"{k}region_code",
                           help="Kemendagri code: 35 (Jawa Timur), 3578 (Kota Surabaya)…")  # fmt: skip
    name = right.text_input("Region name", value=a.region_name if a else "", key=f"{k}region_name")
    pct = st.number_input("People who know LAPOR! (%)", min_value=0.0, max_value=100.0,
                          value=a.knowledge_pct if a else None, key=f"{k}knowledge_pct")  # fmt: skip
    knowledge = st.text_area("What people in the region know of LAPOR!",
                             value=a.public_knowledge if a else "", key=f"{k}knowledge")  # fmt: skip
    people = st.text_area("Demographics (age, access, language)",
                          value=a.demographics if a else "", key=f"{k}demographics")  # fmt: skip
    st.markdown("**Baseline from our data** (read-only)")
    base = a.baseline if a else None
    if base is None:
        st.caption("No baseline yet.")
    else:
        st.caption(f"Weekly averages over {base.weeks} weeks, {base.from_date} to {base.to_date}; "
                   f"computed {wib(base.computed_at)} WIB.")  # fmt: skip
        cols = st.columns(4)
        for col, (title, value) in zip(cols, (
            ("Mentions / week", base.mentions_per_week),
            ("Hashtag uses / week", base.hashtag_uses_per_week),
            ("Complaint leads / week", base.leads_per_week),
            ("Reports / week", base.reports_per_week),
        ), strict=True):  # fmt: skip
            col.metric(title, format_number(value, 1))
    if compute_baseline is None:
        st.caption("Computing the baseline is not available in this installation yet.")
    elif campaign_id is None:
        st.caption("Create the campaign first; then compute its baseline from our data.")
    else:
        st.button("Compute baseline from our data", key=f"baseline_{campaign_id}",
                  on_click=compute, args=(campaign_id,))  # fmt: skip
    return {"region_code": code, "region_name": name, "public_knowledge": knowledge,
            "knowledge_pct": pct, "demographics": people,
            "baseline": base.model_dump(mode="json") if base else None}  # fmt: skip


def evaluation_step(plan: Plan | None) -> None:
    """Show step 9 as the system stored it: each objective's light, and the verdict."""
    st.caption("Filled by the system from the figures; it cannot be typed in.")
    result = plan.evaluation if plan else None
    if result is None:
        st.info("No evaluation yet: the Evaluation page fills this step once there are figures.")
        return
    st.markdown(
        f"**Verdict:** {md(result.verdict or 'none')} · evaluated {wib(result.evaluated_at)} WIB"
    )
    for kpi in result.kpis:
        colour, word = LIGHTS[kpi.light]
        unit = KPI_METRICS.get(kpi.metric, ("", ""))[1]
        actual = "no figure" if kpi.actual is None else format_number(kpi.actual, 1)
        line = (f":{colour}-badge[{word}] **{md(KPI_METRICS.get(kpi.metric, (kpi.metric,))[0])}**: "
                f"{actual} of {format_number(kpi.target, 1)} {unit}")  # fmt: skip
        st.markdown(line + (f" · {md(kpi.note)}" if kpi.note else ""))


def plan_fields(k: str, campaign_id: int | None, plan: Plan | None, today: date) -> dict[str, Any]:
    """Show the ten steps as fields; return the plan they hold, as parse_plan takes it."""
    name = st.text_input("Campaign name", value=plan.name if plan else "", key=f"{k}name")
    tabs = st.tabs([f"{i}. {title}" for i, title in enumerate(STEP_TITLES, 1)])
    with tabs[0]:
        analysis = analysis_step(k, campaign_id, plan)
    with tabs[1]:
        statement = st.text_area("What should change", key=f"{k}statement",
                                 value=plan.objectives.statement if plan else "")  # fmt: skip
        kpis = _editor(f"{k}kpis", _frame({"Objective": "object", "Target": "object"}, [
            {"Objective": METRIC_NAMES[x.metric], "Target": x.target}
            for x in (plan.objectives.kpis if plan else [])
        ]), {"Objective": st.column_config.SelectboxColumn(options=list(METRICS), required=True),
             "Target": st.column_config.NumberColumn(min_value=0, required=True)})  # fmt: skip
        st.caption("One target per measure; the evaluation computes each of them.")
    with tabs[2]:
        primary = st.text_area("Primary audiences (one a line)", key=f"{k}primary",
                               value="\n".join(plan.audiences.primary) if plan else "")  # fmt: skip
        secondary = st.text_area("Secondary audiences (one a line)", key=f"{k}secondary",
                                 value="\n".join(plan.audiences.secondary) if plan else "")  # fmt: skip
    with tabs[3]:
        messages = st.text_area("Key messages (one a line)", key=f"{k}messages",
                                value="\n".join(plan.messages.key_messages) if plan else "")  # fmt: skip
        tags = st.text_input("Hashtags", key=f"{k}hashtags", placeholder="#BeraniLAPOR #AyokLAPOR",
                             value=" ".join(f"#{t}" for t in plan.messages.hashtags) if plan else "")  # fmt: skip
    with tabs[4]:
        modes = ["online", "offline", "both"]
        approach = st.radio("Approach", modes, horizontal=True, key=f"{k}approach",
                            index=modes.index(plan.strategy.approach) if plan else 2)  # fmt: skip
        rationale = st.text_area("Why", key=f"{k}rationale",
                                 value=plan.strategy.rationale if plan else "")  # fmt: skip
    with tabs[5]:
        tactics = _editor(f"{k}tactics", _frame(
            {"Name": "object", "Mode": "object", "Kind": "object", "Date": "object",
             "Location": "object", "Notes": "object"},
            [{"Name": t.name, "Mode": t.mode, "Kind": label(t.kind), "Date": t.on,
              "Location": t.location, "Notes": t.notes} for t in (plan.tactics if plan else [])],
        ), {"Mode": st.column_config.SelectboxColumn(options=["online", "offline"], required=True),
            "Kind": st.column_config.SelectboxColumn(options=list(KINDS)),
            "Date": st.column_config.DateColumn(format="D MMM YYYY")})  # fmt: skip
    with tabs[6]:
        left, right = st.columns(2)
        starts = left.date_input("Starts on", key=f"{k}starts",
                                 value=plan.timing.starts_on if plan else today + timedelta(days=7))  # fmt: skip
        ends = right.date_input("Ends on", key=f"{k}ends",
                                value=plan.timing.ends_on if plan else today + timedelta(days=36))  # fmt: skip
        st.markdown("**Events** (our own, or one we join: Car Free Day, mudik safari)")
        events = _editor(f"{k}events", _frame(
            {"Name": "object", "Date": "object", "Joined to": "object"},
            [{"Name": e.name, "Date": e.on, "Joined to": e.joined_to}
             for e in (plan.timing.events if plan else [])],
        ), {"Date": st.column_config.DateColumn(format="D MMM YYYY", required=True)})  # fmt: skip
    with tabs[7]:
        budget = st.number_input("Budget (rupiah)", min_value=0, step=1_000_000, key=f"{k}budget",
                                 value=plan.resources.budget_rupiah if plan else 0)  # fmt: skip
        st.caption(rupiah(int(budget or 0)))
        staff = _editor(f"{k}staff", _frame({"Name": "object", "Role": "object"}, [
            {"Name": s.name, "Role": s.role} for s in (plan.resources.staff if plan else [])
        ]), {})  # fmt: skip
        notes = st.text_area("Notes", key=f"{k}resource_notes",
                             value=plan.resources.notes if plan else "")  # fmt: skip
    with tabs[8]:
        evaluation_step(plan)
    with tabs[9]:
        review = plan.review if plan else None
        review_notes = st.text_area("What we learnt", key=f"{k}review_notes",
                                    value=review.notes if review else "")  # fmt: skip
        changes = st.text_area("Changes to the programme (one a line)", key=f"{k}changes",
                               value="\n".join(review.changes) if review else "")  # fmt: skip
        if review and review.reviewed_by:
            st.caption(f"Last reviewed by {md(review.reviewed_by)} {wib(review.reviewed_at)} WIB.")
    said = (review_notes.strip(), _lines(changes))
    stamp = review.model_dump(mode="json", include={"reviewed_by", "reviewed_at"}) if review else {}
    if said != ((review.notes, review.changes) if review else ("", [])) and any(said):
        stamp = {"reviewed_by": actor(), "reviewed_at": utcnow().isoformat()}  # who changed it
    return {
        "name": name,
        "analysis": analysis,
        "objectives": {"statement": statement, "kpis": [
            {"metric": METRICS.get(_text(r["Objective"]), _text(r["Objective"])),
             "target": None if _blank(r["Target"]) else float(r["Target"])}
            for r in _records(kpis)
        ]},
        "audiences": {"primary": _lines(primary), "secondary": _lines(secondary)},
        "messages": {"key_messages": _lines(messages),
                     "hashtags": [t for t in re.split(r"[\s,;]+", tags or "") if t]},
        "strategy": {"approach": approach, "rationale": rationale},
        "tactics": [
            {"name": _text(r["Name"]), "mode": _text(r["Mode"]) or None,
             "kind": KINDS.get(_text(r["Kind"]), _text(r["Kind"]) or "other"),
             "on": _day(r["Date"]), "location": _text(r["Location"]), "notes": _text(r["Notes"])}
            for r in _records(tactics)
        ],
        "timing": {"starts_on": starts, "ends_on": ends, "events": [
            {"name": _text(r["Name"]), "on": _day(r["Date"]), "joined_to": _text(r["Joined to"])}
            for r in _records(events)
        ]},
        "resources": {"budget_rupiah": int(budget or 0), "notes": notes, "staff": [
            {"name": _text(r["Name"]), "role": _text(r["Role"])} for r in _records(staff)
        ]},
        "review": {**stamp, "notes": review_notes, "changes": _lines(changes)},
    }  # fmt: skip


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
