"""Listening page: how much is said, where, by whom, the newest mentions, and channel health."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import altair as alt
import pandas as pd
import streamlit as st

from core.clock import local, utcnow
from listeners import health, insights
from pages.common import platform_label, reading, settings, wib

LATEST_LIMIT = 100
CHART_TAGS = 8  # hashtags drawn in the per-hashtag chart: the most used ones


def _tag_labels() -> dict[str, str]:
    """Display spellings of the watched hashtags, keyed by the stored lower-case tag."""
    return {tag.lower(): tag for tag in settings().watched_hashtags}


def tag_label(tag: str) -> str:
    """Return a stored tag as shown: '#' and the watched spelling when there is one."""
    return "#" + _tag_labels().get(tag, tag)


def headline(totals: insights.Totals) -> None:
    """Show the headline counts and the split per channel."""
    cols = st.columns(4)
    cols[0].metric("Mentions, total", totals.total)
    cols[1].metric("Last 24 hours", totals.last_24h)
    cols[2].metric("Last hour", totals.last_hour)
    cols[3].metric("Channels with mentions", len(totals.per_platform))
    if totals.per_platform:
        parts = [f"{platform_label(p)} {n}" for p, n in totals.per_platform.items()]
        st.caption("Per channel: " + " · ".join(parts))


def chart(now: datetime) -> None:
    """Show mentions per hour (48 h) or per day (30 days), stacked by channel or hashtag."""
    period_col, split_col = st.columns(2)
    period = period_col.radio(
        "Period",
        ["hour", "day"],
        format_func={"hour": "Last 48 hours, per hour", "day": "Last 30 days, per day"}.get,
        horizontal=True,
        key="chart_period",
    )
    by = split_col.radio(
        "Split by",
        ["platform", "hashtag"],
        format_func={"platform": "Channel", "hashtag": "Hashtag"}.get,
        horizontal=True,
        key="chart_by",
    )
    tz = settings().timezone
    start, end = insights.chart_window(now, bucket=period, tz=tz)
    with reading() as session:
        tags = None
        if by == "hashtag":
            top = insights.top_hashtags(session, start=start, end=end, limit=CHART_TAGS)
            tags = [t.tag for t in top]
        points = insights.volume(
            session, start=start, end=end, bucket=period, by=by, tz=tz, hashtags=tags
        )
    fmt = "%a %d %b %H:00" if period == "hour" else "%a %d %b"
    labels = [b.strftime(fmt) for b in insights.buckets(start, end, bucket=period, tz=tz)]
    if not points:
        st.info("No mentions in this period yet.")
        return
    name = platform_label if by == "platform" else tag_label
    frame = pd.DataFrame(
        {
            "time": [p.bucket.strftime(fmt) for p in points],
            "series": [name(p.key) for p in points],
            "mentions": [p.count for p in points],
        }
    )
    legend = "Channel" if by == "platform" else "Hashtag"
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(
                "time:O",
                title=f"Time ({tz})",
                sort=labels,
                scale=alt.Scale(domain=labels),
                axis=alt.Axis(labelAngle=-45, labelOverlap="parity"),
            ),
            y=alt.Y("sum(mentions):Q", title="Mentions"),
            color=alt.Color("series:N", title=legend),
            tooltip=[
                alt.Tooltip("time:O", title="Time"),
                alt.Tooltip("series:N", title=legend),
                alt.Tooltip("mentions:Q", title="Mentions"),
            ],
        )
        .properties(height=300)
    )
    st.altair_chart(bars, width="stretch")


def _day_bounds(picked: object, today: date) -> tuple[datetime, datetime]:
    """Turn the date input (one day or a range) into [start, end) instants in the display zone."""
    days = list(picked) if isinstance(picked, tuple | list) else [picked]
    first = days[0] if days else today
    last = days[-1] if days else today
    zone = ZoneInfo(settings().timezone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def latest_mentions(
    now: datetime, known_platforms: list[str], hashtags: list[str]
) -> tuple[datetime, datetime]:
    """Filters and the newest matching mentions; returns the chosen [start, end)."""
    st.subheader("Latest mentions")
    today = local(now, settings().timezone).date()
    c1, c2, c3, c4 = st.columns([3, 2, 3, 3])
    channels = c1.multiselect(
        "Channels",
        known_platforms,
        format_func=platform_label,
        placeholder="All channels",
        key="filter_channels",
    )
    hashtag = c2.selectbox(
        "Hashtag",
        [""] + hashtags,
        format_func=lambda t: tag_label(t) if t else "All hashtags",
        key="filter_hashtag",
    )
    text = c3.text_input("Search text", placeholder="e.g. jalan rusak", key="filter_text")
    picked = c4.date_input(
        "Dates", value=(today - timedelta(days=6), today), max_value=today, key="filter_dates"
    )
    start, end = _day_bounds(picked, today)
    with reading() as session:
        rows = insights.latest(
            session,
            platforms=channels or None,
            hashtag=hashtag or None,
            text=text or None,
            start=start,
            end=end,
            limit=LATEST_LIMIT,
        )
    if not rows:
        st.info("No mentions match these filters.")
        return start, end
    frame = pd.DataFrame(
        {
            "Time": [wib(r.created_at) for r in rows],
            "Channel": [platform_label(r.platform) for r in rows],
            "Author": [_author(r) for r in rows],
            "Text": [r.text for r in rows],
            "Link": [r.url or "" for r in rows],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Text": st.column_config.TextColumn(width="large"),
            "Link": st.column_config.LinkColumn(display_text="open"),
        },
    )
    more = " (the newest shown)" if len(rows) == LATEST_LIMIT else ""
    st.caption(f"{len(rows)} mentions{more}, times in {settings().timezone}.")
    return start, end


def _author(row: insights.MentionRow) -> str:
    handle = f"@{row.author_handle}" if row.author_handle else ""
    if row.author_name and handle:
        return f"{row.author_name} ({handle})"
    return row.author_name or handle or "unknown"


def top_lists(start: datetime, end: datetime) -> None:
    """Show the top authors and hashtags of [start, end) side by side."""
    with reading() as session:
        authors = insights.top_authors(session, start=start, end=end, limit=10)
        tags = insights.top_hashtags(session, start=start, end=end, limit=10)
    left, right = st.columns(2)
    left.subheader("Top authors")
    if authors:
        left.dataframe(
            pd.DataFrame(
                {
                    "Author": [
                        f"{a.name} (@{a.handle})" if a.name else f"@{a.handle}" for a in authors
                    ],
                    "Channel": [platform_label(a.platform) for a in authors],
                    "Mentions": [a.count for a in authors],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        left.caption("No authors in the selected dates.")
    right.subheader("Top hashtags")
    if tags:
        right.dataframe(
            pd.DataFrame(
                {"Hashtag": [tag_label(t.tag) for t in tags], "Mentions": [t.count for t in tags]}
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        right.caption("No hashtags in the selected dates.")


def channel_health(now: datetime) -> None:
    """Show every channel's state as a sentence."""
    st.subheader("Channels")
    with reading() as session:
        status = health.listener_status(session, settings(), now=now, tz=settings().timezone)
    st.dataframe(
        pd.DataFrame(
            {
                "Channel": [s.label for s in status],
                "Status": [s.sentence for s in status],
                "Last success": [wib(s.last_success_at) for s in status],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"Status": st.column_config.TextColumn(width="large")},
    )


@st.fragment(run_every=30)
def live() -> None:
    """The parts that refresh every 30 seconds: counts, chart, mentions, channels."""
    now = utcnow()
    with reading() as session:
        totals = insights.totals(session, now=now)
        month = now - timedelta(days=30)
        used = [t.tag for t in insights.top_hashtags(session, start=month, end=now, limit=30)]
    headline(totals)
    st.subheader("Mentions over time")
    chart(now)
    known = sorted(set(totals.per_platform) | {"x", "facebook", "telegram", "line", "messenger"})
    watched = [t.lower() for t in settings().watched_hashtags]
    start, end = latest_mentions(now, known, list(dict.fromkeys(watched + used)))
    top_lists(start, end)
    channel_health(now)
    st.caption(f"Updated {wib(now, '%H:%M:%S')} {settings().timezone}; refreshes every 30 s.")


title, refresh = st.columns([6, 1])
title.title("Listening")
refresh.button("Refresh", width="stretch", help="Read the store again now")
live()
