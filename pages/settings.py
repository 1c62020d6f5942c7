"""Settings page: which channels are on and why, the store, and what is watched; never a secret."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.clock import utcnow
from listeners import health
from pages.common import describe_database, reading, secret_states, settings

s = settings()
st.title("Settings")
st.caption(
    "Read from `LAPOR_` environment variables and `.env` when the console session starts; "
    "change them there and reload the page. Secret values are never shown."
)

st.subheader("Channels")
with reading() as session:
    status = health.listener_status(session, s, now=utcnow(), tz=s.timezone)
st.dataframe(
    pd.DataFrame(
        {
            "Channel": [c.label for c in status],
            "Configured": ["yes" if c.configured else "no" for c in status],
            "Status": [c.sentence for c in status],
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={"Status": st.column_config.TextColumn(width="large")},
)

st.subheader("Store and platforms")
general = [
    ("Database", describe_database(s.database_url)),
    ("Display time zone", s.timezone),
    ("Graph API version", s.facebook_graph_version),
    ("Facebook Page ID", s.facebook_page_id or "not set"),
    ("X account", f"@{s.x_username}" + (f" (user ID {s.x_user_id})" if s.x_user_id else "")),
    ("Telegram bot", f"@{s.telegram_bot_username}" if s.telegram_bot_username else "not set"),
    ("Demo stream", "on" if s.demo_on() else "off"),
    ("Webhook receiver", f"{s.webhook_host}:{s.webhook_port}"),
    (
        "Poll intervals",
        f"X {s.x_poll_seconds} s · Facebook {s.facebook_poll_seconds} s · "
        f"Telegram {s.telegram_poll_seconds} s · demo {s.demo_poll_seconds} s",
    ),
]
st.dataframe(pd.DataFrame(general, columns=["Setting", "Value"]), hide_index=True, width="stretch")

left, right = st.columns(2)
left.subheader("Watched hashtags")
left.markdown("\n".join(f"- #{tag}" for tag in s.watched_hashtags) or "none")
right.subheader("X search queries")
for query in s.x_queries:
    right.code(query, language=None, wrap_lines=True)

st.subheader("Credentials")
st.dataframe(
    pd.DataFrame(secret_states(s), columns=["Environment variable", "Value"]),
    hide_index=True,
    width="stretch",
)
