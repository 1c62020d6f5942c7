"""The Facebook publisher: campaign posts on the Page through the Graph API (pyfacebook)."""

from __future__ import annotations

import logging
import mimetypes
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlparse

import pyfacebook
import requests

from campaigns.publishers.base import Figures, Published, PublishRequest
from core.clock import utcnow
from core.errors import (
    FatalSourceError,
    RetriableSourceError,
    SourceError,
    UncertainDeliveryError,
)
from core.platforms import graph_api, graph_error, graph_retry_at, read_image, request_error
from core.settings import Settings

log = logging.getLogger(__name__)

CHANNEL = "facebook"
MAX_IMAGE_BYTES = 10 * 1024 * 1024 - 1  # Photo reference: "a photo must be less than 10MB"
DUPLICATE = 506  # "(#506) Duplicate status message": the Page posted this text already
LOOKUP_MARGIN = timedelta(minutes=5)  # our clock against the Graph API's created_time
LOOKUP_PAGES = 5
ENGAGEMENT = "shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)"
# Views replaced impressions on 2025-11-15 for every version (Pages API changelog):
# post_impressions -> post_media_view, post_impressions_unique -> post_total_media_view_unique.
# post_clicks was not retired with them.
VIEWS, VIEWERS, CLICKS = "post_media_view", "post_total_media_view_unique", "post_clicks"
INSIGHTS = (VIEWS, VIEWERS, CLICKS)


class _GraphRefusal(Exception):
    """A Graph API error answer, held back so the caller can look at its code first."""

    def __init__(self, exc: pyfacebook.FacebookError) -> None:
        self.error = {k: v for k, v in vars(exc).items() if not k.startswith("_")}
        raw = self.error.get("code")
        self.code = int(str(raw)) if str(raw).isdigit() else None
        self.subcode = str(self.error.get("error_subcode"))
        super().__init__(self.code)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _squeeze(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _total(post: dict[str, Any], edge: str) -> int | None:
    count = _obj(_obj(post.get(edge)).get("summary")).get("total_count")
    return count if isinstance(count, int) else None


def lifetime_values(answers: Sequence[Any]) -> dict[str, int]:
    """Return {metric: value} from /insights answers, preferring each metric's lifetime row."""
    rows = [r for a in answers for r in _obj(a).get("data") or [] if isinstance(r, dict)]
    out: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r.get("period") == "lifetime"):  # lifetime wins
        values = row.get("values") or [{}]
        value = _obj(values[-1]).get("value")
        if isinstance(value, int) and row.get("name"):
            out[str(row["name"])] = value
    return out


