"""Calendar page: posts in trouble first, then each WIB day's posts by week or month, and the console."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from campaigns import posts, publish, views
from core.clock import local, utcnow
from core.outreach import POST_STATES, PUBLISH_CHANNELS
from pages.common import (
    acting_as_sidebar,
    actor,
    label,
    md,
    platform_label,
    reading,
    reporting,
    settings,
    show_flash,
    wib,
    write_factory,
)

STATE_COLOURS = {
    "draft": "gray", "in_review": "orange", "approved": "blue", "scheduled": "violet",
    "publishing": "blue", "published": "green", "failed": "red", "cancelled": "gray",
}  # fmt: skip
VERSION_ICONS = {
    "pending": ":material/schedule:", "publishing": ":material/sync:",
    "published": ":material/check_circle:", "failed": ":red[:material/error:]",
    "unknown": ":orange[:material/help:]", "cancelled": ":material/block:",
}  # fmt: skip
SPANS = {"week": "Week", "month": "Month"}


def badge(state: str) -> str:
    """Return a post state as a coloured badge (failed is red)."""
    return f":{STATE_COLOURS.get(state, 'gray')}-badge[{label(state)}]"


def channels(item: views.CalendarItem | views.AttentionItem) -> str:
    """Return the post's channels, each with an icon for where its version stands."""
    return " · ".join(
        f"{VERSION_ICONS.get(v.state, '')} {platform_label(v.channel)}" for v in item.versions
    )


@reporting
def retry(post_id: int) -> tuple[str, str]:
    """Publish a failed post's unpublished channels again, now (a button's callback)."""
    posts.retry(write_factory(), post_id, actor=actor(), now=utcnow())
    return "success", f"Post {post_id} is scheduled again: its unpublished channels go out now."


@reporting
def cancel(post_id: int) -> tuple[str, str]:
    """Cancel a failed post (a button's callback)."""
    posts.cancel(write_factory(), post_id, actor=actor(), now=utcnow(),
                 note="cancelled from the calendar after it failed")  # fmt: skip
    return "info", f"Post {post_id} is cancelled; channels that carry it keep it."


@reporting
def mark(variant_id: int, channel: str, posted: bool) -> tuple[str, str]:
    """Record what a person found on the channel for a version of unknown outcome."""
    publish.resolve_unknown(write_factory(), variant_id, posted=posted, actor=actor(),
                            now=utcnow())  # fmt: skip
    where = platform_label(channel)
    if posted:
        return "success", f"Marked posted on {where}."
    return "success", f"Marked not posted on {where}: it goes out again now."


def move(steps: int) -> None:
    """Move the calendar by `steps` weeks or months."""
    span = st.session_state.get("cal_span", "week")
    st.session_state["cal_anchor"] = views.step(st.session_state["cal_anchor"], span, steps)


def to_today() -> None:
    """Bring the calendar back to today (WIB)."""
    st.session_state["cal_anchor"] = local(utcnow(), settings().timezone).date()


def trouble(items: list[views.AttentionItem]) -> None:
    """The posts that failed or whose outcome is unknown, each with the actions that fit."""
    st.error(f"**Posts that need you: {len(items)}**. Each failed, or nobody knows whether it "
             "went out.", icon=":material/warning:")  # fmt: skip
    for item in items:
        with st.container(border=True):
            when = f" · planned {wib(item.scheduled_at)} WIB" if item.scheduled_at else ""
            st.markdown(f"{badge(item.state)} **{md(item.title)}** · {md(item.campaign_name)}{when}"
                        f"  \n{channels(item)}")  # fmt: skip
            if item.problem:
                st.markdown(f":red[{md(item.problem)}]")
            for v in item.unknown:
                later = (f" The system looks again at {wib(v.next_attempt_at, '%H:%M')} WIB."
                         if v.next_attempt_at else "")  # fmt: skip
                st.warning(f"Nobody knows whether {platform_label(v.channel)} carries it"
                           f"{': ' + md(v.last_error) if v.last_error else ''}. Check the channel, "
                           f"then mark it.{later}")  # fmt: skip
                bar = st.container(horizontal=True)
                bar.button(f"Mark posted on {platform_label(v.channel)}", key=f"posted_{v.variant_id}",
                           on_click=mark, args=(v.variant_id, v.channel, True))  # fmt: skip
                bar.button(f"Mark not posted on {platform_label(v.channel)}",
                           key=f"notposted_{v.variant_id}", on_click=mark,
                           args=(v.variant_id, v.channel, False))  # fmt: skip
            bar = st.container(horizontal=True)
            if item.can_retry:
                bar.button("Retry", key=f"retry_{item.post_id}", type="primary", on_click=retry,
                           args=(item.post_id,), help="Publish the channels that failed, now.")  # fmt: skip
            if item.can_cancel:
                bar.button("Cancel", key=f"cancel_{item.post_id}", on_click=cancel,
                           args=(item.post_id,))  # fmt: skip


