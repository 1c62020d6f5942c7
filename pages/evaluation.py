"""Evaluation page: did the campaign work? KPIs with traffic lights, report uplift, reach, export."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from campaigns import report
from campaigns.evaluate import CampaignEvaluation, KpiStatus, evaluate, overall, save
from campaigns.uplift import RISE
from campaigns.views import campaign_rows
from core.clock import local, utcnow
from core.errors import InputError
from pages.common import (
    acting_as_sidebar,
    flash,
    label,
    md,
    reading,
    settings,
    show_flash,
    write_factory,
)

LIGHTS = {"green": "green", "amber": "orange", "red": "red", "grey": "gray"}
GROUPS = {"all": "All", "sector": "Sector", "region": "Region"}


@st.cache_data(ttl=60, show_spinner="Counting mentions, leads and reports…")
def _evaluation(
    url: str, campaign_id: int, today: date, comparison: str | None
) -> CampaignEvaluation:
    del url  # part of the cache key: another store is another evaluation
    with reading() as session:
        return evaluate(session, campaign_id, today, comparison_region=comparison)


def kpi_tiles(e: CampaignEvaluation) -> None:
    """One tile per objective: actual against target, with its light and why."""
    if not e.kpis:
        st.info("The plan has no measurable objectives (step 2); add KPIs to judge it by.")
        return
    for start in range(0, len(e.kpis), 4):
        for column, k in zip(st.columns(4), e.kpis[start : start + 4], strict=False):
            _tile(column, k)


def _tile(column: DeltaGenerator, k: KpiStatus) -> None:
    percent = k.unit == "%"
    places = 1 if percent else 0
    # Counts show the bare number (the label names it), so a tile never cuts the figure off.
    actual = "–" if k.actual is None else report.number(k.actual, places) + ("%" if percent else "")
    target = report.number(k.target, places) + ("%" if percent else f" {k.unit}")
    column.metric(k.label, actual, help=f"Target: {target}")
    column.markdown(f":{LIGHTS[k.light]}-badge[{k.light}] {md(k.note)}")


def daily_chart(e: CampaignEvaluation) -> None:
    """Hashtag uses, leads and reports per day, coloured by window."""
    frame = pd.DataFrame(report.daily_rows(e))
    if frame.empty:
        return
    frame["date"] = pd.to_datetime(frame["date"])
    tabs = st.tabs(["Hashtag uses", "Reports", "Complaint leads", "Impressions"])
    for tab, column in zip(tabs[:3], ("hashtag_uses", "reports", "leads"), strict=True):
        tab.bar_chart(frame, x="date", y=column, color="window", height=240)
    impressions = frame[frame["impressions"] != ""]
    if impressions.empty:
        tabs[3].info("No figures of our posts yet (the scheduler collects them every 30 minutes).")
    else:
        tabs[3].line_chart(impressions, x="date", y="impressions", height=240)


def uplift_table(e: CampaignEvaluation) -> None:
    """The campaign window (and the stretch after it) against the baseline, by group."""
    rows = [
        {"Window": r.window, "Measure": r.measure, "Group": GROUPS[r.group],
         "Which": label(r.key, "all"),
         "During": r.ratio.a, "Before": r.ratio.b, "Days": int(r.ratio.t1),
         "Ratio": r.ratio.estimate, "95% CI": f"{r.ratio.low:.2f}–{r.ratio.high:.2f}",
         "p": r.ratio.p_value, "Verdict": r.ratio.verdict}
        for r in e.figures.uplift
    ]  # fmt: skip
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"Ratio": st.column_config.NumberColumn(format="%.2f"),
                                "p": st.column_config.NumberColumn(format="%.3f")})  # fmt: skip
    st.caption(
        "Rate ratios of events per day, exact 95% intervals (Poisson, conditional on the total). "
        "With many sectors and regions, about one row in twenty reads 'larger than chance' by "
        "chance alone: trust the overall rows first."
    )


def posts_table(e: CampaignEvaluation) -> None:
    perf = e.figures.performance
    totals = perf.totals
    cols = st.columns(4)
    cols[0].metric("Impressions", report.number(totals.get("impressions")))
    cols[1].metric("Reach", report.number(totals.get("reach")))
    cols[2].metric("Engagements", report.number(perf.engagements))
    rate = perf.engagement_rate
    cols[3].metric("Engagement rate", "–" if rate is None else f"{report.number(rate * 100, 2)}%")
    if not perf.posts:
        st.info("No post of this campaign is published yet.")
        return
    st.dataframe(
        pd.DataFrame([{"Post": p.title, "Channel": p.channel, "Impressions": p.impressions,
                       "Reactions": p.reactions, "Comments": p.comments, "Shares": p.shares,
                       "Engagements": p.engagements, "Link": p.url} for p in perf.posts]),
        hide_index=True, width="stretch",
        column_config={"Link": st.column_config.LinkColumn()},
    )  # fmt: skip


def uptake(e: CampaignEvaluation) -> None:
    u = e.figures.campaign.uptake
    cols = st.columns(3)
    cols[0].metric("Hashtag uses", report.number(u.uses))
    cols[1].metric("People who used them", report.number(u.authors))
    cols[2].metric("Before the campaign", report.number(e.figures.baseline.uptake.uses))
    if u.per_channel:
        st.bar_chart(pd.Series(dict(u.per_channel), name="uses"), height=200, horizontal=True)


def save_step9(e: CampaignEvaluation) -> None:
    save(write_factory(), e, utcnow())
    flash("success", "The evaluation is saved in step 9 of the plan.")


def downloads(e: CampaignEvaluation) -> None:
    made = report.charts(e)
    name = e.name.replace(" ", "_")[:40]
    row = st.container(horizontal=True)
    row.download_button("Report (PDF)", report.to_pdf(e, made), f"{name}.pdf", "application/pdf")
    row.download_button("Report (HTML)", report.to_html(e, made), f"{name}.html", "text/html")
    row.download_button("Daily figures (CSV)", report.to_csv(report.daily_rows(e)),
                        f"{name}_daily.csv", "text/csv")  # fmt: skip
    row.download_button("Uplift (CSV)", report.to_csv(report.uplift_rows(e)),
                        f"{name}_uplift.csv", "text/csv")  # fmt: skip


st.title("Evaluation")
acting_as_sidebar()
show_flash()
today = local(utcnow()).date()
with reading() as session:
    started = campaign_rows(session, today, phases=("running", "ended"))
if not started:
    st.info("No campaign has started yet. Plan one on the Campaigns page.")
    st.stop()
pick, when, other = st.columns([3, 1, 1])
chosen = pick.selectbox("Campaign", started, format_func=lambda c: f"{c.name} ({c.phase})",
                        key="eval_campaign")  # fmt: skip
as_of = when.date_input("Figures as of (WIB)", value=today, max_value=today, key="eval_as_of")
comparison = other.text_input("Comparison region", key="eval_comparison",
                              help="A region code the campaign did not reach, e.g. 3201") or None  # fmt: skip
try:
    evaluation = _evaluation(settings().database_url, chosen.id, as_of, comparison)
except InputError as exc:
    st.error(str(exc))
    st.stop()

st.subheader("Did it work?")
rose = overall(evaluation.figures, "reports").verdict == RISE
(st.success if rose else st.info)(evaluation.verdict)
st.caption(
    f"Campaign so far {evaluation.figures.campaign.window.start:%d %b} – "
    f"{evaluation.figures.campaign.window.end:%d %b %Y} ({evaluation.elapsed:.0%} of its days), "
    f"against the same number of days before it."
)
kpi_tiles(evaluation)
st.button("Save this evaluation to the plan (step 9)", on_click=save_step9, args=(evaluation,))
st.subheader("Per day")
daily_chart(evaluation)
st.subheader("Report uplift")
uplift_table(evaluation)
st.subheader("Hashtag uptake")
uptake(evaluation)
st.subheader("Our posts")
posts_table(evaluation)
st.subheader("Export")
downloads(evaluation)
