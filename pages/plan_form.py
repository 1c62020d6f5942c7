"""The campaign plan's ten steps as form fields, and their values as the plan dict."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from campaigns.plan import KPI_METRICS, STEP_TITLES, TACTIC_KINDS, Plan
from core.clock import utcnow
from core.errors import InputError
from core.numbers import format_number
from pages.common import actor, flash, label, md, wib, write_factory

try:  # campaigns.baseline is written alongside this form: the form works without it
    from campaigns.baseline import compute_baseline
except ImportError:
    compute_baseline = None

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


def compute(campaign_id: int) -> None:
    """Compute and store step 1's baseline from our own data (a button's callback)."""
    try:
        compute_baseline(write_factory(), campaign_id, now=utcnow(), actor=actor())
    except InputError as exc:
        flash("error", str(exc))
        return
    flash("success", "Baseline computed from our data and stored in step 1.")


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