def routes() -> None:
    """Where each channel's posts go, and why a channel posts to the console."""
    lines = ["**Where posts go**"]
    for r in views.channel_routes(settings()):
        if r.live:
            lines.append(f":green-badge[platform] **{platform_label(r.channel)}**")
        else:
            lines.append(
                f":gray-badge[console] **{platform_label(r.channel)}**: {md(r.reason or '')}"
            )
    st.markdown("  \n".join(lines))


def line(item: views.CalendarItem, compact: bool = False) -> str:
    """One post in a day: time, title, state badge, channels; with their states and the campaign
    unless compact."""
    text = f"`{wib(item.scheduled_at, '%H:%M')}` **{md(item.title)}** {badge(item.state)}"
    if compact:
        return f"{text}  \n:gray[{' · '.join(platform_label(v.channel) for v in item.versions)}]"
    return f"{text}  \n{channels(item)}  \n:gray[{md(item.campaign_name)}]"


def day(cell: DeltaGenerator, on: date, items: list[views.CalendarItem],
        today: date, *, compact: bool, dim: bool = False) -> None:  # fmt: skip
    """Show one day: its heading (today highlighted, other months dimmed) and its posts."""
    head = on.strftime("%a %d %b") if not compact else on.strftime("%d")
    if on == today:
        head = f":blue-background[{head}]"
    cell.markdown(f"**{head}**" if not dim else f":gray[{head}]")
    for item in items:
        cell.markdown(line(item, compact))


def console_timeline() -> None:
    """Show what the console publisher 'posted', newest first."""
    with reading() as session:
        items = views.console_timeline(session, limit=20)
    if not items:
        st.caption("Nothing posted to the console yet.")
        return
    frame = pd.DataFrame({
        "Posted (WIB)": [wib(i.published_at) for i in items],
        "Channel": [platform_label(i.channel) for i in items],
        "Post": [i.post_title or "" for i in items],
        "Campaign": [i.campaign_name or "" for i in items],
        "Text": [i.text for i in items],
    })  # fmt: skip
    st.dataframe(frame, hide_index=True, width="stretch", key="console_timeline",
                 column_config={"Text": st.column_config.TextColumn(width="large")})  # fmt: skip


acting_as_sidebar()
st.title("Calendar")
zone = settings().timezone
today = local(utcnow(), zone).date()
show_flash()
with reading() as session:
    attention = views.needs_attention(session)
    choices = {r.id: r.name for r in views.campaign_rows(session, today) if r.phase != "template"}
if attention:
    trouble(attention)
else:
    st.caption(":material/check_circle: No post has failed, and every outcome is known.")
routes()

st.session_state.setdefault("cal_anchor", today)
a, b, c = st.columns([2, 3, 2], vertical_alignment="bottom")
span = a.radio("View", list(SPANS), format_func=SPANS.get, horizontal=True, key="cal_span")
nav = b.container(horizontal=True)
nav.button("Previous", icon=":material/chevron_left:", key="cal_prev", on_click=move, args=(-1,))
nav.button("Today", key="cal_today", on_click=to_today)
nav.button("Next", icon=":material/chevron_right:", key="cal_next", on_click=move, args=(1,))
anchor = c.date_input("Go to", key="cal_anchor", format="YYYY-MM-DD")
f1, f2, f3 = st.columns(3)
campaign = f1.selectbox("Campaign", [0, *choices], key="cal_campaign",
                        format_func=lambda i: choices.get(i, "All campaigns"))  # fmt: skip
picked_channels = f2.multiselect("Channel", PUBLISH_CHANNELS, format_func=platform_label,
                                 placeholder="All channels", key="cal_channels")  # fmt: skip
picked_states = f3.multiselect("State", POST_STATES, format_func=label, placeholder="All states",
                               key="cal_states")  # fmt: skip

window = views.calendar_window(anchor, span, zone)
with reading() as session:
    items = views.calendar_items(session, window.start, window.end, campaign_id=campaign or None,
                                 channels=picked_channels or None, states=picked_states or None)  # fmt: skip
days = views.by_day(items, zone)
if span == "week":
    st.subheader(f"Week of {window.first_day:%d %b %Y}")
    for cell, on in zip(st.columns(7), window.days, strict=True):
        day(cell, on, days.get(on, []), today, compact=False)
else:
    st.subheader(f"{anchor:%B %Y}")
    for week in range(0, len(window.days), 7):
        for cell, on in zip(st.columns(7), window.days[week : week + 7], strict=True):
            day(cell, on, days.get(on, []), today, compact=True, dim=on.month != anchor.month)
st.caption(f"{len(items)} posts · times in WIB ({zone}). Posts without a time are not shown.")

st.divider()
st.subheader("Console timeline")
st.caption("What the console publisher 'posted' for channels without keys, newest first.")
console_timeline()
