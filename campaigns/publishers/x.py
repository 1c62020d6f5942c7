"""The X publisher: campaign posts through X API v2 with the account's OAuth 1.0a user context."""

from __future__ import annotations

import base64
import html
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, ClassVar

import requests
import tweepy
from twitter_text import extract_urls_with_indices

from campaigns.publishers.base import Figures, Published, PublishRequest
from core.errors import (
    FatalSourceError,
    RetriableSourceError,
    UncertainDeliveryError,
)
from core.platforms import read_image, request_error, x_error, x_user_client
from core.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "x"
# What POST /2/media/upload takes in one shot (its media_type enum, docs.x.com/x-api/media/
# upload-media); GIF and video need the chunked initialize/append/finalize flow instead.
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # X: images up to 5 MB
ALT_TEXT_LIMIT = 1000  # X refuses longer alt text; a cut description beats no post
LOOKUP_MARGIN = timedelta(minutes=5)  # our clock against X's created_at
METRICS_BATCH = 100  # GET /2/tweets takes up to 100 ids
_LINK = "\x00"  # stands for any link when two texts are compared
_TCO = re.compile(r"https?://t\.co/\w+")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _squeeze(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def comparable(text: str) -> str:
    """Return our text with every link X would shorten replaced by one marker, spaces squeezed."""
    # twitter-text is X's own link finder: a bare "lapor.go.id" becomes a t.co link on X too.
    for found in sorted(extract_urls_with_indices(text), key=lambda u: -u["indices"][0]):
        start, end = found["indices"]
        text = text[:start] + _LINK + text[end:]
    return _squeeze(text)


def comparable_tweet(tweet: Mapping[str, Any]) -> str:
    """Return a v2 tweet's text in `comparable` form: t.co links marked, the photo link dropped."""
    text = html.unescape(str(tweet.get("text") or ""))  # v2 escapes &, < and > in text
    for url in _obj(tweet.get("entities")).get("urls") or []:
        if isinstance(url, dict) and url.get("url"):
            # X appends the attached photo as a t.co link of its own (it carries media_key)
            text = text.replace(str(url["url"]), "" if url.get("media_key") else _LINK)
    return _squeeze(_TCO.sub(_LINK, text))


def _count(metrics: Mapping[str, Any], *names: str) -> int | None:
    values = [metrics[n] for n in names if isinstance(metrics.get(n), int)]
    return sum(values) if values else None


class XPublisher:
    """Posts campaign versions on the X account of the four user-context keys.

    Media: tweepy 4.17's Client cannot upload media; only its v1.1 `API.media_upload` can, and
    X is retiring v1.1 media/upload (devcommunity.x.com/t/238196, "Deprecating the v1.1 media
    upload endpoints", 2025). So the image goes to X API v2 `POST /2/media/upload` through
    `Client.request`: the one-shot upload takes the file base64-encoded as `media` in a JSON
    body (docs.x.com/x-api/media/image-or-subtitle-media-upload), which keeps tweepy's OAuth 1.0a
    signing (a JSON body is outside the signature; a multipart one would need its own code),
    its error classes and our timeout. The alt text follows with `POST /2/media/metadata`
    (docs.x.com/x-api/media/create-media-metadata), then `create_tweet(media_ids=[...])`.

    Lookup reads the account's own posts since the first attempt (`get_users_tweets`) and
    compares texts with links normalised, since X returns t.co links in `text`.
    """

    channel: ClassVar[str] = CHANNEL

    def __init__(self, settings: Settings, client: tweepy.Client | None = None) -> None:
        self._client = client or x_user_client(settings, CHANNEL, "campaign posts on X")
        self._username = settings.x_username
        self._user_id = settings.x_user_id
        self._max_pages = max(settings.x_max_pages, 1)

    def publish(self, request: PublishRequest) -> Published:
        """Post the text (with its image and alt text); return the tweet id and its link.

        A 403 "duplicate content" is answered by looking the post up: found, it is returned;
        else FatalSourceError. Raises as the Publisher protocol says.
        """
        media_ids = [self._upload(request)] if request.media_path is not None else None
        try:
            body = self._client.create_tweet(text=request.text, media_ids=media_ids)
        except tweepy.Forbidden as exc:
            if not any("duplicate content" in str(m) for m in exc.api_messages):
                raise x_error(CHANNEL, exc, "the post") from None
            body = None
        except tweepy.HTTPException as exc:
            raise x_error(CHANNEL, exc, "the post") from None
        except requests.RequestException as exc:
            raise request_error(CHANNEL, exc, "X", posting=True) from None
        if body is None:
            return self._posted_before(request)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or not data.get("id"):
            raise UncertainDeliveryError(CHANNEL, "X answered the post without a tweet id")
        log.info("posted %s on X as %s", request.key, data["id"])
        return self._published(str(data["id"]))

    def lookup(self, request: PublishRequest) -> Published | None:
        """Return the account's earliest post since `request.since` whose text is ours, or None.

        Raises RetriableSourceError or FatalSourceError when X cannot be asked.
        """
        user_id = self._account_id()
        wanted = comparable(request.text)
        params: dict[str, Any] = {
            "start_time": request.since - LOOKUP_MARGIN,
            "max_results": 100,
            "exclude": ["replies", "retweets"],
            "tweet_fields": ["created_at", "entities"],
            "user_auth": True,
        }
        found: str | None = None
        for _ in range(self._max_pages):
            page = self._read(partial(self._client.get_users_tweets, user_id, **params), "posts")
            for tweet in page.get("data") or []:
                if isinstance(tweet, dict) and comparable_tweet(tweet) == wanted:
                    found = str(tweet["id"])  # newest first: the last match is the first post
            token = _obj(page.get("meta")).get("next_token")
            if not token:
                break
            params["pagination_token"] = token
        return self._published(found) if found else None

    def metrics(self, external_ids: Sequence[str]) -> dict[str, Figures]:
        """Return public_metrics of the given tweets: impressions, likes, replies, reposts +
        quotes (bookmarks stay in raw). Deleted tweets are left out. Raises like `publish`."""
        out: dict[str, Figures] = {}
        ids = list(external_ids)
        for start in range(0, len(ids), METRICS_BATCH):
            chunk = ids[start : start + METRICS_BATCH]
            call = partial(
                self._client.get_tweets, chunk, tweet_fields=["public_metrics"], user_auth=True
            )
            body = self._read(call, "post metrics")
            for tweet in body.get("data") or []:
                m = tweet.get("public_metrics") if isinstance(tweet, dict) else None
                if not isinstance(m, dict) or not tweet.get("id"):
                    continue
                out[str(tweet["id"])] = Figures(
                    impressions=_count(m, "impression_count"),
                    reactions=_count(m, "like_count"),
                    comments=_count(m, "reply_count"),
                    shares=_count(m, "retweet_count", "quote_count"),
                    raw=tweet,
                )
        return out

    def _published(self, tweet_id: str) -> Published:
        return Published(
            external_id=tweet_id, url=f"https://x.com/{self._username}/status/{tweet_id}"
        )

    def _posted_before(self, request: PublishRequest) -> Published:
        """X calls the text a duplicate: ours if the account posted it since the first try."""
        try:
            found = self.lookup(request)
        except RetriableSourceError as exc:
            detail = f"X called the post a duplicate (403) and looking it up failed: {exc.detail}"
            raise UncertainDeliveryError(CHANNEL, detail) from None
        if found is None:
            detail = (
                "X refused the post as a duplicate of an earlier post of the account "
                "(403 duplicate content); change the text"
            )
            raise FatalSourceError(CHANNEL, detail)
        log.info("%s was already on X as %s", request.key, found.external_id)
        return found

    def _upload(self, request: PublishRequest) -> str:
        """Upload the image and set its alt text; return the media id. Nothing is posted yet,
        so every failure here is retriable or fatal, never uncertain."""
        assert request.media_path is not None
        media_type = IMAGE_TYPES.get(request.media_path.suffix.lower())
        if media_type is None:
            kinds = "PNG, JPEG, WebP, BMP or TIFF"
            detail = f"X takes {kinds} images in one upload; {request.media_path.name} is not one"
            raise FatalSourceError(CHANNEL, detail)
        data = read_image(CHANNEL, request.media_path, MAX_IMAGE_BYTES)
        payload = {
            "media": base64.b64encode(data).decode("ascii"),
            "media_category": "tweet_image",
            "media_type": media_type,
        }
        body = self._read(lambda: self._post("/2/media/upload", payload), "the image upload")
        media = _obj(body.get("data"))
        if not media.get("id"):
            raise RetriableSourceError(CHANNEL, "X answered the image upload without a media id")
        if _obj(media.get("processing_info")).get("state") == "failed":
            raise FatalSourceError(CHANNEL, f"X could not process {request.media_path.name}")
        media_id = str(media["id"])
        if request.alt_text:
            alt = {
                "id": media_id,
                "metadata": {"alt_text": {"text": request.alt_text[:ALT_TEXT_LIMIT]}},
            }
            self._read(lambda: self._post("/2/media/metadata", alt), "the alt text")
        return media_id

    def _post(self, route: str, payload: dict[str, Any]) -> Any:
        return self._client.request("POST", route, json=payload, user_auth=True).json()

    def _account_id(self) -> str:
        if not self._user_id:
            me = self._read(lambda: self._client.get_me(user_auth=True), "the account")
            user = _obj(me.get("data"))
            if not user.get("id"):
                raise RetriableSourceError(CHANNEL, "X answered /2/users/me without an id")
            self._user_id = str(user["id"])
        return self._user_id

    def _read(self, call: Callable[[], Any], what: str) -> dict[str, Any]:
        """Run a call that posts nothing; return its JSON object."""
        try:
            body = call()
        except tweepy.HTTPException as exc:
            raise x_error(CHANNEL, exc, what) from None
        except requests.RequestException as exc:  # JSONDecodeError is one too
            raise request_error(CHANNEL, exc, "X", posting=False) from None
        return _obj(body)
