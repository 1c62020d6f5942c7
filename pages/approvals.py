"""Approvals page: posts in review with each channel's copy checks, image and history; decide."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from campaigns import post_views, posts
from content import copy, media
from core.clock import utcnow
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
from pages.copy_check import show_check

ACTIONS = {
    "create": "created",
    "edit": "edited",
    "submit": "sent for review",
    "approve": "approved",
    "send_back": "sent back",
    "schedule": "scheduled",
    "unschedule": "taken off the schedule",
    "cancel": "cancelled",
    "retry": "retried",
}
DECIDED = {"approve": ":green-badge[approved]", "send_back": ":orange-badge[sent back]"}


def approve(post_id: int) -> None:
    note = (st.session_state.get(f"review_note_{post_id}") or "").strip() or None
    try:
        post = posts.approve(write_factory(), post_id, actor=actor(), now=utcnow(),
                             gate=copy.gate, note=note)  # fmt: skip
    except InputError as exc:
        flash("error", str(exc))
        return
    st.session_state[f"review_note_{post_id}"] = ""
    if post.state == "scheduled":
        flash("success", f"'{post.title}' approved and scheduled for {wib(post.scheduled_at)} WIB.")
    else:
        flash("success", f"'{post.title}' approved; it has no future time yet, so schedule it "
                         "in the Composer.")  # fmt: skip


def send_back(post_id: int) -> None:
    note = st.session_state.get(f"review_note_{post_id}") or ""
    try:
        post = posts.send_back(write_factory(), post_id, actor=actor(), note=note, now=utcnow())
    except InputError as exc:
        flash("error", str(exc))
        return
    st.session_state[f"review_note_{post_id}"] = ""
    flash("info", f"'{post.title}' went back to {post.author} as a draft, with your note.")


def queue_table(rows: list[post_views.QueueRow]) -> None:
    """The posts waiting for a decision, soonest planned time first."""
    frame = pd.DataFrame(
        {
            "Campaign": [r.campaign_name for r in rows],
            "Title": [r.title for r in rows],
            "Author": [
                r.author + (f" (edited by {r.edited_by})" if r.edited_by != r.author else "")
                for r in rows
            ],
            "Planned (WIB)": [wib(r.scheduled_at) or "not planned" for r in rows],
            "Channels": [", ".join(copy.NAMES[c] for c in r.channels) for r in rows],
            "Image": ["yes" if r.has_media else "" for r in rows],
        }
    )
    st.dataframe(frame, hide_index=True, width="stretch", key="review_queue")


def timeline(entries: list[post_views.TimelineEntry]) -> None:
    """The post's history from the audit log, oldest first."""
    for e in entries:
        moved = f" ({label(e.state_from)} → {label(e.state_to)})" if e.state_from else ""
        what = ACTIONS.get(e.action, label(e.action))
        st.markdown(f"`{wib(e.at)}` **{md(what)}**{moved} · {md(e.actor)}")
        if e.note:
            st.caption(md(e.note))


def image(view: post_views.MediaView | None) -> None:
    """The post's image with its alt text, or a word that it has none."""
    if view is None:
        st.caption("No image.")
        return
    try:
        path = media.asset_path(Path(settings().media_dir), view)
    except InputError as exc:
        st.warning(str(exc))
    else:
        st.image(str(path), width=320)
    st.markdown(f"**{md(view.title)}** · {view.width}×{view.height}")
    st.caption(f"Alt text: {md(view.alt_text)}")


def when_approved(detail: post_views.PostDetail) -> str:
    """Return what approving does with the post's time, in a sentence."""
    if detail.scheduled_at is None:
        return "No planned time: after approval, schedule it in the Composer."
    if detail.scheduled_at > utcnow():
        return f"Approving also schedules it for {wib(detail.scheduled_at)} WIB."
    return (f"Its planned time ({wib(detail.scheduled_at)} WIB) has passed: after approval, "
            "schedule it in the Composer.")  # fmt: skip


def review(post_id: int) -> None:
    """One post: every channel version with its checks, the image, the history, the decision."""
    with reading() as session:
        detail = post_views.post_detail(session, post_id)
        history = post_views.post_timeline(session, post_id)
    if detail is None:
        st.warning("That post no longer exists.")
        return
    st.subheader(detail.title)
    who = f"written by {md(detail.author)}"
    if detail.edited_by != detail.author:
        who += f", this version by {md(detail.edited_by)}"
    planned = f"planned {wib(detail.scheduled_at)} WIB" if detail.scheduled_at else "not planned"
    st.caption(f"{md(detail.campaign_name)} · {who} · version {detail.version} · {planned}")
    versions = st.columns(max(len(detail.versions), 1))
    for column, version in zip(versions, detail.versions, strict=False):
        with column, st.container(border=True):
            st.markdown(f"**{copy.NAMES[version.channel]}**")
            st.text(version.text)
            show_check(copy.check(version.text, version.channel, hashtags=detail.hashtags,
                                  has_media=detail.media is not None), say_ok=True)  # fmt: skip
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown("**Image**")
        image(detail.media)
        st.markdown("**History**")
        timeline(history)
    with right:
        st.markdown("**Decision**")
        st.text_area("Note", key=f"review_note_{post_id}",
                     placeholder="what to change (needed to send it back)")  # fmt: skip
        st.caption(when_approved(detail))
        bar = st.container(horizontal=True)
        bar.button("Approve", key=f"approve_{post_id}", type="primary", on_click=approve,
                   args=(post_id,))  # fmt: skip
        bar.button("Send back", key=f"send_back_{post_id}", on_click=send_back, args=(post_id,))


def decisions(rows: list[post_views.Decision]) -> None:
    """The latest approvals and send-backs, newest first."""
    if not rows:
        st.caption("No decisions yet.")
    for d in rows:
        note = f" — {md(d.note)}" if d.note else ""
        st.markdown(
            f"`{wib(d.at)}` {DECIDED.get(d.action, label(d.action))} **{md(d.title)}** "
            f"({md(d.campaign_name)}) by {md(d.actor)}, now {label(d.state_now)}{note}"
        )


acting_as_sidebar()
st.title("Approvals")
show_flash()
with reading() as session:
    queue = post_views.review_queue(session)
    recent = post_views.recent_decisions(session, limit=10)
if not queue:
    st.info("No post is waiting for review.")
else:
    st.caption(f"{len(queue)} posts in review · nobody approves a post they wrote.")
    queue_table(queue)
    by_id = {r.post_id: r for r in queue}
    picked = st.selectbox(
        "Open post",
        list(by_id),
        key="approval_pick",
        format_func=lambda i: f"{by_id[i].title} — {by_id[i].campaign_name}",
    )
    if picked is not None:
        review(picked)
st.divider()
st.markdown("**Recent decisions**")
decisions(recent)
