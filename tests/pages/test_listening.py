"""Listening page: headline counts, the latest mentions and their filters, channel health."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import utcnow
from core.db import make_engine, make_sessionmaker, transaction
from core.mentions import Batch, MentionIn, extract_hashtags, save_batch
from tests.pages.conftest import APP


def fill(url, *mentions):
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        save_batch(s, "demo", Batch(mentions=list(mentions)), utcnow())
    engine.dispose()


def mention(eid, minutes_ago, text, platform="x", handle="warga_sby"):
    return MentionIn(
        platform=platform,
        external_id=eid,
        text=text,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        author_handle=handle,
        hashtags=extract_hashtags(text),
    )


def table(at, column):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


@pytest.fixture
def page(console_db):
    fill(
        console_db,
        mention("1", 10, "Jalan berlubang di Wonokromo #BeraniLAPOR"),
        mention("2", 300, "Sampah menumpuk di TPS Keputih", "telegram", "sari_w"),
        mention("3", 3 * 24 * 60, "PDAM mati tiga hari #BeraniLAPOR", "facebook"),
    )
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    return at


def test_headline_counts_match_the_store(page):
    metrics = {m.label: m.value for m in page.metric}
    assert metrics["Mentions, total"] == "3"
    assert metrics["Last 24 hours"] == "2"
    assert metrics["Last hour"] == "1"


def test_latest_mentions_list_the_stored_texts_newest_first(page):
    latest = table(page, "Text")
    assert list(latest["Text"]) == [
        "Jalan berlubang di Wonokromo #BeraniLAPOR",
        "Sampah menumpuk di TPS Keputih",
        "PDAM mati tiga hari #BeraniLAPOR",
    ]
    assert list(latest["Channel"]) == ["X", "Telegram", "Facebook"]


def test_filtering_by_channel_and_text_narrows_the_table(page):
    page.multiselect(key="filter_channels").set_value(["telegram"]).run()
    assert list(table(page, "Text")["Text"]) == ["Sampah menumpuk di TPS Keputih"]

    page.multiselect(key="filter_channels").set_value([]).run()
    page.text_input(key="filter_text").input("BERANILAPOR").run()
    assert list(table(page, "Text")["Channel"]) == ["X", "Facebook"]

    page.text_input(key="filter_text").input("tidak ada yang cocok").run()
    assert not [d for d in page.dataframe if "Text" in d.value.columns]
    assert any("No mentions match" in i.value for i in page.info)


def test_channel_health_says_which_channels_are_off_and_why(page):
    health = table(page, "Status").set_index("Channel")["Status"]
    assert health["X (Twitter)"] == "off — LAPOR_X_BEARER_TOKEN is not set"
    assert health["Demo stream"] == "on — waiting for the first poll"
    top = table(page, "Hashtag")
    assert list(top["Hashtag"]) == ["#BeraniLAPOR"] and list(top["Mentions"]) == [2]
