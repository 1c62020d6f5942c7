"""Reports page: the board by status with deadline clocks, and one report's timeline and actions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.casework import REPORT_STATES
from core.clock import utcnow
from core.errors import InputError
from handler import lifecycle, report_views, views
from pages.common import (
    actor,
    flash,
    md,
    platform_label,
    reading,
    settings,
    show_flash,
    wib,
    write_factory,
)

CLOCKS = {"overdue": "overdue", "due_today": "due today", "on_time": "on time"}
CLOCK_COLOURS = {"overdue": "red", "due_today": "orange", "on_time": "green"}
CLOCK_FILTER = {"": "All", **CLOCKS, "none": "no deadline running"}
ICONS = {
    "mention": ":material/chat:",
    "audit": ":material/edit_note:",
    "reply": ":material/send:",
    "followup": ":material/account_balance:",
    "feedback": ":material/star:",
}
# Background of the board's Clock cell, so an overdue report stands out.
CLOCK_CELLS = {
    "overdue": "background-color: #fde2e1; color: #a4161a",
    "due today": "background-color: #fff1d6; color: #8a5300",
    "on time": "background-color: #e3f4e8; color: #1e6b34",
}


def label(slug: str | None) -> str:
    """Return a status, kind or sector slug for display."""
    return (slug or "").replace("_", " ")


def move(report_id: int, to: str) -> None:
    from handler.reports import transition

    note = (st.session_state.get(f"note_{report_id}") or "").strip() or None
    try:
        report = transition(write_factory(), report_id, to, actor=actor(), note=note,
                            settings=settings(), now=utcnow())  # fmt: skip
    except InputError as exc:
        flash("error", str(exc))
        return
    st.session_state[f"note_{report_id}"] = ""
    flash("success", f"{report.tracking_id} is now {label(report.status)}.")


def add_followup(report_id: int) -> None:
    from handler.followups import add_followup as store

    text = st.session_state.get(f"fu_text_{report_id}") or ""
    agency = (st.session_state.get(f"fu_agency_{report_id}") or "").strip() or None
    try:
        followup = store(write_factory(), report_id, text, agency_code=agency, author=actor(),
                         now=utcnow(), settings=settings())  # fmt: skip
    except InputError as exc:
        flash("error", str(exc))
        return
    told = ""
    if st.session_state.get(f"fu_notify_{report_id}"):
        from handler.replies import notify_followup

        try:
            sent = notify_followup(write_factory(), followup_id=followup.id, actor=actor(),
                                   settings=settings(), now=utcnow())  # fmt: skip
            told = f" The reporter was told on {sent.platform} ({sent.state})."
        except Exception as exc:  # the follow-up is stored; say why the notice did not go
            told = f" The notice to the reporter failed: {str(exc).rstrip('.')}."
    if followup.normative:
        flash("warning", f"Follow-up stored, flagged normative: {followup.normative_reason}.{told}")
    else:
        flash("success", f"Follow-up stored; it answers the report (not normative).{told}")


def resolve_reply(message_id: int, delivered: bool) -> None:
    from handler.replies import resolve

    try:
        resolve(write_factory(), message_id, delivered=delivered, actor=actor(), now=utcnow())
    except InputError as exc:
        flash("error", str(exc))
        return
    flash("success", "Marked delivered." if delivered else "Marked not delivered; send it again.")


def due_text(row: report_views.BoardRow) -> str:
    """Return "verification due Tue 10 Mar 23:59 WIB", or "" when no deadline runs."""
    if row.due_at is None or row.due_what is None:
        return ""
    return f"{report_views.DUE_LABELS[row.due_what]} due {wib(row.due_at, '%a %d %b %H:%M')} WIB"


def board(rows: list[report_views.BoardRow]) -> None:
    """One table per status, in lifecycle order, each sorted by clock."""
    for status in REPORT_STATES:
        group = [r for r in rows if r.status == status]
        if not group:
            continue
        st.markdown(f"**{label(status).capitalize()}** · {len(group)}")
        frame = pd.DataFrame(
            {
                "Tracking ID": [r.tracking_id for r in group],
                "Clock": [CLOCKS.get(r.clock or "", "—") for r in group],
                "Due (WIB)": [wib(r.due_at, "%a %d %b %H:%M") for r in group],
                "Deadline": [report_views.DUE_LABELS.get(r.due_what or "", "") for r in group],
                "Agency": [r.agency_code or "not routed" for r in group],
                "Kind": [label(r.kind) for r in group],
                "Sector": [label(r.sector) for r in group],
                "Title": [r.title for r in group],
                "Flags": [
                    ", ".join(
                        f
                        for f, on in (
                            ("anonim", r.anonim),
                            ("rahasia", r.rahasia),
                            ("priority", r.priority),
                        )
                        if on
                    )  # fmt: skip
                    for r in group
                ],
            }
        )
        styled = frame.style.map(lambda v: CLOCK_CELLS.get(v, ""), subset=["Clock"])
        st.dataframe(styled, hide_index=True, width="stretch", key=f"board_{status}",
                     column_config={"Title": st.column_config.TextColumn(width="large")})  # fmt: skip


def timeline(items: list[report_views.TimelineItem], reveal: bool) -> None:
    """The report's history, oldest first."""
    for item in items:
        who = f" · {md(item.actor)}" if item.actor else ""
        line = f"`{wib(item.at)}` {ICONS.get(item.kind, '•')} **{md(item.summary)}**{who}"
        if item.normative:
            line += f" :orange-badge[normative: {md(item.normative_reason or 'boilerplate')}]"
        st.markdown(line)
        if item.text:
            text = item.text if reveal else views.masked(item.text, item.pii)
            st.caption(md(text))


