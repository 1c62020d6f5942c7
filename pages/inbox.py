"""Inbox page: ranked leads with suggestions, groups and personal-data flags; claim, convert,
dismiss, merge, release."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import streamlit as st

from core.casework import DISMISS_REASONS, KINDS
from core.clock import utcnow
from core.errors import InputError
from handler import report_views, views
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

PAGE_SIZE = 25
_CONVERTING = "_inbox_converting"  # the lead whose convert form is open
_CONVERTED = "_inbox_converted"  # (report id, tracking id) just made, for the reply step
URGENCY = {"darurat": ":red-badge[darurat]", "tinggi": ":orange-badge[tinggi]"}
REASONS = {
    "not_complaint": "not a complaint",
    "duplicate": "duplicate",
    "spam": "spam",
    "bukan_wewenang": "bukan wewenang (outside our authority)",
    "other": "other (say why in the note)",
}


def label(slug: str | None) -> str:
    """Return a kind or sector slug for display ("permintaan_informasi" -> "permintaan informasi")."""
    return (slug or "unknown").replace("_", " ")


def _queue():  # noqa: ANN202 - the queue module is loaded only when a button needs it
    from handler.queue import SqlLeadQueue

    return SqlLeadQueue(write_factory(), lease=timedelta(minutes=settings().lease_minutes))


def _active_members(cluster_id: int) -> list[int]:
    with reading() as session:
        members = views.cluster_members(session, cluster_id)
    return [m.lead_id for m in members if m.state in ("open", "claimed")]


def claim(lead_id: int) -> None:
    try:
        lead = _queue().claim(lead_id, actor(), utcnow())
    except InputError as exc:
        flash("error", str(exc))
        return
    flash("success", f"Lead {lead_id} is yours until {wib(lead.lease_expires_at, '%H:%M')}.")


def release(lead_id: int) -> None:
    try:
        _queue().release(lead_id, actor(), utcnow())
    except InputError as exc:
        flash("error", str(exc))
        return
    flash("info", f"Lead {lead_id} is back in the queue.")


def dismiss(lead_id: int, cluster_id: int) -> None:
    reason = st.session_state.get(f"dismiss_reason_{lead_id}")
    note = st.session_state.get(f"dismiss_note_{lead_id}")
    ids = _active_members(cluster_id) or [lead_id]
    try:
        _queue().dismiss(ids, actor(), reason, note, utcnow())
    except InputError as exc:
        flash("error", str(exc))
        return
    what = f"Lead {lead_id}" if len(ids) == 1 else f"The group of {len(ids)} leads"
    flash("success", f"{what} dismissed: {REASONS.get(reason, reason)}.")


def merge(shown: Sequence[int]) -> None:
    picked = [i for i in shown if st.session_state.get(f"pick_{i}")]
    if len(picked) < 2:
        flash("warning", "Tick at least two leads to merge them into one group.")
        return
    try:
        _queue().merge(picked[1:], picked[0], actor(), utcnow())
    except InputError as exc:
        flash("error", str(exc))
        return
    for i in picked:
        st.session_state[f"pick_{i}"] = False
    flash("success", f"{len(picked)} leads merged into the group of lead {picked[0]}.")


def open_convert(lead_id: int) -> None:
    st.session_state[_CONVERTING] = lead_id


def convert(lead_id: int, cluster_id: int) -> None:
    from handler.reports import convert as make_report

    get = st.session_state.get
    ids = _active_members(cluster_id) if get(f"cv_group_{lead_id}") else [lead_id]
    now = utcnow()
    try:
        for i in ids or [lead_id]:
            _queue().claim(i, actor(), now)  # converting needs the claim; renews one's own
        report = make_report(
            write_factory(),
            ids or [lead_id],
            actor=actor(),
            settings=settings(),
            now=now,
            kind=get(f"cv_kind_{lead_id}"),
            sector=(get(f"cv_sector_{lead_id}") or "").strip() or None,
            title=(get(f"cv_title_{lead_id}") or "").strip() or None,
            location=(get(f"cv_location_{lead_id}") or "").strip() or None,
            region_code=(get(f"cv_region_{lead_id}") or "").strip() or None,
            anonim=bool(get(f"cv_anonim_{lead_id}")),
            rahasia=bool(get(f"cv_rahasia_{lead_id}")),
            priority=bool(get(f"cv_priority_{lead_id}")),
            agency_code=get(f"cv_agency_{lead_id}") or None,
        )
    except InputError as exc:
        flash("error", str(exc))
        return
    st.session_state.pop(_CONVERTING, None)
    st.session_state[_CONVERTED] = (report.id, report.tracking_id)
    flash("success", f"Report {report.tracking_id} made from {len(ids) or 1} mention(s).")


def send(report_id: int) -> None:
    from handler.replies import send_reply

    text = st.session_state.get(f"reply_text_{report_id}") or ""
    try:
        message = send_reply(write_factory(), report_id=report_id, text=text, actor=actor(),
                             settings=settings(), now=utcnow())  # fmt: skip
    except InputError as exc:
        flash("error", str(exc))
        return
    where = platform_label(message.platform)
    if message.state == "sent":
        st.session_state.pop(_CONVERTED, None)
        flash("success", f"Reply sent on {where}.")
    else:
        flash("warning", f"Reply {message.state} on {where}: {message.error or 'no detail'}")


def reply_step() -> None:
    """After a conversion: the reply the citizen will get (editable), and a Send button."""
    from handler.replies import preview

    report_id, tracking = st.session_state[_CONVERTED]
    with reading() as session:
        report = report_views.report(session, report_id)
    if report is None:
        st.session_state.pop(_CONVERTED, None)
        return
    with st.container(border=True, key="reply_step"):
        st.markdown(f"**Reply to the citizen for {tracking}** on "
                    f"{platform_label(report.reporter_platform or '')}")  # fmt: skip
        try:
            text = preview(report, "received", settings())
        except InputError as exc:
            st.warning(str(exc))
            text = ""
        st.text_area("Reply text", value=text, key=f"reply_text_{report_id}", height=110,
                     help="Edit before sending; X allows 280 characters.")  # fmt: skip
        row = st.container(horizontal=True, vertical_alignment="center")
        row.button("Send reply", key="send_reply", type="primary", on_click=send,
                   args=(report_id,))  # fmt: skip
        row.button("Not now", key="skip_reply", on_click=st.session_state.pop,
                   args=(_CONVERTED, None))  # fmt: skip
        chars = len(st.session_state.get(f"reply_text_{report_id}") or text)
        row.caption(f"{chars} characters")


def convert_form(row: views.InboxRow, sectors: list[str], agencies: list[tuple[str, str]]) -> None:
    """The conversion form, prefilled with the lead's suggestions."""
    from handler.reports import make_title

    lid = row.lead_id
    sectors = sorted({*sectors, row.sector or "lainnya"})
    names = dict(agencies)
    suggested = f"routing: {row.agency_code}" if row.agency_code else "routing decides"
    with st.form(f"convert_{lid}", border=True):
        a, b, c = st.columns(3)
        kinds = list(KINDS)
        a.selectbox("Kind", kinds, index=kinds.index(row.kind) if row.kind in kinds else 0,
                    format_func=label, key=f"cv_kind_{lid}")  # fmt: skip
        b.selectbox("Sector", sectors, index=sectors.index(row.sector or "lainnya"),
                    format_func=label, accept_new_options=True, key=f"cv_sector_{lid}")  # fmt: skip
        c.selectbox("Agency", ["", *names], key=f"cv_agency_{lid}",
                    format_func=lambda code: f"{code} — {names[code]}" if code else suggested,
                    help=row.routing_rule or "No routing rule matched; choose one.")  # fmt: skip
        st.text_input("Title", value=make_title(row.text), key=f"cv_title_{lid}", max_chars=300)
        d, e = st.columns([3, 1])
        d.text_input("Location", key=f"cv_location_{lid}", placeholder="e.g. Jl. Ahmad Yani")
        e.text_input("Region code", key=f"cv_region_{lid}", placeholder="e.g. 3578")
        flags = st.container(horizontal=True)
        flags.checkbox("Anonim", value=bool(row.pii), key=f"cv_anonim_{lid}",
                       help="Hide the reporter; ticked when personal data was found.")  # fmt: skip
        flags.checkbox("Rahasia", key=f"cv_rahasia_{lid}", help="The report is not public.")
        flags.checkbox("Priority", key=f"cv_priority_{lid}", help="Answered in calendar days.")
        if row.group_size > 1:
            flags.checkbox(f"Whole group ({row.group_size})", value=True, key=f"cv_group_{lid}")
        st.form_submit_button("Make report", type="primary", on_click=convert,
                              args=(lid, row.cluster_id))  # fmt: skip


