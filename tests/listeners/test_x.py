"""The X listener against a fake api.twitter.com: what it fetches, the cursor, and errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from core.clock import from_epoch
from core.errors import FatalSourceError, RetriableSourceError
from core.settings import Settings
from listeners.x import XListener

FIXTURES = Path(__file__).parent.parent / "fixtures" / "x"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAtestbearer0123456789abcdefSECRET"
QUERY = "#BeraniLAPOR OR @LAPOR1708 -is:retweet"
USER_ID = "106358212"
SEARCH = "https://api.twitter.com/2/tweets/search/recent"
MENTIONS = f"https://api.twitter.com/2/users/{USER_ID}/mentions"
LOOKUP = "https://api.twitter.com/2/users/by/username/LAPOR1708"
PAGE1_NEXT = "b26v89c19zqg8o3fr5qc08d1u5q6q1x5wq5xzw1pq1tp"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def settings(**overrides) -> Settings:
    values = {
        "x_bearer_token": TOKEN,
        "x_queries": [QUERY],
        "x_username": "LAPOR1708",
        "x_user_id": USER_ID,
        "x_max_pages": 10,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


class FakeX:
    """Answers each endpoint from a queue of (status, body, headers); records the params sent."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.queues: dict[str, list[tuple[int, dict, dict]]] = {}
        self.sent: list[tuple[str, dict[str, str], dict[str, str]]] = []
        for url in (SEARCH, MENTIONS, LOOKUP):
            rsps.add_callback(responses.GET, re.compile(re.escape(url) + r"(\?.*)?$"), self._answer)

    def queue(self, url: str, *answers: tuple | str | Exception) -> None:
        for answer in answers:
            if isinstance(answer, Exception):
                answer = (0, answer)
            elif isinstance(answer, str):
                answer = (200, load(answer))
            status, body, *headers = answer
            self.queues.setdefault(url, []).append((status, body, headers[0] if headers else {}))

    def params(self, url: str) -> list[dict[str, str]]:
        return [params for sent_url, params, _ in self.sent if sent_url == url]

    def _answer(self, request: requests.PreparedRequest):
        parts = urlsplit(request.url)
        url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.sent.append((url, params, dict(request.headers)))
        queue = self.queues.get(url)
        status, body, headers = queue.pop(0) if queue else (200, load("empty"), {})
        if isinstance(body, Exception):
            raise body
        text = body if isinstance(body, str) else json.dumps(body)
        return status, {"content-type": "application/json", **headers}, text


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeX(rsps)


def test_a_poll_maps_search_and_mentions_and_asks_for_every_expansion(fake):
    fake.queue(SEARCH, "search_recent_page2")
    fake.queue(MENTIONS, "mentions")
    batch = XListener(settings()).poll(None)

    ids = {m.external_id: m for m in batch.mentions}
    assert set(ids) == {"1897000000000000098", "1897000000000000205", "1897000000000000204"}
    reply = ids["1897000000000000204"]
    assert (reply.kind, reply.reply_to_id) == ("reply", "1896777777777777001")
    assert reply.url == "https://x.com/mas_bagus_mlg/status/1897000000000000204"
    assert batch.next_cursor == {
        "search": {QUERY: "1897000000000000098"},
        "mentions": "1897000000000000205",
    }
    (search,) = fake.params(SEARCH)
    assert search["query"] == QUERY
    assert search["max_results"] == "100"
    assert set(search["expansions"].split(",")) >= {
        "author_id",
        "referenced_tweets.id",
        "attachments.media_keys",
        "entities.mentions.username",
        "in_reply_to_user_id",
    }
    assert set(search["tweet.fields"].split(",")) >= {"created_at", "entities", "public_metrics"}
    assert search["user.fields"] == "username,name"
    assert set(search["media.fields"].split(",")) == {"url", "preview_image_url", "type"}
    assert "since_id" not in search
    assert fake.sent[0][2]["Authorization"] == f"Bearer {TOKEN}"