def public_preview(report: object, mention_texts: list[str]) -> None:
    """What the public (or the agency) would see: masked, reporter hidden under anonim."""
    from handler.reports import public_view

    audience = st.radio("Preview for", ["public", "agency"], horizontal=True, key="pv_audience")
    view = public_view(report, mention_texts, audience=audience)  # type: ignore[arg-type]
    if view is None:
        st.info("Rahasia: this report is not shown to the public.")
        return
    reporter = view.get("reporter")
    who = (
        f"{platform_label(reporter['platform'] or '')} @{reporter['handle']}"
        if reporter and reporter.get("handle")
        else "hidden (anonim)"
    )
    st.markdown(f"**{md(view['title'])}**")
    st.caption(f"Reporter: {md(who)} · agency {md(view.get('agency_code') or 'not routed')}")
    st.markdown(md(view["description"]))


def detail(report_id: int, now_board: dict[int, report_views.BoardRow]) -> None:
    """One report: its facts and clock, timeline, next steps, follow-up, public view."""
    with reading() as session:
        report = report_views.report(session, report_id)
        items = report_views.report_timeline(session, report_id)
        unchecked = report_views.unchecked_replies(session, report_id)
    if report is None:
        st.warning("That report no longer exists.")
        return
    row = now_board.get(report_id)
    st.subheader(f"{report.tracking_id} — {report.title}")
    facts = [
        f"**{label(report.status)}**",
        label(report.kind),
        label(report.sector),
        f"agency {md(report.agency_code or 'not routed')}"
        + (f"/{md(report.unit_code)}" if report.unit_code else ""),
        f"from {platform_label(report.reporter_platform or '')}"
        + (f" {md('@' + report.reporter_handle)}" if report.reporter_handle else ""),
        f"made by {md(report.created_by)} {wib(report.created_at)}",
    ]
    st.markdown(" · ".join(facts), help=report.routing_note)
    for reply in unchecked:  # never re-sent blindly: a person looks at the channel first
        st.warning(
            f"Nobody knows whether the reply of {wib(reply.created_at)} on "
            f"{platform_label(reply.platform)} arrived. Check the channel: {md(reply.text[:160])}"
        )
        bar = st.container(horizontal=True)
        bar.button("It arrived", key=f"delivered_{reply.id}", on_click=resolve_reply,
                   args=(reply.id, True))  # fmt: skip
        bar.button("It did not arrive", key=f"lost_{reply.id}", on_click=resolve_reply,
                   args=(reply.id, False))  # fmt: skip
    if row is not None and row.clock:
        colour = CLOCK_COLOURS[row.clock]
        st.markdown(f":{colour}-badge[{CLOCKS[row.clock]}] {due_text(row)}")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Timeline**")
        reveal = st.toggle("Show personal data", key="reports_reveal")
        timeline(items, reveal)
    with right:
        steps = lifecycle.next_steps(report.status)
        st.markdown("**Move to**")
        if steps:
            st.text_input("Note", key=f"note_{report_id}",
                          placeholder="why (needed to reject, bukan wewenang, send back)")  # fmt: skip
            bar = st.container(horizontal=True)
            for to in steps:
                bar.button(label(to), key=f"move_{report_id}_{to}", on_click=move,
                           args=(report_id, to))  # fmt: skip
        else:
            st.caption(f"{label(report.status).capitalize()} is final.")
        if report.status in ("dispatched", "followed_up"):
            with st.form(f"followup_{report_id}", clear_on_submit=True):
                st.markdown("**Agency follow-up**")
                st.text_area("Answer", key=f"fu_text_{report_id}")
                st.text_input("Agency code", value=report.agency_code or "",
                              key=f"fu_agency_{report_id}")  # fmt: skip
                st.checkbox("Tell the reporter on their channel and ask for a rating", value=True,
                            key=f"fu_notify_{report_id}")  # fmt: skip
                st.form_submit_button("Add follow-up", on_click=add_followup, args=(report_id,))
        st.markdown("**Public view**")
        public_preview(report, [i.text or "" for i in items if i.kind == "mention"])


st.sidebar.markdown(f"Acting as **{md(actor())}**")
st.title("Reports")
now = utcnow()
with reading() as session:
    counts = report_views.counts(session, now)
    agency_codes = [code for code, _ in report_views.agencies(session)]
running = sum(n for s, n in counts.reports_by_status.items() if s in report_views.CLOCKED_STATES)
m = st.columns(4)
m[0].metric("Reports in progress", running)
m[1].metric("Overdue", counts.overdue)
m[2].metric("Due today", counts.due_today)
m[3].metric("All reports", sum(counts.reports_by_status.values()))
show_flash()

a, b, c = st.columns([3, 2, 2])
statuses = a.multiselect("Status", list(REPORT_STATES), format_func=label,
                         placeholder="All statuses", key="board_status")  # fmt: skip
agency = b.selectbox("Agency", ["", *agency_codes], format_func=lambda x: x or "All",
                     key="board_agency")  # fmt: skip
clock = c.selectbox("Clock", list(CLOCK_FILTER), format_func=CLOCK_FILTER.get, key="board_clock")
with reading() as session:
    rows = report_views.report_board(session, now=now, settings=settings(), status=statuses or None,
                              agency=agency or None, clock=clock or None)  # fmt: skip
if not rows:
    st.info("No reports match these filters.")
    st.stop()
board(rows)
st.caption(f"{len(rows)} reports · deadlines in working days, Asia/Jakarta (WIB).")

st.divider()
by_id = {r.report_id: r for r in rows}
picked = st.selectbox("Open report", list(by_id), key="report_pick",
                      format_func=lambda i: f"{by_id[i].tracking_id} — {by_id[i].title}")  # fmt: skip
if picked is not None:
    detail(picked, by_id)
