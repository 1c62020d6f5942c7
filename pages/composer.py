"""Composer page: a post's text per channel with live copy checks, its time, its image, review."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from campaigns import post_views, posts, views
from content import copy
from core.clock import local, utcnow
from core.errors import InputError
from core.outreach import PUBLISH_CHANNELS
from pages.common import (
    acting_as_sidebar,
    actor,
    label,
    md,
    reading,
    reporting,
    settings,
    show_flash,
    wib,
    write_factory,
)
from pages.copy_check import show_check
from pages.media_picker import image_section, key

NEW = 0  # the post pick that opens an empty post
# Badge colours of post states; a draft or cancelled post is gray.
STATE_COLOURS = {"in_review": "blue", "approved": "green", "scheduled": "green", "failed": "red",
                 "publishing": "violet", "published": "violet"}  # fmt: skip
BACK_TO_REVIEW = ("approved", "scheduled", "failed")  # campaigns.posts.edit_post sends these back
LOCKED = ("publishing", "published", "cancelled")
DEFAULT_TIME = time(9, 0)  # a morning slot, when people read their feeds


def form_keys(pid: int) -> list[str]:
    """Return the session keys of post `pid`'s form."""
    return [str(k) for k in st.session_state if str(k).startswith(key(pid, ""))]


def forget(pid: int) -> None:
    """Drop post `pid`'s unsaved form, so it is filled from the store again."""
    for name in form_keys(pid):
        del st.session_state[name]


def seed(pid: int, detail: post_views.PostDetail | None, facts: post_views.CampaignFacts) -> None:
    """Fill the form of post `pid` from the store, once; later runs keep what the person typed."""
    when = detail and detail.scheduled_at and local(detail.scheduled_at, settings().timezone)
    texts = detail.texts if detail else {}
    values: dict[str, Any] = {
        "title": detail.title if detail else "",
        **{f"text_{ch}": texts.get(ch, "") for ch in PUBLISH_CHANNELS},
        "date": when.date() if when else None,
        "time": when.time() if when else DEFAULT_TIME,
        "media": detail.media.id if detail and detail.media else None,
        "ig_hashtags": " ".join(f"#{t}" for t in facts.hashtags[:1]) or "#BeraniLAPOR",
        "ig_footer": "Sumber: SP4N-LAPOR!",
    }
    for name, value in values.items():
        st.session_state.setdefault(key(pid, name), value)


def planned_at(pid: int) -> datetime | None:
    """Return the form's planned date and time (WIB) as aware UTC, or None without a date."""
    day, clock = st.session_state.get(key(pid, "date")), st.session_state.get(key(pid, "time"))
    if day is None:
        return None
    zone = ZoneInfo(settings().timezone)
    return datetime.combine(day, clock or DEFAULT_TIME, zone).astimezone(UTC)


def form(pid: int) -> dict[str, Any]:
    """Return the form of post `pid` as create_post / edit_post take it."""
    get = st.session_state.get
    return {
        "title": get(key(pid, "title")) or "",
        "versions": {ch: get(key(pid, f"text_{ch}")) or "" for ch in PUBLISH_CHANNELS},
        "scheduled_at": planned_at(pid),
        "media_id": get(key(pid, "media")),
    }


def stored(pid: int) -> post_views.PostDetail:
    """Return post `pid` as the store has it. Raises InputError when it is gone."""
    with reading() as session:
        detail = post_views.post_detail(session, pid)
    if detail is None:
        raise InputError(f"There is no post {pid}.")
    return detail


def content_changed(f: dict[str, Any], detail: post_views.PostDetail) -> bool:
    """True when the title, a channel's text or the image differ from the stored post."""
    texts = {ch: t.strip() for ch, t in f["versions"].items() if t.strip()}
    media_id = detail.media.id if detail.media else None
    return f["title"].strip() != detail.title or texts != detail.texts or f["media_id"] != media_id


