"""XPublisher against `responses`: upload, alt text, post, lookup through t.co links, metrics."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from http.client import RemoteDisconnected
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from campaigns.publishers.base import PublishRequest
from campaigns.publishers.x import XPublisher, comparable, comparable_tweet
from core.errors import FatalSourceError, RetriableSourceError, UncertainDeliveryError
from core.settings import Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "publish"
API = "https://api.twitter.com/2"
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
X_KEYS = {
    "x_consumer_key": "ck-fake-publisher",
    "x_consumer_secret": "cs-fake-publisher-secret",
    "x_access_token": "106358212-at-fake-publisher",
    "x_access_token_secret": "ats-fake-publisher-secret",
}
TEXT = (
    "Lapor itu mudah & aman. Sampaikan keluhan layanan publik di lapor.go.id "
    "atau SMS 1708. #BeraniLAPOR"
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


ALT = load("x_media_metadata")["data"]["associated_metadata"]["alt_text"]["text"]
TWEET_ID = load("x_create_tweet")["data"]["id"]
MEDIA_ID = load("x_media_upload")["data"]["id"]


def publisher(**values: Any) -> XPublisher:
    return XPublisher(Settings(_env_file=None, **{**X_KEYS, **values}))


def request(text: str = TEXT, media: Path | None = None) -> PublishRequest:
    return PublishRequest(
        key="post:7:x:1",
        variant_key="post:7:x",
        channel="x",
        text=text,
        media_path=media,
        alt_text=ALT if media else None,
        since=NOW,
    )


# Publishing ----------------------------------------------------------------------------------


@responses.activate
def test_posts_the_image_with_its_alt_text_then_the_text(image: Path) -> None:
    responses.post(f"{API}/media/upload", json=load("x_media_upload"))
    responses.post(f"{API}/media/metadata", json=load("x_media_metadata"))
    responses.post(f"{API}/tweets", json=load("x_create_tweet"), status=201)
    published = publisher().publish(request(media=image))
    assert published.external_id == TWEET_ID
    assert published.url == f"https://x.com/LAPOR1708/status/{TWEET_ID}"
    upload, metadata, tweet = (json.loads(c.request.body) for c in responses.calls)
    assert base64.b64decode(upload["media"]) == image.read_bytes()
    assert (upload["media_category"], upload["media_type"]) == ("tweet_image", "image/png")
    assert metadata == {"id": MEDIA_ID, "metadata": {"alt_text": {"text": ALT}}}
    assert tweet == {"text": TEXT, "media": {"media_ids": [MEDIA_ID]}}
    for call in responses.calls:  # every step in the account's user context
        assert 'oauth_consumer_key="ck-fake-publisher"' in call.request.headers["Authorization"]


@responses.activate
def test_a_text_post_uploads_nothing() -> None:
    responses.post(f"{API}/tweets", json=load("x_create_tweet"), status=201)
    assert publisher().publish(request()).external_id == TWEET_ID
    assert [c.request.url for c in responses.calls] == [f"{API}/tweets"]
    assert json.loads(responses.calls[0].request.body) == {"text": TEXT}


@responses.activate
def test_rate_limit_is_retriable_until_the_reset_header() -> None:
    reset = NOW + timedelta(minutes=15)
    headers = {"x-rate-limit-reset": str(int(reset.timestamp()))}
    responses.post(f"{API}/tweets", json=load("x_rate_limited"), status=429, headers=headers)
    with pytest.raises(RetriableSourceError) as caught:
        publisher().publish(request())
    assert caught.value.retry_at == reset
    assert not isinstance(caught.value, UncertainDeliveryError)


@responses.activate
def test_bad_keys_and_refusals_are_fatal_and_name_no_secret() -> None:
    responses.post(f"{API}/tweets", json=load("x_unauthorized"), status=401)
    responses.post(f"{API}/tweets", json=load("x_forbidden"), status=403)
    x = publisher()
    with pytest.raises(FatalSourceError, match="401") as bad_keys:
        x.publish(request())
    with pytest.raises(FatalSourceError, match="not permitted") as refused:
        x.publish(request())
    for error in (bad_keys.value, refused.value):
        assert not any(secret in str(error) for secret in X_KEYS.values())


@responses.activate
def test_a_lost_answer_is_uncertain_but_a_refused_connection_is_not() -> None:
    dropped = requests.ConnectionError(
        ProtocolError("Connection aborted.", RemoteDisconnected("closed"))
    )
    responses.post(f"{API}/tweets", body=requests.ReadTimeout("read timed out"))
    responses.post(f"{API}/tweets", body=dropped)
    responses.post(f"{API}/tweets", body=requests.ConnectionError("connection refused"))
    x = publisher()
    for _ in range(2):
        with pytest.raises(UncertainDeliveryError):
            x.publish(request())
    with pytest.raises(RetriableSourceError) as refused:
        x.publish(request())
    assert not isinstance(refused.value, UncertainDeliveryError)


@responses.activate
def test_an_upload_that_times_out_is_plainly_retriable(image: Path) -> None:
    responses.post(f"{API}/media/upload", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(RetriableSourceError) as caught:
        publisher().publish(request(media=image))
    assert not isinstance(caught.value, UncertainDeliveryError)  # nothing can have been posted
    assert len(responses.calls) == 1


def test_a_gif_or_a_missing_image_is_fatal_before_any_call(tmp_path: Path) -> None:
    with pytest.raises(FatalSourceError, match="PNG, JPEG"):
        publisher().publish(request(media=tmp_path / "animasi.gif"))
    with pytest.raises(FatalSourceError, match="not in the media library"):
        publisher().publish(request(media=tmp_path / "hilang.png"))


@responses.activate
def test_a_duplicate_is_ours_when_the_lookup_finds_it() -> None:
    responses.post(f"{API}/tweets", json=load("x_duplicate"), status=403)
    responses.get(f"{API}/users/106358212/tweets", json=load("x_user_tweets"))
    published = publisher(x_user_id="106358212").publish(request())
    assert published.external_id == TWEET_ID


@responses.activate
def test_a_duplicate_of_an_older_post_is_fatal() -> None:
    responses.post(f"{API}/tweets", json=load("x_duplicate"), status=403)
    responses.get(f"{API}/users/106358212/tweets", json=load("x_user_tweets_empty"))
    with pytest.raises(FatalSourceError, match="duplicate"):
        publisher(x_user_id="106358212").publish(request())


def test_without_user_keys_it_is_fatal_and_names_the_variables() -> None:
    with pytest.raises(FatalSourceError, match="LAPOR_X_ACCESS_TOKEN_SECRET"):
        XPublisher(Settings(_env_file=None, x_bearer_token="app-only"))


# Lookup ---------------------------------------------------------------------------------------


@responses.activate
def test_lookup_finds_our_post_through_its_t_co_links() -> None:
    responses.get(f"{API}/users/me", json=load("x_users_me"))
    responses.get(f"{API}/users/106358212/tweets", json=load("x_user_tweets"))
    found = publisher().lookup(request())
    assert found is not None and found.external_id == TWEET_ID
    assert found.url == f"https://x.com/LAPOR1708/status/{TWEET_ID}"
    query = parse_qs(urlsplit(responses.calls[1].request.url).query)
    assert query["start_time"] == ["2026-12-07T00:55:00Z"]  # since, less the clock margin
    assert query["exclude"] == ["replies,retweets"]


@responses.activate
def test_lookup_returns_none_when_no_post_matches() -> None:
    responses.get(f"{API}/users/106358212/tweets", json=load("x_user_tweets"))
    x = publisher(x_user_id="106358212")
    assert x.lookup(request(text="Teks lain yang tidak pernah diunggah #BeraniLAPOR")) is None
    assert len(responses.calls) == 1  # the configured user id: no /users/me


def test_text_comparison_ignores_links_photo_links_escapes_and_spacing() -> None:
    tweet = load("x_user_tweets")["data"][1]
    assert comparable_tweet(tweet) == comparable(TEXT)
    assert comparable_tweet(tweet) != comparable(TEXT.replace("SMS 1708", "SMS 1709"))
    assert comparable("Buka  lapor.go.id\nsekarang") == comparable("Buka https://t.co/x sekarang")


# Metrics -------------------------------------------------------------------------------------


@responses.activate
def test_metrics_map_public_metrics_and_leave_deleted_posts_out() -> None:
    responses.get(f"{API}/tweets", json=load("x_tweets_metrics"))
    figures = publisher().metrics([TWEET_ID, "1991500000000000999"])
    assert list(figures) == [TWEET_ID]
    f = figures[TWEET_ID]
    assert (f.impressions, f.reactions, f.comments, f.shares) == (5210, 87, 6, 14 + 3)
    assert (f.reach, f.clicks) == (None, None)
    assert f.raw["public_metrics"]["bookmark_count"] == 9
    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert query["ids"] == [f"{TWEET_ID},1991500000000000999"]
    assert query["tweet.fields"] == ["public_metrics"]
