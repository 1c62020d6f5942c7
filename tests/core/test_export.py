"""Exporting mentions: one record per stored mention, in the format the file name asks for."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest

from core.db import transaction
from core.errors import InputError
from core.export import export_mentions
from core.mentions import Batch, MentionIn, save_batch

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def mention(eid: str, created_at: datetime, text: str) -> MentionIn:
    return MentionIn(
        platform="x",
        external_id=eid,
        text=text,
        created_at=created_at,
        kind="reply",
        author_handle="warga_sby",
        author_name="Warga Surabaya",
        lang="in",
        url=f"https://x.com/warga_sby/status/{eid}",
        hashtags=("BeraniLAPOR", "JalanRusak"),
        metrics={"like_count": 4, "retweet_count": 1},
        raw={"id": eid},
    )


@pytest.fixture
def stored(factory):
    with transaction(factory) as s:
        save_batch(
            s,
            "x",
            Batch(
                mentions=[
                    mention("101", T0, 'Jalan berlubang, "tolong" #BeraniLAPOR #JalanRusak'),
                    mention("102", T0 + timedelta(days=2), "Lampu mati\ndi Jl. Darmo #BeraniLAPOR"),
                ]
            ),
            T0,
        )
    return factory


def test_jsonl_has_one_record_per_mention(stored, tmp_path):
    out = tmp_path / "mentions.jsonl"
    assert export_mentions(stored, out) == 2
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    first = records[0]
    assert first["external_id"] == "101"
    assert first["created_at"] == "2026-11-20T01:00:00Z"
    assert first["hashtags"] == ["BeraniLAPOR", "JalanRusak"]
    assert first["metrics"] == {"like_count": 4, "retweet_count": 1}
    assert first["text"] == 'Jalan berlubang, "tolong" #BeraniLAPOR #JalanRusak'
    assert (first["platform"], first["kind"], first["lang"]) == ("x", "reply", "in")
    assert (first["author_handle"], first["author_name"]) == ("warga_sby", "Warga Surabaya")
    assert first["url"] == "https://x.com/warga_sby/status/101"
    assert records[1]["text"] == "Lampu mati\ndi Jl. Darmo #BeraniLAPOR"


def test_csv_round_trips_text_and_flattens_lists(stored, tmp_path):
    out = tmp_path / "mentions.csv"
    assert export_mentions(stored, out) == 2
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["external_id"] for r in rows] == ["101", "102"]
    assert rows[0]["hashtags"] == "BeraniLAPOR JalanRusak"
    assert json.loads(rows[0]["metrics"]) == {"like_count": 4, "retweet_count": 1}
    assert rows[1]["text"] == "Lampu mati\ndi Jl. Darmo #BeraniLAPOR"
    assert rows[1]["created_at"] == "2026-11-22T01:00:00Z"


def test_since_keeps_only_newer_mentions(stored, tmp_path):
    out = tmp_path / "recent.jsonl"
    assert export_mentions(stored, out, since=T0 + timedelta(days=1)) == 1
    assert json.loads(out.read_text(encoding="utf-8"))["external_id"] == "102"


def test_unknown_suffix_is_refused_with_a_sentence(stored, tmp_path):
    with pytest.raises(InputError, match=r"must end in \.jsonl or \.csv"):
        export_mentions(stored, tmp_path / "mentions.xlsx")
    assert not (tmp_path / "mentions.xlsx").exists()
