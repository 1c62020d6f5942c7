"""X API v2 parsing: pages and twarc2 flat tweets become the mentions a handler sees."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import BadPayloadError
from core.mentions import dump_raw
from listeners.xparse import parse_flat_tweet, parse_v2_page, reparse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def by_id(mentions):
    return {m.external_id: m for m in mentions}


def test_a_post_maps_every_field():
    mentions, bad = parse_v2_page(load("search_recent_page1"))
    assert bad == []
    post = by_id(mentions)["1897000000000000101"]
    assert post.platform == "x"
    assert post.text.startswith("@LAPOR1708 jalan di Jl. Raya Darmo berlubang parah")
    assert post.created_at == datetime(2026, 3, 2, 7, 15, 30, tzinfo=UTC)
    assert post.created_at.utcoffset().total_seconds() == 0
    assert post.kind == "post"
    assert post.conversation_id == "1897000000000000101"
    assert post.reply_to_id is None
    assert post.author_id == "1511223344556677881"
    assert post.author_handle == "warga_darmo"
    assert post.author_name == "Warga Darmo"
    assert post.lang == "in"
    assert post.url == "https://x.com/warga_darmo/status/1897000000000000101"
    assert post.hashtags == ("BeraniLAPOR", "Surabaya")
    assert post.mentioned == ("LAPOR1708",)
    assert post.metrics == {
        "retweet_count": 4,
        "reply_count": 2,
        "like_count": 31,
        "quote_count": 1,
        "bookmark_count": 3,
        "impression_count": 1840,
    }
    assert post.media_urls == ("https://pbs.twimg.com/media/GkDarmoLubang01.jpg",)


def test_raw_keeps_the_tweet_its_author_and_media_but_not_the_whole_includes():
    mentions, _ = parse_v2_page(load("search_recent_page1"))
    raw = by_id(mentions)["1897000000000000101"].raw
    assert raw["id"] == "1897000000000000101"
    assert raw["author"] == {
        "id": "1511223344556677881",
        "name": "Warga Darmo",
        "username": "warga_darmo",
    }
    assert [m["media_key"] for m in raw["attachments"]["media"]] == ["3_1897000000000000501"]
    assert "includes" not in raw
    assert len(json.dumps(raw)) < 1500


def test_a_reply_points_at_its_parent_and_a_quote_stays_a_post():
    mentions, _ = parse_v2_page(load("search_recent_page1"))
    found = by_id(mentions)
    reply = found["1897000000000000102"]
    assert reply.kind == "reply"
    assert reply.reply_to_id == "1896999999999999001"
    assert reply.conversation_id == "1896999999999999001"
    assert reply.mentioned == ("arek_rungkut", "dishub_sby", "LAPOR1708")
    assert reply.hashtags == ("AyoKenalLAPOR",)
    quote = found["1897000000000000103"]
    assert quote.kind == "post"
    assert quote.reply_to_id is None
    assert quote.raw["referenced_tweets"] == [{"type": "quoted", "id": "1896888888888888001"}]
    # A video has no url, only its preview image.
    assert quote.media_urls == (
        "https://pbs.twimg.com/ext_tw_video_thumb/1897000000000000502/pu/img/BansosPKH02.jpg",
    )


def test_a_tweet_without_created_at_is_quarantined_and_the_others_parse():
    mentions, bad = parse_v2_page(load("search_recent_page2"))
    assert [m.external_id for m in mentions] == ["1897000000000000098"]
    assert len(bad) == 1
    assert "1897000000000000097" in bad[0].reason
    assert "created_at" in bad[0].reason
    quarantined = json.loads(bad[0].raw)
    assert quarantined["id"] == "1897000000000000097"
    assert quarantined["author"]["username"] == "warga_darmo"
    with pytest.raises(BadPayloadError, match="created_at"):
        reparse(bad[0].raw)


def test_a_quarantined_tweet_reparses_once_fixed():
    _, bad = parse_v2_page(load("search_recent_page2"))
    fixed = json.loads(bad[0].raw)
    fixed["created_at"] = "2026-03-02T06:00:00.000Z"
    batch = reparse(json.dumps(fixed))
    (mention,) = batch.mentions
    assert mention.external_id == "1897000000000000097"
    assert mention.author_handle == "warga_darmo"
    assert mention.url == "https://x.com/warga_darmo/status/1897000000000000097"
    assert mention.hashtags == ("BeraniLAPOR",)
    assert batch.next_cursor is None


def test_reparse_of_a_stored_raw_gives_the_same_mention():
    mentions, _ = parse_v2_page(load("search_recent_page1"))
    for mention in mentions:
        assert reparse(dump_raw(mention.raw)).mentions == (mention,)


def test_reparse_rejects_what_is_not_a_tweet():
    with pytest.raises(BadPayloadError, match="not JSON"):
        reparse("{not json")
    with pytest.raises(BadPayloadError, match="not a JSON object"):
        reparse("[1, 2]")
    with pytest.raises(BadPayloadError, match="id"):
        reparse('{"text": "halo", "created_at": "2026-03-02T06:00:00.000Z"}')


def test_a_twarc2_flattened_tweet_parses_with_its_inline_expansions():
    mention = parse_flat_tweet(load("twarc2_flat_tweet"))
    assert mention.external_id == "1897000000000000102"
    assert mention.kind == "reply"
    assert mention.reply_to_id == "1896999999999999001"
    assert mention.author_id == "1622334455667788992"
    assert mention.author_handle == "bu_sri_kediri"
    assert mention.author_name == "Sri Wahyuni"
    assert mention.url == "https://x.com/bu_sri_kediri/status/1897000000000000102"
    assert mention.mentioned == ("arek_rungkut", "dishub_sby", "LAPOR1708")
    assert mention.hashtags == ("AyoKenalLAPOR",)
    assert mention.media_urls == ("https://pbs.twimg.com/media/GkRungkutLampu03.jpg",)
    assert mention.created_at == datetime(2026, 3, 2, 7, 12, 5, tzinfo=UTC)
    assert mention.raw["__twarc"]["version"] == "2.14.0"


@pytest.mark.parametrize(
    ("drop", "message"),
    [("id", "id"), ("text", "no text"), ("created_at", "created_at")],
)
def test_a_flat_tweet_without_a_required_field_is_refused(drop, message):
    tweet = load("twarc2_flat_tweet")
    del tweet[drop]
    with pytest.raises(BadPayloadError, match=message):
        parse_flat_tweet(tweet)


def test_a_flat_tweet_with_a_bad_timestamp_is_refused():
    tweet = load("twarc2_flat_tweet")
    tweet["created_at"] = "kemarin sore"
    with pytest.raises(BadPayloadError, match="not a timestamp"):
        parse_flat_tweet(tweet)


def test_without_author_or_entities_the_url_and_hashtags_still_come():
    tweet = {
        "id": "1897000000000000999",
        "text": "Sampah menumpuk di Pasar Wonokromo #BeraniLAPOR @LAPOR1708",
        "created_at": "2026-03-02T08:00:00+07:00",
    }
    mention = parse_flat_tweet(tweet)
    assert mention.url == "https://x.com/i/web/status/1897000000000000999"
    assert mention.author_handle is None
    assert mention.hashtags == ("BeraniLAPOR",)
    assert mention.mentioned == ("LAPOR1708",)
    assert mention.created_at == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_an_empty_result_and_an_error_only_page_give_nothing():
    assert parse_v2_page(load("empty")) == ([], [])
    assert parse_v2_page({"errors": [{"title": "Not Found Error"}]}) == ([], [])


def test_a_page_whose_data_is_not_a_list_is_quarantined_whole():
    mentions, bad = parse_v2_page({"data": "rusak", "meta": {"result_count": 1}})
    assert mentions == []
    assert "not a list" in bad[0].reason


def test_a_tweet_of_the_wrong_shape_is_quarantined_not_raised():
    page = load("search_recent_page1")
    page["data"].append("bukan tweet")
    page["data"].append({"id": "1", "text": "x", "created_at": "2026-03-02T06:00:00.000Z",
                         "entities": {"hashtags": [{"start": 0}]}})  # fmt: skip
    mentions, bad = parse_v2_page(page)
    assert len(mentions) == 3
    assert len(bad) == 2
