"""Quarantine page: items no parser understood, why, and a retry once a parser is fixed."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core.clock import utcnow
from listeners import health
from pages.common import reading, wib, write_factory

LIMIT = 100
_RESULT_KEY = "_quarantine_result"


def retry(ids: Sequence[int] | None) -> None:
    """Retry the items (all open ones when `ids` is None) and keep the outcome for display."""
    try:
        # Imported here so the page still opens on a build without the retry service.
        from listeners.service import retry_quarantine
    except ImportError:
        st.session_state[_RESULT_KEY] = ("warning", "Retry is not available in this build.")
        return
    result = retry_quarantine(write_factory(), ids, utcnow())
    text = (
        f"Retried {result.retried}: {result.resolved} resolved, "
        f"{result.still_bad} still cannot be read."
    )
    st.session_state[_RESULT_KEY] = ("success" if not result.still_bad else "warning", text)


st.title("Quarantine")
st.caption(
    "Items a listener received but could not read. They are kept whole; "
    "retry them after the parser is fixed. Times in Asia/Jakarta."
)

if _RESULT_KEY in st.session_state:
    kind, message = st.session_state.pop(_RESULT_KEY)
    (st.success if kind == "success" else st.warning)(message)

with reading() as session:
    total = health.count_open_quarantine(session)
    items = health.open_quarantine(session, LIMIT)

if not items:
    st.info("Nothing in quarantine.")
    st.stop()

head, action = st.columns([5, 1])
shown = f" (the newest {LIMIT} shown)" if total > LIMIT else ""
head.markdown(f"**{total} open item{'s' if total != 1 else ''}**{shown}")
action.button(
    "Retry all", key="retry_all", width="stretch", on_click=retry, args=(None,), type="primary"
)

for item in items:
    title = f"#{item.id} · {item.listener} · {wib(item.received_at)} — {item.reason}"
    with st.expander(title, expanded=len(items) <= 5):
        st.markdown(f"**Reason:** {item.reason}")
        st.caption(
            f"Listener {item.listener} · received {wib(item.received_at)} · "
            f"{item.attempts} retr{'y' if item.attempts == 1 else 'ies'} so far"
        )
        st.code(item.preview, language="json", wrap_lines=True)
        st.button("Retry", key=f"retry_{item.id}", on_click=retry, args=([item.id],))