class FacebookPublisher:
    """Posts campaign versions on the Facebook Page with the Page token.

    Text: POST /{page-id}/feed with `message`. Photo: POST /{page-id}/photos with the file as
    multipart `source`, the text as `caption` (the Photo reference marks `message` "Deprecated.
    Please use the caption param instead") and the alt text as `alt_text_custom` ("Accessible
    alternative description for an image", Photo reference, Creating). The photo answer
    {id, post_id} gives the Page post id, which is what lookup and metrics use.
    """

    channel: ClassVar[str] = CHANNEL

    def __init__(
        self,
        settings: Settings,
        api: pyfacebook.GraphAPI | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if not settings.facebook_page_id:
            raise FatalSourceError(CHANNEL, "LAPOR_FACEBOOK_PAGE_ID is not set")
        self._api = api or graph_api(settings, CHANNEL)
        self._page_id = settings.facebook_page_id
        token = settings.facebook_page_token
        self._token = token.get_secret_value() if token else ""
        self._clock = clock
        self._last: requests.Response | None = None
        self._api.session.hooks["response"].append(self._remember)

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last = response  # pyfacebook drops the status and headers the errors need

    def publish(self, request: PublishRequest) -> Published:
        """Post the text, or the photo with its caption and alt text; return the Page post id.

        A duplicate (#506) is answered by looking the post up. Raises as the Publisher says.
        """
        if request.media_path is None:
            form = {"message": request.text}
            call = partial(self._api.post_object, self._page_id, "feed", data=form)
        else:
            image = read_image(CHANNEL, request.media_path, MAX_IMAGE_BYTES)
            kind = mimetypes.guess_type(request.media_path.name)[0] or "application/octet-stream"
            form = {"caption": request.text}
            if request.alt_text:
                form["alt_text_custom"] = request.alt_text
            files = {"source": (request.media_path.name, image, kind)}
            call = partial(self._api.post_object, self._page_id, "photos", data=form, files=files)
        try:
            body: dict[str, Any] | None = self._call(call, "the post", posting=True)
        except _GraphRefusal as refusal:
            if refusal.code != DUPLICATE:
                raise self._fail(refusal, "the post") from None
            body = None
        if body is None:
            return self._posted_before(request)
        post_id = body.get("post_id") or body.get("id")
        if not post_id:
            raise UncertainDeliveryError(CHANNEL, "the Graph API answered without a post id")
        log.info("posted %s on Facebook as %s", request.key, post_id)
        return _published(str(post_id))

    def lookup(self, request: PublishRequest) -> Published | None:
        """Return the Page's earliest post since `request.since` whose message is ours, or None.

        Raises RetriableSourceError or FatalSourceError when the Graph API cannot be asked.
        """
        since = int((request.since - LOOKUP_MARGIN).timestamp())
        params: dict[str, Any] = {"fields": "id,message,created_time", "since": since, "limit": 100}
        wanted, found = _squeeze(request.text), None
        for _ in range(LOOKUP_PAGES):
            page = self._ask(partial(self._api.get_connection, self._page_id, "posts", **params))
            for post in page.get("data") or []:
                if _squeeze(str(_obj(post).get("message") or "")) == wanted and post.get("id"):
                    found = str(post["id"])  # newest first: the last match is the first post
            next_url = _obj(page.get("paging")).get("next")
            if not next_url:
                break
            params = dict(parse_qsl(urlparse(next_url).query))
            params.pop("access_token", None)  # the client adds its own
            params.pop("appsecret_proof", None)
        return _published(found) if found else None

    def metrics(self, external_ids: Sequence[str]) -> dict[str, Figures]:
        """Return each post's views (impressions), viewers (reach), clicks, reactions, comments
        and shares; posts the Page no longer has are left out. Raw keeps both answers.

        Insights the token may not read (read_insights) or that Meta retired leave those
        figures None; token, rate-limit and server errors raise like `publish`.
        """
        out: dict[str, Figures] = {}
        for post_id in external_ids:
            try:
                post = self._call(partial(self._api.get_object, post_id, fields=ENGAGEMENT))
            except _GraphRefusal as refusal:
                if refusal.code == 100 and refusal.subcode == "33":
                    continue  # deleted: "Object ... does not exist"
                raise self._fail(refusal, "the post figures") from None
            insights = self._insights(post_id)
            values = lifetime_values(list(insights.values()))
            out[post_id] = Figures(
                impressions=values.get(VIEWS),
                reach=values.get(VIEWERS),
                clicks=values.get(CLICKS),
                reactions=_total(post, "reactions"),
                comments=_total(post, "comments"),
                # the Graph API leaves `shares` out until someone shares the post
                shares=_obj(post.get("shares")).get("count", 0),
                raw={"post": post, "insights": insights},
            )
        return out

    def _insights(self, post_id: str) -> dict[str, Any]:
        """Return the raw /insights answers: all metrics in one call, or each alone when the
        call is refused with #100, since one retired metric fails the whole call."""
        try:
            return {"all": self._call(self._insight_call(post_id, INSIGHTS))}
        except _GraphRefusal as refusal:
            if refusal.code != 100:
                return {"all": {"error": self._tolerate(refusal)}}
        out: dict[str, Any] = {}
        for metric in INSIGHTS:
            try:
                out[metric] = self._call(self._insight_call(post_id, (metric,)))
            except _GraphRefusal as refusal:
                out[metric] = {"error": self._tolerate(refusal)}
        return out

    def _insight_call(self, post_id: str, metrics: Sequence[str]) -> Callable[[], Any]:
        return partial(self._api.get_connection, post_id, "insights", metric=",".join(metrics))

    def _tolerate(self, refusal: _GraphRefusal) -> dict[str, Any]:
        """Return the error object when the figures can go on without it; else raise."""
        error = self._fail(refusal, "post insights")
        if isinstance(error, FatalSourceError) and refusal.code != 190:
            return refusal.error
        raise error

    def _posted_before(self, request: PublishRequest) -> Published:
        try:
            found = self.lookup(request)
        except RetriableSourceError as exc:
            detail = (
                f"the Graph API called the post a duplicate; looking it up failed: {exc.detail}"
            )
            raise UncertainDeliveryError(CHANNEL, detail) from None
        if found is None:
            detail = "the Graph API refused the post as a duplicate (#506); change the text"
            raise FatalSourceError(CHANNEL, detail)
        log.info("%s was already on Facebook as %s", request.key, found.external_id)
        return found

    def _ask(self, call: Callable[[], Any]) -> dict[str, Any]:
        try:
            return self._call(call)
        except _GraphRefusal as refusal:
            raise self._fail(refusal, "the Page's posts") from None

    def _call(
        self, call: Callable[[], Any], what: str = "", *, posting: bool = False
    ) -> dict[str, Any]:
        """Run one Graph API call; return its JSON object. Raises _GraphRefusal for an error
        answer, RetriableSourceError (or, when `posting`, UncertainDeliveryError) otherwise."""
        # `from None` everywhere: a chained requests error carries the URL with the token.
        self._last = None
        try:
            return _obj(call())
        except pyfacebook.FacebookError as exc:
            raise _GraphRefusal(exc) from None
        except pyfacebook.LibraryError:  # not JSON: a front end's error page
            status = self._last.status_code if self._last is not None else None
            detail = f"the Graph API sent a non-JSON answer (HTTP {status})"
            if posting and (status is None or status >= 500):
                raise UncertainDeliveryError(CHANNEL, f"{detail} to {what}") from None
            raise RetriableSourceError(CHANNEL, detail, self._retry_at()) from None
        except requests.RequestException as exc:
            raise request_error(CHANNEL, exc, "the Graph API", posting=posting) from None

    def _fail(self, refusal: _GraphRefusal, what: str) -> SourceError:
        error = dict(refusal.error)
        if self._token:
            error["message"] = str(error.get("message") or "").replace(self._token, "***")
        status = self._last.status_code if self._last is not None else None
        return graph_error(
            CHANNEL, error, status, action="post", what=what, retry_at=self._retry_at()
        )

    def _retry_at(self) -> datetime | None:
        headers = self._last.headers if self._last is not None else {}
        return graph_retry_at(headers, self._clock())


def _published(post_id: str) -> Published:
    return Published(external_id=post_id, url=f"https://www.facebook.com/{post_id}")
