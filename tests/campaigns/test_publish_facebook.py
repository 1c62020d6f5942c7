"""FacebookPublisher against `responses`: feed and photo posts, lookup, views-era metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
import requests
import responses

from campaigns.publishers.base import PublishRequest
from campaigns.publishers.facebook import FacebookPublisher
from core.errors import FatalSourceError, RetriableSourceError, UncertainDeliveryError
from core.settings import Settings
from tests.campaigns.conftest import multipart

FIXTURES = Path(__file__).parents[1] / "fixtures" / "publish"
GRAPH = "https://graph.facebook.com/v25.0"
PAGE = "104857600123456"
POST = f"{PAGE}_880011223344902"
TOKEN = "EAAG-fake-page-token-for-publisher-tests"
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
TEXT = (
    "Lapor itu mudah & aman. Sampaikan keluhan layanan publik di lapor.go.id "
    "atau SMS 1708. #BeraniLAPOR"
)
ALT = "Infografik #BeraniLAPOR: tiga langkah melapor lewat LAPOR!"


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def publisher(**values: Any) -> FacebookPublisher:
    base = {"facebook_page_id": PAGE, "facebook_page_token": TOKEN}
    return FacebookPublisher(Settings(_env_file=None, **{**base, **values}), clock=lambda: NOW)


def request(text: str = TEXT, media: Path | None = None) -> PublishRequest:
    return PublishRequest(
        key="post:7:facebook:1",
        variant_key="post:7:facebook",
        channel="facebook",
        text=text,
        media_path=media,
        alt_text=ALT if media else None,
        since=NOW,
    )


# Publishing ----------------------------------------------------------------------------------


@responses.activate
def test_a_text_post_goes_to_the_page_feed() -> None:
    responses.post(f"{GRAPH}/{PAGE}/feed", json=load("facebook_feed_post"))
    published = publisher().publish(request())
    assert published.external_id == f"{PAGE}_880011223344777"
    assert published.url == f"https://www.facebook.com/{PAGE}_880011223344777"
    form = dict(parse_qsl(responses.calls[0].request.body))
    assert (form["message"], form["access_token"]) == (TEXT, TOKEN)


@responses.activate
def test_a_photo_post_uploads_the_file_with_caption_and_alt_text(image: Path) -> None:
    responses.post(f"{GRAPH}/{PAGE}/photos", json=load("facebook_photo_post"))
    published = publisher(facebook_app_secret="fake-app-secret").publish(request(media=image))
    assert published.external_id == POST  # the Page post, not the photo node
    assert published.url == f"https://www.facebook.com/{POST}"
    sent = responses.calls[0].request
    parts = multipart(sent.headers["Content-Type"], sent.body)
    assert parts["source"].get_content() == image.read_bytes()
    assert parts["source"].get_filename() == "berani-lapor.png"
    assert parts["caption"].get_content() == TEXT
    assert parts["alt_text_custom"].get_content() == ALT
    assert parts["access_token"].get_content() == TOKEN
    assert len(parts["appsecret_proof"].get_content()) == 64  # HMAC-SHA256 hex


@responses.activate
def test_rate_limit_is_retriable_until_the_usage_header_says() -> None:
    usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 30,
                     "total_time": 40, "estimated_time_to_regain_access": 15}]}  # fmt: skip
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage)}
    responses.post(
        f"{GRAPH}/{PAGE}/feed", json=load("facebook_error_rate_limit"), status=400, headers=headers
    )
    with pytest.raises(RetriableSourceError, match="rate limited") as caught:
        publisher().publish(request())
    assert caught.value.retry_at == NOW + timedelta(minutes=15)


@responses.activate
def test_bad_token_and_missing_permission_are_fatal_without_the_token() -> None:
    responses.post(f"{GRAPH}/{PAGE}/feed", json=load("facebook_error_token_expired"), status=401)
    responses.post(f"{GRAPH}/{PAGE}/feed", json=load("facebook_error_permission"), status=403)
    fb = publisher()
    with pytest.raises(FatalSourceError, match="expired or invalid") as expired:
        fb.publish(request())
    with pytest.raises(FatalSourceError, match="permission to post") as forbidden:
        fb.publish(request())
    assert TOKEN not in str(expired.value) + str(forbidden.value)


@responses.activate
def test_a_lost_answer_is_uncertain_but_a_refused_connection_is_not() -> None:
    url = f"{GRAPH}/{PAGE}/feed"
    responses.post(url, body=requests.ReadTimeout(f"{url}?access_token={TOKEN} timed out"))
    responses.post(url, body=requests.ConnectionError(f"{url}?access_token={TOKEN} refused"))
    fb = publisher()
    with pytest.raises(UncertainDeliveryError) as lost:
        fb.publish(request())
    with pytest.raises(RetriableSourceError) as refused:
        fb.publish(request())
    assert not isinstance(refused.value, UncertainDeliveryError)
    assert TOKEN not in str(lost.value) + str(refused.value)


@responses.activate
def test_a_duplicate_is_ours_when_the_page_shows_it() -> None:
    responses.post(f"{GRAPH}/{PAGE}/feed", json=load("facebook_error_duplicate"), status=400)
    responses.get(f"{GRAPH}/{PAGE}/posts", json=load("facebook_page_posts"))
    assert publisher().publish(request()).external_id == POST


def test_without_page_id_or_token_it_is_fatal_and_names_the_variable() -> None:
    with pytest.raises(FatalSourceError, match="LAPOR_FACEBOOK_PAGE_ID"):
        FacebookPublisher(Settings(_env_file=None, facebook_page_token=TOKEN))
    with pytest.raises(FatalSourceError, match="LAPOR_FACEBOOK_PAGE_TOKEN"):
        FacebookPublisher(Settings(_env_file=None, facebook_page_id=PAGE))


# Lookup ---------------------------------------------------------------------------------------


@responses.activate
def test_lookup_finds_the_post_whose_message_is_ours() -> None:
    responses.get(f"{GRAPH}/{PAGE}/posts", json=load("facebook_page_posts"))
    found = publisher().lookup(request())
    assert found is not None and found.external_id == POST
    query = parse_qs(urlsplit(responses.calls[0].request.url).query)
    assert query["since"] == [str(int((NOW - timedelta(minutes=5)).timestamp()))]
    assert query["fields"] == ["id,message,created_time"]


@responses.activate
def test_lookup_returns_none_when_no_message_matches() -> None:
    responses.get(f"{GRAPH}/{PAGE}/posts", json=load("facebook_page_posts"))
    assert publisher().lookup(request(text="Teks yang belum pernah diunggah")) is None


# Metrics -------------------------------------------------------------------------------------


@responses.activate
def test_metrics_map_views_viewers_clicks_and_engagement() -> None:
    responses.get(f"{GRAPH}/{POST}", json=load("facebook_post_engagement"))
    responses.get(f"{GRAPH}/{POST}/insights", json=load("facebook_post_insights"))
    figures = publisher().metrics([POST])[POST]
    assert (figures.impressions, figures.reach, figures.clicks) == (2310, 1480, 95)
    assert (figures.reactions, figures.comments, figures.shares) == (52, 7, 4)
    assert figures.raw["post"] == load("facebook_post_engagement")
    fields = parse_qs(urlsplit(responses.calls[0].request.url).query)["fields"]
    assert fields == ["shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)"]
    metric = parse_qs(urlsplit(responses.calls[1].request.url).query)["metric"]
    assert metric == ["post_media_view,post_total_media_view_unique,post_clicks"]


@responses.activate
def test_a_retired_metric_is_asked_alone_and_the_rest_still_count() -> None:
    insights = f"{GRAPH}/{POST}/insights"
    responses.get(f"{GRAPH}/{POST}", json=load("facebook_post_engagement"))
    responses.get(insights, json=load("facebook_error_invalid_metric"), status=400)
    responses.get(insights, json=load("facebook_insight_views"))
    responses.get(insights, json=load("facebook_insight_viewers"))
    responses.get(insights, json=load("facebook_error_invalid_metric"), status=400)
    figures = publisher().metrics([POST])[POST]
    assert (figures.impressions, figures.reach, figures.clicks) == (2310, 1480, None)
    assert figures.raw["insights"]["post_clicks"]["error"]["code"] == 100


@responses.activate
def test_metrics_leave_deleted_posts_out_and_stop_on_a_bad_token() -> None:
    gone = f"{PAGE}_880011223344000"
    responses.get(f"{GRAPH}/{gone}", json=load("facebook_error_missing_post"), status=400)
    assert publisher().metrics([gone]) == {}
    responses.get(f"{GRAPH}/{POST}", json=load("facebook_error_token_expired"), status=401)
    with pytest.raises(FatalSourceError, match="expired or invalid"):
        publisher().metrics([POST])
