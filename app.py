"""The Streamlit console: `streamlit run app.py` (or `lapor-social run`) opens it."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="lapor-social", layout="wide")

navigation = st.navigation(
    {
        "Handling": [
            st.Page("pages/inbox.py", title="Inbox", url_path="inbox"),
            st.Page("pages/reports.py", title="Reports", url_path="reports"),
        ],
        "Campaigns": [
            st.Page("pages/campaigns.py", title="Campaigns", url_path="campaigns"),
            st.Page("pages/calendar.py", title="Calendar", url_path="calendar"),
            st.Page("pages/composer.py", title="Composer", url_path="composer"),
            st.Page("pages/approvals.py", title="Approvals", url_path="approvals"),
            st.Page("pages/evaluation.py", title="Evaluation", url_path="evaluation"),
        ],
        "Listening": [
            st.Page("pages/listening.py", title="Mentions", url_path="listening", default=True)
        ],
        "Quarantine": [st.Page("pages/quarantine.py", title="Open items", url_path="quarantine")],
        "Settings": [st.Page("pages/settings.py", title="Configuration", url_path="settings")],
    }
)
navigation.run()