def test_a_malformed_tweet_is_quarantined_and_the_poll_goes_on(fake):
    fake.queue(SEARCH, "search_recent_page2")
    batch = XListener(settings()).poll(None)
    assert [m.external_id for m in batch.mentions] == ["1897000000000000098"]
    (bad,) = batch.quarantined
    assert "created_at" in bad.reason
    assert json.loads(bad.raw)["id"] == "1897000000000000097"
    assert batch.next_cursor["search"] == {QUERY: "1897000000000000098"}


def test_pagination_follows_next_token_and_the_newest_id_becomes_since_id(fake):
    fake.queue(SEARCH, "search_recent_page1", "search_recent_page2")
    batch = XListener(settings()).poll({"search": {QUERY: "1897000000000000001"}, "mentions": None})
    first, second = fake.params(SEARCH)
    assert "next_token" not in first
    assert second["next_token"] == PAGE1_NEXT
    assert first["since_id"] == second["since_id"] == "1897000000000000001"
    assert len(batch.mentions) == 4  # 3 + 1, the tweet without created_at quarantined
    assert batch.next_cursor["search"] == {QUERY: "1897000000000000101"}
    assert "resume" not in batch.next_cursor


def test_the_next_poll_sends_the_since_id_and_an_empty_result_keeps_it(fake):
    fake.queue(SEARCH, "search_recent_page2", "empty")
    fake.queue(MENTIONS, "mentions", "empty")
    listener = XListener(settings())
    first = listener.poll(None)
    second = listener.poll(first.next_cursor)
    assert fake.params(SEARCH)[1]["since_id"] == "1897000000000000098"
    assert fake.params(MENTIONS)[1]["since_id"] == "1897000000000000205"
    assert second.mentions == []
    assert second.next_cursor == first.next_cursor


def test_a_page_cap_resumes_where_it_stopped_and_loses_nothing(fake):
    fake.queue(SEARCH, "search_recent_page1", "search_recent_page2", "empty")
    listener = XListener(settings(x_max_pages=1))
    old = {"search": {QUERY: "1897000000000000001"}}

    first = listener.poll(old)
    assert len(first.mentions) == 3
    # Capped: since_id stays; the token and the newest id wait for the next poll.
    assert first.next_cursor["search"] == {QUERY: "1897000000000000001"}
    assert first.next_cursor["resume"]["search"] == {
        QUERY: {"next_token": PAGE1_NEXT, "newest_id": "1897000000000000101"}
    }

    second = listener.poll(first.next_cursor)
    sent = fake.params(SEARCH)[1]
    assert (sent["next_token"], sent["since_id"]) == (PAGE1_NEXT, "1897000000000000001")
    assert [m.external_id for m in second.mentions] == ["1897000000000000098"]
    assert second.next_cursor["search"] == {QUERY: "1897000000000000101"}
    assert "resume" not in second.next_cursor

    listener.poll(second.next_cursor)
    assert fake.params(SEARCH)[2]["since_id"] == "1897000000000000101"
    assert "next_token" not in fake.params(SEARCH)[2]


def test_a_first_run_backfills_only_up_to_the_page_cap(fake):
    fake.queue(SEARCH, "search_recent_page1")
    batch = XListener(settings(x_max_pages=1)).poll(None)
    assert len(fake.params(SEARCH)) == 1
    assert batch.next_cursor["search"] == {QUERY: "1897000000000000101"}
    assert "resume" not in batch.next_cursor


def test_a_stale_token_restarts_below_the_same_since_id(fake):
    fake.queue(SEARCH, (400, {"errors": [{"message": "Invalid pagination token"}]}), "empty")
    cursor = {
        "search": {QUERY: "1897000000000000001"},
        "resume": {
            "search": {QUERY: {"next_token": "kadaluarsa", "newest_id": "1897000000000000101"}}
        },
    }
    batch = XListener(settings()).poll(cursor)
    stale, fresh = fake.params(SEARCH)
    assert stale["next_token"] == "kadaluarsa"
    assert "next_token" not in fresh
    assert fresh["since_id"] == "1897000000000000001"
    assert batch.next_cursor["search"] == {QUERY: "1897000000000000001"}


