"""The mention store: one row per (platform, external_id), cursor moves with its mentions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.db import transaction
from core.mentions import (
    BadItem,
    Batch,
    MentionIn,
    extract_handles,
    extract_hashtags,
    load_cursor,
    save_batch,
)
from core.models import Mention, MentionHashtag, QuarantineItem

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def mention(
    eid: str, likes: int = 0, text: str = "Jalan rusak #BeraniLAPOR @LAPOR1708"
) -> MentionIn:
    return MentionIn(
        platform="x",
        external_id=eid,
        text=text,
        created_at=T0,
        author_handle="warga_sby",
        hashtags=extract_hashtags(text),
        mentioned=extract_handles(text),
        metrics={"like_count": likes},
        raw={"id": eid, "text": text},
    )


def count(factory, model=Mention) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_same_item_twice_updates_metrics_and_keeps_one_row(factory):
    with transaction(factory) as s:
        first = save_batch(s, "x", Batch(mentions=[mention("1", likes=1)]), T0)
    with transaction(factory) as s:
        second = save_batch(
            s, "x", Batch(mentions=[mention("1", likes=9)]), T0 + timedelta(hours=1)
        )
    assert (first.inserted, first.updated) == (1, 0)
    assert (second.inserted, second.updated) == (0, 1)
    with factory() as s:
        row = s.scalars(select(Mention)).one()
    assert row.metrics == {"like_count": 9}
    assert row.retrieved_at == T0 + timedelta(hours=1)
    assert row.first_seen_at == T0
    assert row.created_at == T0 and row.created_at.tzinfo is not None
    assert count(factory, MentionHashtag) == 1


def test_repeats_inside_one_batch_make_one_row(factory):
    with transaction(factory) as s:
        result = save_batch(s, "x", Batch(mentions=[mention("7"), mention("7", likes=3)]), T0)
    assert result.inserted == 1
    assert count(factory) == 1


def test_cursor_is_stored_only_with_its_mentions(factory):
    with pytest.raises(RuntimeError), transaction(factory) as s:
        save_batch(s, "x", Batch(mentions=[mention("1")], next_cursor={"since_id": "1"}), T0)
        raise RuntimeError("crash before commit")
    with factory() as s:
        assert load_cursor(s, "x") is None
    assert count(factory) == 0
    with transaction(factory) as s:
        save_batch(s, "x", Batch(mentions=[mention("1")], next_cursor={"since_id": "1"}), T0)
    with factory() as s:
        assert load_cursor(s, "x") == {"since_id": "1"}


def test_bad_items_are_quarantined_and_the_batch_goes_on(factory):
    batch = Batch(mentions=[mention("2")], quarantined=[BadItem(raw='{"id": ', reason="not JSON")])
    with transaction(factory) as s:
        result = save_batch(s, "x", batch, T0)
    assert result.inserted == 1 and result.quarantined == 1
    with factory() as s:
        item = s.scalars(select(QuarantineItem)).one()
    assert item.reason == "not JSON" and item.raw == '{"id": '


def test_hashtags_and_handles_are_extracted():
    text = "Tolong @LAPOR1708 jalan berlubang #BeraniLAPOR #beranilapor #2024 &#39; email a@b.id"
    assert extract_hashtags(text) == ("BeraniLAPOR",)
    assert extract_handles(text) == ("LAPOR1708",)


def test_the_same_bad_item_fetched_again_is_quarantined_once(factory):
    bad = BadItem(raw='{"id": "9"}', reason="no created_at")
    with transaction(factory) as s:
        first = save_batch(s, "x", Batch(quarantined=[bad]), T0)
    with transaction(factory) as s:
        again = save_batch(s, "x", Batch(quarantined=[bad, BadItem(raw="\x00", reason="nul")]), T0)
    assert (first.quarantined, again.quarantined) == (1, 1)
    assert count(factory, QuarantineItem) == 2


def test_an_item_the_schema_cannot_hold_is_quarantined_and_the_rest_stored(factory):
    too_long = MentionIn(
        platform="x", external_id="9" * 500, text="id rusak", created_at=T0, raw={"id": "9"}
    )
    long_name = MentionIn(
        platform="x", external_id="3", text="nama panjang", created_at=T0, author_name="A" * 999
    )
    with transaction(factory) as s:
        result = save_batch(s, "x", Batch(mentions=[mention("1"), too_long, long_name]), T0)
    assert (result.inserted, result.quarantined) == (2, 1)
    with factory() as s:
        item = s.scalars(select(QuarantineItem)).one()
        assert "external_id is 500 characters long" in item.reason and '"id": "9"' in item.raw
        assert (
            len(s.scalars(select(Mention).where(Mention.external_id == "3")).one().author_name)
            == 300
        )


def test_nul_characters_do_not_break_the_batch(factory):
    nul = MentionIn(
        platform="telegram",
        external_id="5:1",
        text="halo\x00min",
        created_at=T0,
        raw={"text": "halo\x00min"},
    )
    with transaction(factory) as s:
        assert save_batch(s, "telegram", Batch(mentions=[nul]), T0).inserted == 1
    with factory() as s:
        row = s.scalars(select(Mention)).one()
    assert row.text == "halo\ufffdmin" and row.raw == {"text": "halo\ufffdmin"}


def test_an_edited_post_shows_its_latest_text(factory):
    with transaction(factory) as s:
        save_batch(s, "x", Batch(mentions=[mention("4", text="Jalan rusak")]), T0)
    with transaction(factory) as s:
        save_batch(s, "x", Batch(mentions=[mention("4", text="Jalan rusak parah")]), T0)
    with factory() as s:
        row = s.scalars(select(Mention)).one()
    assert row.text == "Jalan rusak parah" and row.raw["text"] == "Jalan rusak parah"
