"""Telegram: updates become mentions; getUpdates is polled against a local fake Bot API."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from core.errors import BadPayloadError, FatalSourceError, RetriableSourceError
from core.settings import Settings
from listeners.telegram import TelegramListener, parse_update, parse_updates, reparse
from tests.fakehttp import send_json, serving

FIXTURES = Path(__file__).parents[1] / "fixtures" / "telegram"
TOKEN = "7012345678:AAH-fake-token-for-tests-only-0123456"
BOT = "Lapor1708Bot"
ME = {"id": 7012345678, "is_bot": True, "first_name": "LAPOR! 1708", "username": BOT}
WATCHED = ["BeraniLAPOR", "AyokLAPOR"]
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def parse(name: str, bot: str | None = BOT, watched: list[str] = WATCHED) -> Any:
    return parse_update(load(name), bot_username=bot, watched_hashtags=watched)


class FakeBotApi(ThreadingHTTPServer):
    """The Bot API's HTTP surface: POST /bot<token>/<method>; getUpdates replies are queued."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _BotApiHandler)
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.updates_replies: list[tuple[int, dict[str, Any]]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/bot"

    def reply(self, token: str, method: str) -> tuple[int, dict[str, Any]]:
        if token != TOKEN:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if method == "getMe":
            return 200, {"ok": True, "result": ME}
        if method == "getUpdates":
            return self.updates_replies.pop(0) if self.updates_replies else (200, ok([]))
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


class _BotApiHandler(BaseHTTPRequestHandler):
    server: FakeBotApi

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        token, _, method = self.path.removeprefix("/bot").partition("/")
        self.server.calls.append((method, dict(parse_qsl(body))))
        status, payload = self.server.reply(token, method)
        send_json(self, status, payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with serving(FakeBotApi()) as server:
        yield server


def listener(base_url: str, token: str = TOKEN) -> TelegramListener:
    settings = Settings(
        _env_file=None,
        telegram_bot_token=token,
        telegram_base_url=base_url,
        telegram_bot_username=None,  # learnt from getMe
        watched_hashtags=WATCHED,
    )
    return TelegramListener(settings, clock=lambda: NOW)


def test_private_message_is_captured_as_a_message() -> None:
    m = parse("private_message", bot=None, watched=[])
    assert (m.platform, m.kind, m.external_id) == ("telegram", "message", "5123456789:412")
    assert m.text.startswith("Selamat siang, saya mau melapor. Bantuan PKH")
    assert m.created_at == datetime(2025, 11, 20, 6, 55, 30, tzinfo=UTC)
    assert (m.author_id, m.author_handle, m.author_name) == (
        "5123456789",
        "siti_rahayu_id",
        "Siti Rahayu",
    )
    assert (m.conversation_id, m.reply_to_id, m.url) == ("5123456789", None, None)
    assert m.raw == load("private_message")


def test_group_message_without_mention_or_watched_hashtag_is_ignored() -> None:
    assert parse("group_no_mention") is None


def test_group_mention_after_emoji_is_captured_as_a_reply() -> None:
    m = parse("group_mention", watched=[])
    assert (m.kind, m.external_id) == ("reply", "-1001345678901:3305")
    assert m.mentioned == (BOT,)
    assert m.hashtags == ("BeraniLAPOR",)
    assert m.reply_to_id == "-1001345678901:3301"
    assert m.url == "https://t.me/forumwargamalang/3305"
    assert (m.author_id, m.author_handle, m.author_name) == ("6345678901", None, "Rina Kusuma")
    assert parse("group_mention", bot="DinasLainBot", watched=[]) is None


def test_channel_post_with_watched_hashtag_after_emoji_is_captured() -> None:
    m = parse("channel_hashtag", bot=None, watched=["#BeraniLAPOR"])
    assert (m.kind, m.external_id) == ("post", "-1001876543210:88")
    assert m.hashtags == ("JalanRusak", "beranilapor")
    assert m.text.startswith("🚧🚧 Jalan berlubang")
    assert (m.author_id, m.author_handle, m.author_name) == (
        "-1001876543210",
        "infopublikngijo",
        "Info Publik Ngijo",
    )
    assert m.media_urls == ("tg-file:AgACAgUAAxkBAAIBWGdLarge",)
    assert m.url == "https://t.me/infopublikngijo/88"
    assert parse("channel_hashtag", bot=None, watched=["AyokLAPOR"]) is None


def test_forum_topic_message_is_a_post_in_its_topic() -> None:
    m = parse("topic_message", bot=None)
    assert (m.kind, m.reply_to_id) == ("post", None)
    assert m.conversation_id == "-1001456789012:1502"
    assert m.hashtags == ("AyokLAPOR",)
    assert m.url is None


def test_edited_message_keeps_the_external_id() -> None:
    original, edited = parse("private_message"), parse("edited_message")
    assert edited.external_id == original.external_id
    assert edited.text.endswith("Mohon dibantu, terima kasih.")


def test_entity_that_does_not_fit_the_text_is_a_bad_payload() -> None:
    update = load("group_mention")
    update["message"]["entities"][0]["offset"] = 500
    with pytest.raises(BadPayloadError, match="874100203"):
        parse_update(update, bot_username=BOT, watched_hashtags=WATCHED)


def test_malformed_update_is_quarantined_and_reparse_still_refuses_it() -> None:
    updates = [load("private_message"), load("malformed"), load("channel_hashtag")]
    batch = parse_updates(updates, bot_username=BOT, watched_hashtags=WATCHED)
    assert [m.external_id for m in batch.mentions] == ["5123456789:412", "-1001876543210:88"]
    (bad,) = batch.quarantined
    assert json.loads(bad.raw) == load("malformed")
    assert "874100206" in bad.reason and "chat" in bad.reason
    with pytest.raises(BadPayloadError):
        reparse(bad.raw)
    (again,) = reparse(json.dumps(load("private_message"))).mentions
    assert again.external_id == "5123456789:412"


def test_poll_captures_and_confirms_every_update(api: FakeBotApi) -> None:
    names = ["private_message", "group_no_mention", "group_mention", "channel_hashtag", "malformed"]
    api.updates_replies.append((200, ok([load(n) for n in names])))
    tl = listener(api.base_url)

    batch = tl.poll(None)
    assert {m.external_id for m in batch.mentions} == {
        "5123456789:412",
        "-1001345678901:3305",  # the @mention counts: the bot's username came from getMe
        "-1001876543210:88",
    }
    assert len(batch.quarantined) == 1
    assert batch.next_cursor == {"offset": 874100207}  # past the ignored and quarantined too

    assert tl.poll(batch.next_cursor).next_cursor is None  # nothing new: the cursor stays
    first, second = [params for method, params in api.calls if method == "getUpdates"]
    assert "offset" not in first
    assert second["offset"] == "874100207"
    assert second["timeout"] == "0"
    assert json.loads(second["allowed_updates"]) == [
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
    ]


def test_flood_control_is_retriable_at_the_time_telegram_gives(api: FakeBotApi) -> None:
    api.updates_replies.append(
        (
            429,
            {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 5",
                "parameters": {"retry_after": 5},
            },
        )
    )
    with pytest.raises(RetriableSourceError) as caught:
        listener(api.base_url).poll({"offset": 874100207})
    assert caught.value.retry_at == NOW + timedelta(seconds=5)


def test_rejected_token_is_fatal_and_never_shown(
    api: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "7012345678:AAH-revoked-token-0000000000000000"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(FatalSourceError, match="LAPOR_TELEGRAM_BOT_TOKEN") as caught:
        listener(api.base_url, token=wrong).poll(None)
    assert wrong not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "<bot-token>/getMe" in caplog.text  # httpx logged the request, with the token hidden
    assert wrong not in caplog.text


def test_webhook_conflict_is_fatal_and_says_how_to_choose(api: FakeBotApi) -> None:
    description = (
        "Conflict: can't use getUpdates method while webhook is active; "
        "use deleteWebhook to delete the webhook first"
    )
    api.updates_replies.append((409, {"ok": False, "error_code": 409, "description": description}))
    with pytest.raises(FatalSourceError, match="webhook") as caught:
        listener(api.base_url).poll(None)
    assert "LAPOR_TELEGRAM_WEBHOOK_SECRET" in str(caught.value)


def test_unreachable_api_is_retriable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the poll: nothing listens there
    with pytest.raises(RetriableSourceError):
        listener(f"http://127.0.0.1:{port}/bot").poll(None)