def lead_card(
    row: views.InboxRow, reveal: bool, sectors: list[str], agencies: list[tuple[str, str]]
) -> None:
    """One lead: suggestions with confidence, text, who and when, its claim, and the actions."""
    text = row.text if reveal or not row.pii else views.masked(row.text, row.pii)
    mine = row.claim_active and row.claimed_by == actor()
    with st.container(border=True, key=f"lead_{row.lead_id}"):
        head = [
            URGENCY.get(row.urgency, ":gray-badge[normal]"),
            f"**{label(row.kind)}** {row.kind_confidence:.0%}",
            f"**{label(row.sector)}** {row.sector_confidence:.0%}",
            f"score {row.complaint_score:.2f}",
        ]
        if row.group_size > 1:
            head.append(f":blue-badge[group of {row.group_size}]")
        if row.pii:
            head.append(f":violet-badge[personal data: {', '.join(row.pii_types)}]")
        if row.agency_code:
            head.append(f"→ {md(row.agency_code)}")
        st.markdown(" · ".join(head), help=row.routing_rule or row.urgency_reason)
        st.text(text)
        who = f"@{row.author_handle}" if row.author_handle else row.author_name or "unknown"
        meta = f"{platform_label(row.platform)} · {md(who)} · {wib(row.created_at)}"
        if row.url:
            meta += f" · [open]({row.url})"
        if row.claim_active:
            meta += f" · claimed by **{md(row.claimed_by or '')}** until "
            meta += wib(row.lease_expires_at, "%H:%M")
        elif row.claimed_by and row.state == "claimed":
            meta += f" · {md(row.claimed_by)}'s lease ran out"
        st.caption(meta)
        bar = st.container(horizontal=True, vertical_alignment="center")
        lid = row.lead_id
        if mine:
            bar.button("Release", key=f"release_{lid}", on_click=release, args=(lid,))
        else:
            bar.button("Claim", key=f"claim_{lid}", on_click=claim, args=(lid,),
                       disabled=row.claim_active, type="primary")  # fmt: skip
        bar.button("Convert to report", key=f"convert_{lid}", on_click=open_convert,
                   args=(lid,), disabled=row.claim_active and not mine)  # fmt: skip
        with bar.popover(
            "Dismiss", key=f"dismiss_pop_{lid}", disabled=row.claim_active and not mine
        ):
            st.selectbox("Reason", list(DISMISS_REASONS), format_func=REASONS.get,
                         key=f"dismiss_reason_{lid}")  # fmt: skip
            st.text_input("Note", key=f"dismiss_note_{lid}")
            scope = "the whole group" if row.group_size > 1 else "this lead"
            st.button(f"Dismiss {scope}", key=f"dismiss_{lid}", on_click=dismiss,
                      args=(lid, row.cluster_id))  # fmt: skip
        bar.checkbox("Select", key=f"pick_{lid}", help="Tick leads, then merge them into a group.")
        if st.session_state.get(_CONVERTING) == lid:
            convert_form(row, sectors, agencies)