def test_mentions_follow_pagination_token(fake):
    page = load("mentions")
    page["meta"]["next_token"] = "7140dibdnow9c7btw4"
    fake.queue(MENTIONS, (200, page), "empty")
    batch = XListener(settings(x_queries=[])).poll(None)
    assert fake.params(MENTIONS)[1]["pagination_token"] == "7140dibdnow9c7btw4"
    assert batch.next_cursor == {"search": {}, "mentions": "1897000000000000205"}


def test_the_account_id_is_looked_up_once_when_unset(fake):
    fake.queue(LOOKUP, "user_lookup")
    fake.queue(MENTIONS, "mentions")
    listener = XListener(settings(x_user_id=None, x_queries=[]))
    listener.poll(None)
    listener.poll(None)
    assert len(fake.params(LOOKUP)) == 1
    assert len(fake.params(MENTIONS)) == 2


def test_an_unknown_account_is_a_fatal_error_that_names_the_setting(fake):
    fake.queue(LOOKUP, (200, {"errors": [{"title": "Not Found Error", "detail": "x"}]}))
    with pytest.raises(FatalSourceError, match="LAPOR_X_USERNAME"):
        XListener(settings(x_user_id=None, x_queries=[])).poll(None)


def test_429_is_retriable_until_the_reset_header(fake):
    fake.queue(SEARCH, (429, load("rate_limited"), {"x-rate-limit-reset": "1772436000"}))
    with pytest.raises(RetriableSourceError) as caught:
        XListener(settings()).poll(None)
    assert caught.value.retry_at == from_epoch(1772436000)
    assert "429" in str(caught.value)


def test_429_after_a_fetched_page_raises_so_the_cursor_does_not_move(fake):
    fake.queue(SEARCH, "search_recent_page1", (429, load("rate_limited")))
    with pytest.raises(RetriableSourceError) as caught:
        XListener(settings()).poll({"search": {QUERY: "1897000000000000001"}})
    assert caught.value.retry_at is None


def test_401_is_fatal_and_never_shows_the_token(fake):
    fake.queue(SEARCH, (401, load("unauthorized")))
    with pytest.raises(FatalSourceError) as caught:
        XListener(settings()).poll(None)
    message = str(caught.value)
    assert message == "x: X rejected the bearer token (401): check LAPOR_X_BEARER_TOKEN"
    assert TOKEN not in message and TOKEN[-12:] not in repr(caught.value.__dict__)
    assert caught.value.__cause__ is None


def test_403_is_fatal(fake):
    body = {"title": "Forbidden", "type": "about:blank", "status": 403, "detail": "Forbidden"}
    fake.queue(MENTIONS, (403, body))
    with pytest.raises(FatalSourceError, match="403"):
        XListener(settings(x_queries=[])).poll(None)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ((503, {"title": "Service Unavailable", "status": 503}), "server error \\(503\\)"),
        (requests.ConnectionError("connection refused"), "could not connect"),
        (requests.ReadTimeout("read timed out"), "in time"),
        ((200, "<html>bad gateway</html>"), "not JSON"),
    ],
)
def test_server_errors_and_network_failures_are_retriable(fake, answer, message):
    fake.queue(SEARCH, answer)
    with pytest.raises(RetriableSourceError, match=message):
        XListener(settings()).poll(None)


def test_a_since_id_older_than_seven_days_starts_the_search_afresh(fake):
    fake.queue(SEARCH, (400, load("invalid_since_id")), "search_recent_page2")
    batch = XListener(settings()).poll({"search": {QUERY: "1700000000000000000"}})
    stale, fresh = fake.params(SEARCH)
    assert stale["since_id"] == "1700000000000000000"
    assert "since_id" not in fresh
    assert batch.next_cursor["search"] == {QUERY: "1897000000000000098"}


def test_a_bad_query_is_fatal(fake):
    body = load("invalid_since_id")
    body["errors"][0]["message"] = "There were errors processing your request: bad operator"
    fake.queue(SEARCH, (400, body))
    with pytest.raises(FatalSourceError, match="bad operator"):
        XListener(settings()).poll(None)


def test_without_a_bearer_token_the_listener_does_not_start():
    with pytest.raises(FatalSourceError, match="LAPOR_X_BEARER_TOKEN"):
        XListener(settings(x_bearer_token=None))