def store(cid: int, pid: int) -> tuple[str, str]:
    """Store the form; return the flash level and the sentence for the person.

    Raises InputError with the service's sentence when the post cannot be saved.
    """
    f = form(pid)
    if pid == NEW:
        post = posts.create_post(write_factory(), cid, actor=actor(), now=utcnow(), **f)
        # What was typed for the new post becomes the saved post's form (preview included);
        # a file uploader's value cannot be set, so a chosen file is chosen again if needed.
        for name in form_keys(NEW):
            value = st.session_state.pop(name)
            if name != key(NEW, "up_file"):
                st.session_state[key(post.id, name[len(key(NEW, "")) :])] = value
        st.session_state["composer_post"] = post.id
        return "success", f"Draft '{post.title}' saved."
    detail = stored(pid)
    if not content_changed(f, detail) and f["scheduled_at"] == detail.scheduled_at:
        return "info", "Nothing changed."
    post = posts.edit_post(write_factory(), pid, actor=actor(), now=utcnow(), **f)
    if detail.state != post.state and post.state == "in_review":
        return "warning", (f"Saved as version {post.version}. The post was {label(detail.state)}: "
                           "the change sent it back to review, and someone who did not write "
                           "it must approve it again.")  # fmt: skip
    return "success", f"Saved as version {post.version}."


save = reporting(store)


@reporting
def send_for_review(cid: int, pid: int) -> tuple[str, str]:
    store(cid, pid)
    pid = pid or st.session_state["composer_post"]  # a new post has its id now
    post = posts.submit(write_factory(), pid, actor=actor(), now=utcnow(), gate=copy.gate)
    return "success", (f"'{post.title}' is in review: another champion or the coordinator "
                       "approves it on the Approvals page.")  # fmt: skip


@reporting
def schedule_post(pid: int) -> tuple[str, str]:
    f = form(pid)
    if content_changed(f, stored(pid)):
        raise InputError("You changed the post: save it first (it goes back to review), or "
                         "discard the changes, before scheduling.")  # fmt: skip
    if f["scheduled_at"] is None:
        raise InputError("Choose the planned date and time first.")
    post = posts.schedule(write_factory(), pid, at=f["scheduled_at"], actor=actor(),
                          now=utcnow(), gate=copy.gate)  # fmt: skip
    return "success", f"'{post.title}' is scheduled for {wib(post.scheduled_at)} WIB."


@reporting
def unschedule_post(pid: int) -> tuple[str, str]:
    post = posts.unschedule(write_factory(), pid, actor=actor(), now=utcnow())
    return "info", f"'{post.title}' is off the schedule; it stays approved."


@reporting
def cancel_post(pid: int) -> tuple[str, str]:
    note = st.session_state.get(f"composer_cancel_note_{pid}") or ""
    post = posts.cancel(write_factory(), pid, actor=actor(), now=utcnow(), note=note)
    return "info", f"'{post.title}' is cancelled; it will not be published."


def pick_label(picks: dict[int, post_views.PostPick], pid: int) -> str:
    """Return "New post", or a post's title, state and planned time."""
    p = picks.get(pid)
    when = f" · {wib(p.scheduled_at, '%a %d %b %H:%M')}" if p and p.scheduled_at else ""
    return f"{p.title} · {label(p.state)}{when}" if p else "New post"


def status(detail: post_views.PostDetail) -> None:
    """Where the post stands, and what saving it now would do."""
    parts = [f":{STATE_COLOURS.get(detail.state, 'gray')}-badge[{label(detail.state)}]",
             f"version {detail.version}", f"by {md(detail.author)}"]  # fmt: skip
    if detail.edited_by != detail.author:
        parts.append(f"last edited by {md(detail.edited_by)}")
    if detail.approved_by:
        parts.append(f"approved by {md(detail.approved_by)} {wib(detail.approved_at)}")
    if detail.scheduled_at:
        parts.append(f"planned {wib(detail.scheduled_at)} WIB")
    st.markdown(" · ".join(parts))
    if detail.problem:
        st.error(md(detail.problem))
    if detail.state == "draft" and detail.review_note:
        st.warning(f"Sent back by the reviewer: {md(detail.review_note)}")
    if detail.state in BACK_TO_REVIEW:
        st.warning(f"This post is {label(detail.state)}. Saving any change sends it back to "
                   "review: it will not be published until someone who did not write it "
                   "approves it again.")  # fmt: skip
    elif detail.state in LOCKED:
        st.info(f"This post is {label(detail.state)}; it can no longer be changed.")