def reset_page() -> None:
    st.session_state["inbox_page"] = 0


def filters(sectors: list[str]) -> dict[str, object]:
    """The filter row; returns the keyword arguments for views.inbox."""
    a, b, c, d = st.columns([2, 2, 2, 3])
    sector = a.selectbox("Sector", ["", *sectors], format_func=lambda s: label(s) if s else "All",
                         key="inbox_sector", on_change=reset_page)  # fmt: skip
    kind = b.selectbox("Kind", ["", *KINDS], format_func=lambda k: label(k) if k else "All",
                       key="inbox_kind", on_change=reset_page)  # fmt: skip
    # Below 0.5 the model thinks it is praise, news, promotion, spam or chatter.
    score = c.slider("Min. complaint score", 0.0, 1.0, 0.5, 0.05, key="inbox_min_score",
                     on_change=reset_page,
                     help="Lower it to see what the model took for praise, news, spam or chatter.")  # fmt: skip
    text = d.text_input("Search text", key="inbox_text", on_change=reset_page,
                        placeholder="e.g. banjir")  # fmt: skip
    return {"sector": sector or None, "kind": kind or None, "min_score": score, "text": text}


st.sidebar.markdown(f"Acting as **{md(actor())}**")
st.sidebar.caption("Set LAPOR_HANDLER_NAME to change it (no sign-in yet).")
st.title("Inbox")
now = utcnow()
with reading() as session:
    counts = report_views.counts(session, now)
    sectors = views.lead_sectors(session)
    agencies = report_views.agencies(session)
m = st.columns(4)
m[0].metric("Open leads", counts.leads_open)
m[1].metric("Claimed", counts.leads_claimed)
m[2].metric("Reports overdue", counts.overdue)
m[3].metric("Reports due today", counts.due_today)

show_flash()
if _CONVERTED in st.session_state:
    reply_step()

chosen = filters(sectors)
page = st.session_state.setdefault("inbox_page", 0)
with reading() as session:
    rows = views.inbox(session, now=now, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE, **chosen)
more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]

tools = st.container(horizontal=True, vertical_alignment="center")
reveal = tools.toggle("Show personal data", key="reveal_pii",
                      help="Flagged NIK, phone numbers and emails are masked by default.")  # fmt: skip
tools.button("Merge selected into a group", key="merge", on_click=merge,
             args=([r.lead_id for r in rows],))  # fmt: skip
if not rows:
    st.info("No leads match these filters." if page == 0 else "No more leads.")
for row in rows:
    lead_card(row, reveal, sectors, agencies)

nav = st.container(horizontal=True, vertical_alignment="center")
nav.button("← Previous", key="inbox_prev", disabled=page == 0,
           on_click=st.session_state.__setitem__, args=("inbox_page", page - 1))  # fmt: skip
nav.caption(f"Page {page + 1} · {PAGE_SIZE} groups per page, best first · times in WIB")
nav.button("Next →", key="inbox_next", disabled=not more,
           on_click=st.session_state.__setitem__, args=("inbox_page", page + 1))  # fmt: skip
