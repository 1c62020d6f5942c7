"""Facebook Page listener: Graph API payloads mapped to mentions, cursor by time, errors mapped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from responses import matchers
from sqlalchemy import func, select

from core.db import transaction
from core.errors import BadPayloadError, FatalSourceError, RetriableSourceError
from core.mentions import dump_raw, load_cursor, save_batch
from core.models import Mention
from core.platforms import graph_retry_at
from core.settings import Settings
from listeners.facebook import OVERLAP_SECONDS, FacebookListener, reparse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "facebook"
PAGE = "104857600123456"
POST = f"{PAGE}_880011223344556"
OLD_POST = f"{PAGE}_880011223344001"
TOKEN = "EAAtest-page-token-not-real-1708"
GRAPH = "https://graph.facebook.com/v25.0"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "facebook_page_id": PAGE,
        "facebook_page_token": TOKEN,
        "facebook_max_posts": 10,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[arg-type]


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def params_of(call: responses.Call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(call.request.url).query).items()}


def calls_to(graph: responses.RequestsMock, path: str) -> list[dict[str, str]]:
    return [params_of(c) for c in graph.calls if urlparse(c.request.url).path.endswith(path)]


@pytest.fixture
def graph() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def first_poll_answers(graph: responses.RequestsMock, base: str = GRAPH) -> None:
    graph.get(f"{base}/{PAGE}/posts", json=fixture("page_posts.json"))
    graph.get(f"{base}/{POST}/comments", json=fixture("post_comments.json"))
    graph.get(f"{base}/{OLD_POST}/comments", json=fixture("old_post_comments.json"))
    graph.get(f"{base}/{PAGE}/tagged", json=fixture("tagged.json"))
    graph.get(f"{base}/{PAGE}/visitor_posts", json=fixture("visitor_posts.json"))


def test_first_poll_maps_comments_tagged_and_visitor_posts(graph: responses.RequestsMock) -> None:
    first_poll_answers(graph)

    batch = FacebookListener(settings()).poll(None)

    by_id = {m.external_id: m for m in batch.mentions}
    assert set(by_id) == {
        "880011223344556_1200000000000003",
        "880011223344556_1200000000000001",
        "880011223344556_1200000000000002",
        "880011223344001_1200000000000050",
        "556677889900112_334455667788990",
        f"{PAGE}_880099887766554",
    }
    top = by_id["880011223344556_1200000000000001"]
    assert (top.platform, top.kind, top.conversation_id, top.reply_to_id) == (
        "facebook",
        "comment",
        POST,
        POST,
    )
    assert (top.author_id, top.author_handle, top.author_name) == (
        "7712345678901234",
        "7712345678901234",
        "Siti Rahmawati",
    )
    assert top.created_at == datetime(2026, 11, 20, 8, 15, 30, tzinfo=UTC)
    assert top.hashtags == ("BeraniLAPOR",)
    assert top.metrics == {"like_count": 4, "comment_count": 1}
    assert top.url.endswith("?comment_id=1200000000000001")
    assert top.raw["message"].startswith("Jalan di Kecamatan Rungkut")

    reply = by_id["880011223344556_1200000000000003"]
    assert reply.reply_to_id == "880011223344556_1200000000000001"
    assert reply.conversation_id == POST
    assert reply.media_urls == ("https://scontent.xx.fbcdn.net/v/t39.30808-6/foto_jalan_rusak.jpg",)

    anonymous = by_id["880011223344556_1200000000000002"]
    assert (anonymous.author_id, anonymous.author_handle, anonymous.author_name) == (None,) * 3
    assert anonymous.text.startswith("Lampu PJU")

    tagged = by_id["556677889900112_334455667788990"]
    assert (tagged.kind, tagged.reply_to_id, tagged.author_name) == (
        "post",
        None,
        "Karang Taruna Sukamaju",
    )
    visitor = by_id[f"{PAGE}_880099887766554"]
    assert visitor.kind == "post"
    assert visitor.hashtags == ("BeraniLAPOR", "KTPel")
    assert visitor.media_urls == ("https://scontent.xx.fbcdn.net/v/t39.30808-6/antrean_ktp.jpg",)
    assert visitor.url == "https://www.facebook.com/104857600123456/posts/880099887766554"


def test_first_poll_requests_the_documented_fields_and_no_since(
    graph: responses.RequestsMock,
) -> None:
    first_poll_answers(graph)

    FacebookListener(settings(facebook_max_posts=7)).poll(None)

    assert all(c.request.url.startswith(f"{GRAPH}/") for c in graph.calls)
    [posts] = calls_to(graph, "/posts")
    assert posts["limit"] == "7"
    assert posts["access_token"] == TOKEN
    comments = calls_to(graph, f"{POST}/comments")
    assert len(comments) == 1  # no cursor yet: one page, paging.next not followed
    assert (comments[0]["filter"], comments[0]["order"]) == ("stream", "reverse_chronological")
    assert "parent{id}" in comments[0]["fields"] and "from{id,name}" in comments[0]["fields"]
    assert all("since" not in p for c in graph.calls for p in [params_of(c)])


def test_cursor_keeps_the_newest_second_per_edge(graph: responses.RequestsMock) -> None:
    first_poll_answers(graph)

    batch = FacebookListener(settings()).poll(None)

    assert batch.next_cursor == {
        "since": {
            "comments": ts("2026-11-20T08:17:02+00:00"),
            "tagged": ts("2026-11-20T07:45:00+00:00"),
            "visitor_posts": ts("2026-11-20T06:30:00+00:00"),
        }
    }


def test_next_poll_sends_since_with_overlap_and_stops_at_older_items(
    graph: responses.RequestsMock,
) -> None:
    first_poll_answers(graph)
    cursor = FacebookListener(settings()).poll(None).next_cursor
    graph.reset()
    floor = cursor["since"]["comments"] - OVERLAP_SECONDS
    graph.get(f"{GRAPH}/{PAGE}/posts", json=fixture("page_posts.json"))
    graph.get(
        f"{GRAPH}/{POST}/comments",
        json=fixture("comments_new_page1.json"),
        match=[matchers.query_param_matcher({"since": str(floor)}, strict_match=False)],
    )
    graph.get(
        f"{GRAPH}/{POST}/comments",
        json=fixture("comments_new_page2.json"),
        match=[
            matchers.query_param_matcher({"after": "MTIwMDAwMDAwMDAwMDAwNA=="}, strict_match=False)
        ],
    )
    graph.get(f"{GRAPH}/{PAGE}/tagged", json=fixture("empty.json"))
    graph.get(f"{GRAPH}/{PAGE}/visitor_posts", json=fixture("empty.json"))

    batch = FacebookListener(settings()).poll(cursor)

    # the old post (updated before the floor) is not scanned; page 2 holds an item older
    # than the floor, so its paging.next is not followed
    assert calls_to(graph, f"{OLD_POST}/comments") == []
    assert len(calls_to(graph, f"{POST}/comments")) == 2
    [tagged] = calls_to(graph, "/tagged")
    assert int(tagged["since"]) < cursor["since"]["tagged"]  # the newest second is asked again
    assert tagged["since"] == str(cursor["since"]["tagged"] - OVERLAP_SECONDS)
    [visitor] = calls_to(graph, "/visitor_posts")
    assert visitor["since"] == str(cursor["since"]["visitor_posts"] - OVERLAP_SECONDS)
    ids = [m.external_id for m in batch.mentions]
    assert ids[0] == "880011223344556_1200000000000004"
    assert "880011223344556_1200000000000003" in ids  # same-second item read again
    assert batch.next_cursor == {
        "since": cursor["since"] | {"comments": ts("2026-11-20T08:39:00+00:00")}
    }


def test_overlapping_polls_store_each_item_once(
    graph: responses.RequestsMock, factory, db_url: str
) -> None:
    first_poll_answers(graph)
    listener = FacebookListener(settings())
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with transaction(factory) as session:
        first = save_batch(session, "facebook", listener.poll(None), now)
    with transaction(factory) as session:
        again = save_batch(
            session, "facebook", listener.poll(load_cursor(session, "facebook")), now
        )

    assert (first.inserted, first.quarantined) == (6, 1)
    assert (again.inserted, again.updated) == (0, 5)  # the old post is not scanned again
    with transaction(factory) as session:
        assert session.scalar(select(func.count()).select_from(Mention)) == 6
        assert load_cursor(session, "facebook")["since"]["comments"] == ts(
            "2026-11-20T08:17:02+00:00"
        )


def test_malformed_item_is_quarantined_and_reparse_reads_it_once_fixed(
    graph: responses.RequestsMock,
) -> None:
    first_poll_answers(graph)

    batch = FacebookListener(settings()).poll(None)

    [bad] = batch.quarantined
    assert "created_time" in bad.reason and "880099887766000" in bad.reason
    assert TOKEN not in bad.raw
    with pytest.raises(BadPayloadError):
        reparse(bad.raw)
    fixed = json.loads(bad.raw)
    assert fixed["edge"] == "visitor_posts"
    fixed["item"]["created_time"] = "2026-11-20T05:00:00+0000"
    [mention] = reparse(dump_raw(fixed)).mentions
    assert (mention.external_id, mention.kind) == (f"{PAGE}_880099887766000", "post")
    assert mention.created_at == datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


def test_reparse_keeps_a_comments_post_and_rejects_non_json() -> None:
    item = fixture("post_comments.json")["data"][0]
    raw = dump_raw({"edge": "comments", "post_id": POST, "item": item})

    [mention] = reparse(raw).mentions

    assert (mention.kind, mention.conversation_id) == ("comment", POST)
    with pytest.raises(BadPayloadError):
        reparse("not json at all")
    with pytest.raises(BadPayloadError):
        reparse(dump_raw({"edge": "comments", "item": item}))  # a comment needs its post


def test_graph_version_comes_from_settings(graph: responses.RequestsMock) -> None:
    first_poll_answers(graph, base="https://graph.facebook.com/v24.0")

    batch = FacebookListener(settings(facebook_graph_version="v24.0")).poll(None)

    assert len(batch.mentions) == 6
    assert {urlparse(c.request.url).path.split("/")[1] for c in graph.calls} == {"v24.0"}


def test_expired_token_is_fatal_and_names_the_setting(graph: responses.RequestsMock) -> None:
    graph.get(f"{GRAPH}/{PAGE}/posts", json=fixture("error_token_expired.json"), status=400)

    with pytest.raises(FatalSourceError) as caught:
        FacebookListener(settings()).poll(None)

    assert "LAPOR_FACEBOOK_PAGE_TOKEN" in str(caught.value)
    assert "code 190" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_missing_permission_is_fatal(graph: responses.RequestsMock) -> None:
    graph.get(f"{GRAPH}/{PAGE}/posts", json=fixture("page_posts.json"))
    graph.get(f"{GRAPH}/{POST}/comments", json=fixture("error_permission.json"), status=403)

    with pytest.raises(FatalSourceError, match="pages_read_engagement"):
        FacebookListener(settings()).poll(None)


def test_rate_limit_is_retriable_at_the_estimated_time(graph: responses.RequestsMock) -> None:
    usage = {
        PAGE: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 12,
                "total_time": 20,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    headers = {
        "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 12, "total_time": 20}),
        "X-Business-Use-Case-Usage": json.dumps(usage),
    }
    graph.get(
        f"{GRAPH}/{PAGE}/posts", json=fixture("error_rate_limit.json"), status=400, headers=headers
    )

    before = datetime.now(UTC)
    with pytest.raises(RetriableSourceError) as caught:
        FacebookListener(settings()).poll(None)

    assert "code 4" in str(caught.value)
    retry_at = caught.value.retry_at
    assert retry_at is not None
    assert before + timedelta(minutes=7) <= retry_at <= datetime.now(UTC) + timedelta(minutes=7)


def test_rate_limit_without_an_estimate_has_no_retry_time(graph: responses.RequestsMock) -> None:
    headers = {"X-App-Usage": json.dumps({"call_count": 96, "total_cputime": 5, "total_time": 8})}
    graph.get(
        f"{GRAPH}/{PAGE}/posts", json=fixture("error_page_limit.json"), status=400, headers=headers
    )

    with pytest.raises(RetriableSourceError) as caught:
        FacebookListener(settings()).poll(None)

    assert caught.value.retry_at is None


def test_server_error_and_timeout_are_retriable_without_the_token(
    graph: responses.RequestsMock,
) -> None:
    graph.get(
        f"{GRAPH}/{PAGE}/posts",
        body="<html>502 Bad Gateway</html>",
        status=502,
        content_type="text/html",
    )
    with pytest.raises(RetriableSourceError, match="HTTP 502"):
        FacebookListener(settings()).poll(None)

    graph.reset()
    graph.get(
        f"{GRAPH}/{PAGE}/posts",
        body=requests.ReadTimeout(f"read timed out: {GRAPH}/{PAGE}/posts?access_token={TOKEN}"),
    )
    with pytest.raises(RetriableSourceError) as caught:
        FacebookListener(settings()).poll(None)
    assert "ReadTimeout" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_missing_settings_are_fatal_before_any_call() -> None:
    with pytest.raises(FatalSourceError, match="LAPOR_FACEBOOK_PAGE_TOKEN"):
        FacebookListener(settings(facebook_page_token=None))
    with pytest.raises(FatalSourceError, match="LAPOR_FACEBOOK_GRAPH_VERSION"):
        FacebookListener(settings(facebook_graph_version="latest"))


def test_retry_at_reads_app_usage_and_business_usage() -> None:
    now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    app = {"X-App-Usage": json.dumps({"call_count": 100, "estimated_time_to_regain_access": 3})}
    business = {
        "X-Business-Use-Case-Usage": json.dumps(
            {PAGE: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 12}]}
        )
    }

    assert graph_retry_at(app, now) == now + timedelta(minutes=3)
    assert graph_retry_at(app | business, now) == now + timedelta(minutes=12)
    assert graph_retry_at({"X-App-Usage": "not json"}, now) is None
    assert graph_retry_at({}, now) is None
