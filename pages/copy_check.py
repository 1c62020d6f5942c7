"""A post version's copy check as the Composer and the Approvals page show it."""

from __future__ import annotations

import streamlit as st

from content import copy
from core.numbers import format_number
from pages.common import md

LEVEL_COLOURS = {"error": "red", "warning": "orange", "info": "gray"}


def show_check(result: copy.CopyCheck, *, say_ok: bool = False) -> None:
    """The channel's length against its limit, then each finding in its level's colour.

    With `say_ok`, a version that nothing blocks says so in a caption.
    """
    left = result.remaining
    status = f"{format_number(left)} left" if left >= 0 else f"{format_number(-left)} over"
    st.progress(min(result.length / result.limit, 1.0),
                text=f"{format_number(result.length)} / {format_number(result.limit)} "
                     f"characters · {status}")  # fmt: skip
    for issue in result.issues:
        st.markdown(f":{LEVEL_COLOURS[issue.level]}[{md(issue.message)}]")
    if say_ok and result.ok:
        st.caption("Nothing blocks this version.")
