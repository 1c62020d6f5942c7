"""Senders: each channel's call against offline fakes (responses, a local Bot API and LINE API)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses

from core.errors import FatalSourceError, RetriableSourceError
from core.settings import Settings
from handler.senders import (
    ConsoleSender,
    FacebookSender,
    LineSender,
    MessengerSender,
    Outgoing,
    TelegramSender,
    UncertainDeliveryError,
    XSender,
    sender_for,
)
from tests.fakehttp import send_json, serving

FIXTURES = Path(__file__).parents[1] / "fixtures" / "senders"
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TG_TOKEN = "7012345678:AAH-fake-token-for-tests-only-0123456"
FB_TOKEN = "EAAG-fake-page-token-for-tests-only"
LINE_TOKEN = "line-fake-channel-access-token-0123456789"
X_KEYS = {
    "x_consumer_key": "ck-fake",
    "x_consumer_secret": "cs-fake-secret",
    "x_access_token": "1234-at-fake",
    "x_access_token_secret": "ats-fake-secret",
}
TWEETS = "https://api.twitter.com/2/tweets"
GRAPH = "https://graph.facebook.com/v25.0"
TEXT = "Terima kasih, laporan Anda sudah kami terima dengan nomor LPR-2026-000123."


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def outgoing(platform: str, recipient: str | None, in_reply_to: str | None) -> Outgoing:
    return Outgoing(
        platform=platform,
        recipient=recipient,
        in_reply_to=in_reply_to,
        text=TEXT,
        key="report:7:received",
    )


# X ------------------------------------------------------------------------------------------


@responses.activate
def test_x_reply_posts_a_tweet_in_reply_to_the_mention_with_user_context() -> None:
    responses.post(TWEETS, json=load("x_create_tweet"), status=201)
    sent = XSender(settings(**X_KEYS)).send(outgoing("x", "warga_sby", "1991234567890123456"))
    assert sent == "1991234567890123457"
    call = responses.calls[0].request
    assert json.loads(call.body) == {
        "text": TEXT,
        "reply": {"in_reply_to_tweet_id": "1991234567890123456"},
    }
    assert call.headers["Authorization"].startswith("OAuth ")  # user context, not the app
    assert 'oauth_consumer_key="ck-fake"' in call.headers["Authorization"]


@responses.activate
def test_x_rate_limit_is_retriable_until_the_reset_header() -> None:
    reset = int((NOW + timedelta(minutes=15)).timestamp())
    responses.post(
        TWEETS, json=load("x_rate_limited"), status=429, headers={"x-rate-limit-reset": str(reset)}
    )
    with pytest.raises(RetriableSourceError) as caught:
        XSender(settings(**X_KEYS)).send(outgoing("x", "warga_sby", "199"))
    assert caught.value.retry_at == NOW + timedelta(minutes=15)


@responses.activate
def test_x_duplicate_and_bad_keys_are_fatal_and_name_no_secret() -> None:
    responses.post(TWEETS, json=load("x_duplicate"), status=403)
    responses.post(TWEETS, json={"title": "Unauthorized", "status": 401}, status=401)
    sender = XSender(settings(**X_KEYS))
    with pytest.raises(FatalSourceError, match="duplicate content"):
        sender.send(outgoing("x", "warga_sby", "199"))
    with pytest.raises(FatalSourceError, match="401") as caught:
        sender.send(outgoing("x", "warga_sby", "199"))
    assert not any(secret in str(caught.value) for secret in X_KEYS.values())


@responses.activate
def test_x_lost_answer_is_uncertain_but_a_refused_connection_is_not() -> None:
    responses.post(TWEETS, body=requests.ReadTimeout("read timed out"))
    responses.post(TWEETS, body=requests.ConnectionError("refused"))
    sender = XSender(settings(**X_KEYS))
    with pytest.raises(UncertainDeliveryError):
        sender.send(outgoing("x", "warga_sby", "199"))
    with pytest.raises(RetriableSourceError) as caught:
        sender.send(outgoing("x", "warga_sby", "199"))
    assert not isinstance(caught.value, UncertainDeliveryError)


def test_x_without_user_keys_is_fatal_and_needs_a_tweet_to_answer() -> None:
    with pytest.raises(FatalSourceError, match="LAPOR_X_CONSUMER_KEY"):
        XSender(settings(x_bearer_token="app-only"))
    with pytest.raises(FatalSourceError, match="tweet to reply to"):
        XSender(settings(**X_KEYS)).send(outgoing("x", "warga_sby", None))


# Facebook and Messenger (Graph API) ---------------------------------------------------------


@responses.activate
def test_facebook_reply_comments_under_the_citizens_comment() -> None:
    comment = "122105938475610234_1203948576102001"
    responses.post(f"{GRAPH}/{comment}/comments", json=load("facebook_comment_reply"))
    sender = FacebookSender(settings(facebook_page_id="1029384756", facebook_page_token=FB_TOKEN))
    assert sender.send(outgoing("facebook", None, comment)) == (
        "122105938475610234_1203948576102938"
    )
    form = dict(parse_qsl(responses.calls[0].request.body))
    assert form["message"] == TEXT
    assert form["access_token"] == FB_TOKEN


@responses.activate
def test_facebook_errors_map_to_fatal_or_retriable_without_the_token() -> None:
    url = f"{GRAPH}/c1/comments"
    responses.post(url, json=load("facebook_error_permission"), status=403)
    responses.post(url, json=load("facebook_error_rate_limit"), status=400)
    sender = FacebookSender(settings(facebook_page_token=FB_TOKEN))
    with pytest.raises(FatalSourceError, match="permission") as fatal:
        sender.send(outgoing("facebook", None, "c1"))
    with pytest.raises(RetriableSourceError, match="rate limited"):
        sender.send(outgoing("facebook", None, "c1"))
    assert FB_TOKEN not in str(fatal.value)


@responses.activate
def test_messenger_sends_a_response_to_the_psid() -> None:
    responses.post(f"{GRAPH}/me/messages", json=load("messenger_send"))
    sender = MessengerSender(settings(messenger_page_token=FB_TOKEN))
    mid = sender.send(outgoing("messenger", "6543210987654321", "m_citizen"))
    assert mid == load("messenger_send")["message_id"]
    request = responses.calls[0].request
    assert json.loads(request.body) == {
        "recipient": {"id": "6543210987654321"},
        "messaging_type": "RESPONSE",
        "message": {"text": TEXT},
    }
    assert dict(parse_qsl(request.url.split("?", 1)[1]))["access_token"] == FB_TOKEN


@responses.activate
def test_messenger_errors_never_echo_the_token_or_url() -> None:
    url = f"{GRAPH}/me/messages"
    responses.post(url, json=load("messenger_error_unavailable"), status=400)
    responses.post(url, json=load("messenger_error_token"), status=400)
    responses.post(url, json=load("messenger_error_window"), status=400)
    responses.post(url, json={"error": {"message": "temporary", "code": 2}}, status=500)
    responses.post(url, body=requests.ConnectionError(f"{url}?access_token={FB_TOKEN}"))
    sender = MessengerSender(settings(messenger_page_token=FB_TOKEN))
    errors = []
    for expected in (
        FatalSourceError,
        FatalSourceError,
        FatalSourceError,
        RetriableSourceError,
        RetriableSourceError,
    ):
        with pytest.raises(expected) as caught:
            sender.send(outgoing("messenger", "6543210987654321", None))
        errors.append(str(caught.value))
    assert "isn't available" in errors[0] and "expired or invalid" in errors[1]
    assert "over 24 hours ago" in errors[2]
    assert all(FB_TOKEN not in e for e in errors)


# Telegram and LINE (local HTTP servers) -------------------------------------------------------


class FakeApi(ThreadingHTTPServer):
    """Records every request; answers each path from a queue of (status, body, headers)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.calls: list[tuple[str, dict[str, str], str]] = []
        self.replies: dict[str, list[tuple[int, Any, dict[str, str]]]] = {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"

    def script(self, path: str, status: int, body: Any, headers: dict[str, str] | None = None):
        self.replies.setdefault(path, []).append((status, body, headers or {}))

    def answer(self, path: str) -> tuple[int, Any, dict[str, str]]:
        queue = self.replies.get(path)
        if not queue:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, {}
        return queue.pop(0) if len(queue) > 1 else queue[0]


class _Handler(BaseHTTPRequestHandler):
    server: FakeApi

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.server.calls.append((self.path, dict(self.headers), body))
        status, payload, headers = self.server.answer(self.path)
        send_json(self, status, payload, headers)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serving(FakeApi()) as server:
        yield server


ME = {"id": 7012345678, "is_bot": True, "first_name": "LAPOR! 1708", "username": "Lapor1708Bot"}


def telegram_sender(api: FakeApi) -> TelegramSender:
    api.script(f"/bot{TG_TOKEN}/getMe", 200, {"ok": True, "result": ME})
    s = settings(telegram_bot_token=TG_TOKEN, telegram_base_url=f"{api.url}/bot")
    return TelegramSender(s, clock=lambda: NOW)


def test_telegram_replies_in_the_chat_to_the_citizens_message(api: FakeApi) -> None:
    sender = telegram_sender(api)
    api.script(f"/bot{TG_TOKEN}/sendMessage", 200, load("telegram_send_message"))
    sent = sender.send(outgoing("telegram", "5123456789", "5123456789:412"))
    assert sent == "5123456789:413"
    path, _, body = api.calls[-1]
    form = dict(parse_qsl(body))
    assert path.endswith("/sendMessage")
    assert (form["chat_id"], form["text"]) == ("5123456789", TEXT)
    assert json.loads(form["reply_parameters"]) == {
        "message_id": 412,
        "allow_sending_without_reply": True,
    }


# PTB itself warns (while building RetryAfter) that retry_after becomes a timedelta in v23.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_telegram_flood_control_and_a_blocked_bot(api: FakeApi) -> None:
    sender = telegram_sender(api)
    api.script(f"/bot{TG_TOKEN}/sendMessage", 429, load("telegram_flood"))
    api.script(f"/bot{TG_TOKEN}/sendMessage", 403, load("telegram_blocked"))
    with pytest.raises(RetriableSourceError) as flood:
        sender.send(outgoing("telegram", "5123456789", None))
    assert flood.value.retry_at == NOW + timedelta(seconds=35)
    with pytest.raises(FatalSourceError, match="blocked") as blocked:
        sender.send(outgoing("telegram", "5123456789", None))
    assert TG_TOKEN not in str(blocked.value) + str(flood.value)


def line_sender(api: FakeApi) -> LineSender:
    return LineSender(settings(line_channel_access_token=LINE_TOKEN), host=api.url)


def test_line_pushes_to_the_user_with_a_retry_key(api: FakeApi) -> None:
    api.script("/v2/bot/message/push", 200, load("line_push"))
    sender = line_sender(api)
    assert sender.send(outgoing("line", "U4af4980629aabbccddeeff0011223344", None)) == (
        "531829467302958172"
    )
    _, headers, body = api.calls[0]
    assert json.loads(body) == {
        "to": "U4af4980629aabbccddeeff0011223344",
        "messages": [{"type": "text", "text": TEXT}],
        "notificationDisabled": False,
    }
    assert headers["Authorization"] == f"Bearer {LINE_TOKEN}"
    key = headers["X-Line-Retry-Key"]
    assert uuid.UUID(key).version == 5
    sender.send(outgoing("line", "U4af4980629aabbccddeeff0011223344", None))
    assert api.calls[1][1]["X-Line-Retry-Key"] == key  # the same message, the same key


def test_line_409_means_the_retry_key_was_already_sent(api: FakeApi) -> None:
    api.script(
        "/v2/bot/message/push",
        409,
        load("line_retry_key_accepted"),
        {"x-line-accepted-request-id": "a1b2c3d4-0000-4000-8000-123456789abc"},
    )
    assert line_sender(api).send(outgoing("line", "U4af49806", None)) == "531829467302958172"


def test_line_errors(api: FakeApi) -> None:
    sender = line_sender(api)
    api.script("/v2/bot/message/push", 400, load("line_error_invalid_to"))
    api.script("/v2/bot/message/push", 401, {"message": "Authentication failed"})
    api.script("/v2/bot/message/push", 500, {"message": "Internal error"})
    with pytest.raises(FatalSourceError, match="'to'"):
        sender.send(outgoing("line", "bad", None))
    with pytest.raises(FatalSourceError, match="LAPOR_LINE_CHANNEL_ACCESS_TOKEN") as bad:
        sender.send(outgoing("line", "U1", None))
    with pytest.raises(RetriableSourceError, match="500"):
        sender.send(outgoing("line", "U1", None))
    assert LINE_TOKEN not in str(bad.value)


# Choosing a sender ---------------------------------------------------------------------------


def test_sender_for_picks_the_real_sender_only_when_its_keys_are_set() -> None:
    bare = settings()
    for platform in ("x", "facebook", "telegram", "line", "messenger", "web"):
        assert isinstance(sender_for(platform, bare), ConsoleSender)
    keyed = settings(
        **X_KEYS,
        facebook_page_token=FB_TOKEN,
        telegram_bot_token=TG_TOKEN,
        line_channel_access_token=LINE_TOKEN,
        messenger_page_token=FB_TOKEN,
    )
    kinds = {p: type(sender_for(p, keyed)) for p in ("x", "facebook", "telegram", "line")}
    assert kinds == {
        "x": XSender,
        "facebook": FacebookSender,
        "telegram": TelegramSender,
        "line": LineSender,
    }
    assert isinstance(sender_for("messenger", keyed), MessengerSender)


def test_console_sender_records_the_text_and_returns_fake_ids() -> None:
    console = ConsoleSender("telegram")
    first = console.send(outgoing("telegram", "5123456789", None))
    second = console.send(outgoing("telegram", "5123456789", None))
    assert first.startswith("console-") and second.startswith("console-") and first != second
    assert [m.text for m in console.sent] == [TEXT, TEXT]