def actions(cid: int, pid: int, state: str | None) -> None:
    """The buttons that fit the post's state."""
    if state in LOCKED:
        return
    bar = st.container(horizontal=True, vertical_alignment="center")
    save_label = {None: "Save draft", "draft": "Save draft", "in_review": "Save changes"}
    bar.button(save_label.get(state, "Save changes (back to review)"), key="composer_save",
               on_click=save, args=(cid, pid))  # fmt: skip
    if state in (None, "draft"):
        bar.button("Send for review", key="composer_submit", type="primary",
                   on_click=send_for_review, args=(cid, pid))  # fmt: skip
    if state == "approved":
        bar.button("Schedule", key="composer_schedule", type="primary", on_click=schedule_post,
                   args=(pid,), help="At the planned time; a past time publishes now.")  # fmt: skip
    if state == "scheduled":
        bar.button("Unschedule", key="composer_unschedule", on_click=unschedule_post, args=(pid,))
    if pid != NEW:
        bar.button("Discard changes", key="composer_discard", on_click=forget, args=(pid,))
    if pid != NEW and state in posts.CANCELLABLE:
        with bar.popover("Cancel post"):
            st.text_input("Why (optional)", key=f"composer_cancel_note_{pid}")
            st.button("Cancel this post", key="composer_cancel", on_click=cancel_post, args=(pid,))


acting_as_sidebar()
st.title("Composer")
show_flash()
with reading() as session:
    campaigns = views.campaign_rows(session, local(utcnow(), settings().timezone).date())
if not campaigns:
    st.info("There is no campaign yet: plan one on the Campaigns page first.")
    st.stop()
names = {c.id: c.name + (" (template)" if c.phase == "template" else "") for c in campaigns}
top = st.columns([2, 3])
cid = top[0].selectbox("Campaign", list(names), format_func=names.get, key="composer_campaign")
with reading() as session:
    facts = post_views.campaign_facts(session, cid)
    picks = {p.post_id: p for p in post_views.campaign_posts(session, cid)}
if facts is None:
    st.warning("That campaign no longer exists.")
    st.stop()
pid = top[1].selectbox("Post", [NEW, *picks], format_func=lambda i: pick_label(picks, i),
                       key="composer_post")  # fmt: skip
detail = stored(pid) if pid != NEW else None
state = detail.state if detail else None
locked = state in LOCKED
seed(pid, detail, facts)
if detail:
    status(detail)
if facts.hashtags:
    st.caption(f"Campaign hashtags: {md(' '.join('#' + t for t in facts.hashtags))}")

st.text_input("Title", key=key(pid, "title"), max_chars=300, disabled=locked,
              help="The calendar and the reviewers' queue show it.")  # fmt: skip
has_media = st.session_state.get(key(pid, "media")) is not None
variants = {v.channel: v for v in detail.versions} if detail else {}
for column, channel in zip(st.columns(len(PUBLISH_CHANNELS)), PUBLISH_CHANNELS, strict=True):
    name = copy.NAMES[channel]
    with column:
        text = st.text_area(name, key=key(pid, f"text_{channel}"), height=200, disabled=locked,
                            help=f"Leave it empty and it is not published on {name}.")  # fmt: skip
        if text.strip():
            show_check(copy.check(text, channel, hashtags=facts.hashtags, has_media=has_media))
        else:
            st.caption(f"Empty: not published on {name}.")
        variant = variants.get(channel)
        if variant is not None and variant.state != "pending":
            why = f" — {md(variant.last_error)}" if variant.last_error else ""
            st.caption(f"On {name}: {label(variant.state)}{why}")

st.markdown("**Planned time (WIB)**")
a, b, _ = st.columns([2, 2, 3])
a.date_input("Date", value=None, format="DD/MM/YYYY", key=key(pid, "date"), disabled=locked)
b.time_input("Time (WIB)", value=None, step=300, key=key(pid, "time"), disabled=locked)
st.caption("No date: the post stays unplanned. Approving it with a future time schedules it.")

image_section(pid, cid, facts, locked)
st.divider()
actions(cid, pid, state)
