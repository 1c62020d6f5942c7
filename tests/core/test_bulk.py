"""The bulk write path stores exactly what the SQLAlchemy Core path stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core.bulk import bulk_upsert_mentions
from core.db import transaction
from core.mentions import MentionIn, upsert_mentions
from core.models import Mention, MentionHashtag

T0 = datetime(2026, 11, 20, 1, 0, 0, 123456, tzinfo=UTC)
WIB = timezone(timedelta(hours=7))


def mention(eid: str, platform: str = "x", likes: int = 0, **extra) -> MentionIn:
    text = extra.pop("text", "Jalan rusak 'parah'\tdi Jl. Darmo\n#BeraniLAPOR #beranilapor #Jalan")
    return MentionIn(
        platform=platform,
        external_id=eid,
        text=text,
        created_at=extra.pop("created_at", T0),
        kind="reply",
        conversation_id="c1",
        reply_to_id="r1",
        author_id="a1",
        author_handle="warga_sby",
        author_name="Warga Surabaya \\ Ñ",
        lang="in",
        url=f"https://x.com/warga_sby/status/{eid}",
        hashtags=extra.pop("hashtags", ("BeraniLAPOR", "beranilapor", "Jalan")),
        mentioned=("LAPOR1708",),
        metrics={"like_count": likes},
        media_urls=("https://pbs.twimg.com/media/a.jpg",),
        raw={"id": eid, "text": 'é ✓ "quoted"', "nested": {"n": [1, 2.5, None, True]}},
    )


def rows(factory, platform: str) -> list[dict]:
    with factory() as s:
        found = s.scalars(
            select(Mention).where(Mention.platform == platform).order_by(Mention.external_id)
        )
        return [
            {
                c.name: getattr(m, c.name)
                for c in Mention.__table__.columns
                if c.name not in ("id", "platform")
            }
            for m in found
        ]


def tags(factory, platform: str) -> list[tuple]:
    with factory() as s:
        q = select(MentionHashtag).where(MentionHashtag.platform == platform)
        return sorted((t.external_id, t.tag, t.created_at, t.author_handle) for t in s.scalars(q))


@pytest.mark.parametrize("write", [upsert_mentions, bulk_upsert_mentions])
def test_counts_and_refresh_match_the_core_path(factory, write):
    with transaction(factory) as s:
        first = write(s, "x", [mention("1", likes=1), mention("2"), mention("1", likes=2)], T0)
    later = T0 + timedelta(hours=1)
    with transaction(factory) as s:
        second = write(s, "x", [mention("1", likes=9), mention("3")], later)
    assert (first.inserted, first.updated) == (2, 0)
    assert (second.inserted, second.updated) == (1, 1)
    stored = {r["external_id"]: r for r in rows(factory, "x")}
    assert stored["1"]["metrics"] == {"like_count": 9}
    assert stored["1"]["retrieved_at"] == later and stored["1"]["first_seen_at"] == T0
    assert stored["2"]["retrieved_at"] == T0
    assert [t[:2] for t in tags(factory, "x")] == [
        ("1", "beranilapor"), ("1", "jalan"), ("2", "beranilapor"), ("2", "jalan"),
        ("3", "beranilapor"), ("3", "jalan"),
    ]  # fmt: skip


def test_bulk_rows_are_identical_to_core_rows(factory):
    batch = [
        mention("10", likes=3),
        mention("11", created_at=datetime(2026, 11, 20, 8, 0, tzinfo=WIB), hashtags=()),
        mention("12", text=""),
    ]
    with transaction(factory) as s:
        upsert_mentions(s, "x", batch, T0)
    with transaction(factory) as s:
        bulk_upsert_mentions(
            s, "x", [m.__class__(**{**_fields(m), "platform": "fb"}) for m in batch], T0
        )
    assert rows(factory, "fb") == rows(factory, "x")
    assert tags(factory, "fb") == tags(factory, "x")
    assert rows(factory, "fb")[1]["created_at"] == datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def test_bulk_joins_the_callers_transaction(factory):
    with pytest.raises(RuntimeError), transaction(factory) as s:
        bulk_upsert_mentions(s, "x", [mention("1")], T0)
        raise RuntimeError("crash before commit")
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Mention)) == 0
    with transaction(factory) as s:  # a second call in one transaction reuses the staging
        bulk_upsert_mentions(s, "x", [mention("1")], T0)
        again = bulk_upsert_mentions(s, "x", [mention("1"), mention("2")], T0)
    assert (again.inserted, again.updated) == (1, 1)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Mention)) == 2


def _fields(m: MentionIn) -> dict:
    return {name: getattr(m, name) for name in m.__slots__}
