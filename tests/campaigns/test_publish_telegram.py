"""TelegramPublisher against a local fake Bot API (127.0.0.1): photo with caption, errors."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import telegram
from telegram.request import HTTPXRequest

from campaigns.publishers.base import CannotTellError, PublishRequest
from campaigns.publishers.telegram import TelegramPublisher
from core.errors import FatalSourceError, RetriableSourceError, UncertainDeliveryError
from core.settings import Settings
from tests.campaigns.conftest import multipart
from tests.fakehttp import send_json, serving

FIXTURES = Path(__file__).parents[1] / "fixtures" / "publish"
TOKEN = "7012345678:AAH-fake-token-for-publisher-tests-01"
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
TEXT = (
    "Lapor itu mudah & aman. Sampaikan keluhan layanan publik di lapor.go.id "
    "atau SMS 1708. #BeraniLAPOR"
)


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


class FakeBotApi(ThreadingHTTPServer):
    """POST /bot<token>/<method>: records raw bodies; answers from per-method queues."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[tuple[str, dict[str, str], bytes]] = []
        self.replies: dict[str, list[tuple[int, Any]]] = {}
        self.delay: dict[str, float] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/bot"

    def script(self, method: str, status: int, body: Any) -> None:
        self.replies.setdefault(method, []).append((status, body))

    def answer(self, token: str, method: str) -> tuple[int, Any]:
        if token != TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method == "getMe":
            return 200, load("telegram_get_me")
        queue = self.replies.get(method)
        if not queue:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def sent(self) -> list[tuple[str, dict[str, str], bytes]]:
        return [c for c in self.calls if c[0] != "getMe"]


class _Handler(BaseHTTPRequestHandler):
    server: FakeBotApi

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        token, _, method = self.path.removeprefix("/bot").partition("/")
        self.server.calls.append((method, dict(self.headers), body))
        time.sleep(self.server.delay.get(method, 0))
        status, payload = self.server.answer(token, method)
        send_json(self, status, payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with serving(FakeBotApi()) as server:
        yield server


def publisher(base_url: str, channel: str = "@lapor1708", **bot: Any) -> TelegramPublisher:
    s = Settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        telegram_base_url=base_url,
        telegram_channel_id=channel,
    )
    injected = telegram.Bot(TOKEN, base_url=base_url, **bot) if bot else None
    return TelegramPublisher(s, injected, clock=lambda: NOW)


def request(text: str = TEXT, media: Path | None = None) -> PublishRequest:
    return PublishRequest(
        key="post:7:telegram:1",
        variant_key="post:7:telegram",
        channel="telegram",
        text=text,
        media_path=media,
        alt_text="Infografik #BeraniLAPOR" if media else None,
        since=NOW,
    )


def test_a_photo_goes_to_the_channel_with_the_text_as_caption(api: FakeBotApi, image: Path) -> None:
    api.script("sendPhoto", 200, load("telegram_send_photo"))
    published = publisher(api.base_url).publish(request(media=image))
    assert published.external_id == "-1001876500001708:57"
    assert published.url == "https://t.me/lapor1708/57"
    [(method, headers, body)] = api.sent()
    assert method == "sendPhoto"
    assert headers["Content-Type"].startswith("multipart/form-data")
    parts = multipart(headers["Content-Type"], body)
    assert parts["chat_id"].get_content() == "@lapor1708"
    assert parts["caption"].get_content() == TEXT
    assert parts["photo"].get_content() == image.read_bytes()
    assert parts["photo"].get_filename() == "berani-lapor.png"


def test_a_text_post_uses_send_message(api: FakeBotApi) -> None:
    api.script("sendMessage", 200, load("telegram_send_message"))
    published = publisher(api.base_url, channel="-1001876500001708").publish(request())
    assert published.external_id == "-1001876500001708:58"
    assert published.url == "https://t.me/lapor1708/58"  # the public channel's username
    [(method, _, body)] = api.sent()
    form = dict(parse_qsl(body.decode()))
    assert method == "sendMessage"
    assert (form["chat_id"], form["text"]) == ("-1001876500001708", TEXT)


def test_a_caption_over_1024_characters_is_refused_before_any_call(
    api: FakeBotApi, image: Path
) -> None:
    with pytest.raises(FatalSourceError, match="1024 characters"):
        publisher(api.base_url).publish(request(text="a" * 1025, media=image))
    assert api.calls == []


# PTB itself warns (while building RetryAfter) that retry_after becomes a timedelta in v23.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_flood_control_is_retriable_and_a_bot_outside_the_channel_is_fatal(
    api: FakeBotApi,
) -> None:
    api.script("sendMessage", 429, load("telegram_flood"))
    api.script("sendMessage", 403, load("telegram_not_member"))
    tele = publisher(api.base_url)
    with pytest.raises(RetriableSourceError) as flood:
        tele.publish(request())
    assert flood.value.retry_at == NOW + timedelta(seconds=35)
    with pytest.raises(FatalSourceError, match="not a member") as refused:
        tele.publish(request())
    assert TOKEN not in str(flood.value) + str(refused.value)


def test_a_wrong_token_is_fatal_and_never_shown(api: FakeBotApi) -> None:
    s = Settings(_env_file=None, telegram_bot_token="1:wrong", telegram_base_url=api.base_url,
                 telegram_channel_id="@lapor1708")  # fmt: skip
    with pytest.raises(FatalSourceError, match="LAPOR_TELEGRAM_BOT_TOKEN") as caught:
        TelegramPublisher(s).publish(request())
    assert "1:wrong" not in str(caught.value)


def test_a_lost_answer_is_uncertain(api: FakeBotApi) -> None:
    api.script("sendMessage", 200, load("telegram_send_message"))
    api.delay["sendMessage"] = 1.0
    tele = publisher(api.base_url, request=HTTPXRequest(read_timeout=0.2))
    with pytest.raises(UncertainDeliveryError):
        tele.publish(request())


def test_a_refused_connection_is_plainly_retriable() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RetriableSourceError) as caught:
        publisher(f"http://127.0.0.1:{port}/bot").publish(request())
    assert not isinstance(caught.value, UncertainDeliveryError)


def test_lookup_cannot_tell_and_metrics_are_empty(api: FakeBotApi) -> None:
    tele = publisher(api.base_url)
    with pytest.raises(CannotTellError, match="history"):
        tele.lookup(request())
    assert tele.metrics(["-1001876500001708:57"]) == {}
    assert api.calls == []


def test_without_a_channel_it_is_fatal_and_names_the_variable() -> None:
    with pytest.raises(FatalSourceError, match="LAPOR_TELEGRAM_CHANNEL_ID"):
        TelegramPublisher(Settings(_env_file=None, telegram_bot_token=TOKEN))
