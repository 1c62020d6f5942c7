"""Settings page: which channels are configured and the store, never a secret value."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import APP

SECRET = "supersecret-token-123"


@pytest.fixture
def settings_page(console_db, monkeypatch):
    monkeypatch.setenv("LAPOR_X_BEARER_TOKEN", SECRET)
    monkeypatch.setenv("LAPOR_WATCHED_HASHTAGS", "#BeraniLAPOR,AyoKenalLAPOR")
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.switch_page("pages/settings.py").run()
    assert not at.exception
    return at


def everything_shown(at) -> str:
    """Every rendered element's message and every table's cells, as one text."""
    parts = []

    def walk(node):
        if getattr(node, "proto", None) is not None:
            parts.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    parts.extend(d.value.to_string() for d in at.dataframe)
    return "\n".join(parts)


def table(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_credentials_show_set_or_not_set_and_never_the_value(settings_page, console_db):
    creds = table(settings_page, "Environment variable").set_index("Environment variable")
    assert creds.loc["LAPOR_X_BEARER_TOKEN", "Value"] == "set"
    assert creds.loc["LAPOR_FACEBOOK_PAGE_TOKEN", "Value"] == "not set"
    shown = everything_shown(settings_page)
    assert "LAPOR_X_BEARER_TOKEN" in shown  # the walk does see the tables
    assert SECRET not in shown


def test_channels_store_and_watched_hashtags_are_listed(settings_page, console_db):
    channels = table(settings_page, "Configured").set_index("Channel")
    assert channels.loc["X (Twitter)", "Configured"] == "yes"
    assert channels.loc["X (Twitter)", "Status"] == "on — waiting for the first poll"
    assert channels.loc["Facebook Page", "Status"] == "off — LAPOR_FACEBOOK_PAGE_ID is not set"
    general = table(settings_page, "Setting").set_index("Setting")["Value"]
    assert general["Database"] == "SQLite at " + console_db.removeprefix("sqlite:///")
    assert general["Graph API version"] == "v25.0"
    assert "- #BeraniLAPOR\n- #AyoKenalLAPOR" in [m.value for m in settings_page.markdown]
