"""Messenger webhooks: X-Hub-Signature-256, the verify handshake, and the parser."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import BadPayloadError
from listeners import messenger

FIXTURES = Path(__file__).parents[1] / "fixtures" / "messenger"
SECRET = "messenger-app-secret-for-tests"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_verify_accepts_the_platform_signature_and_refuses_forgeries():
    body = (FIXTURES / "webhook_messages.json").read_bytes()
    assert messenger.verify(body, sign(body), SECRET)
    assert messenger.verify(body, sign(body).upper().replace("SHA256=", "sha256="), SECRET)
    assert not messenger.verify(body, sign(body, "another-secret"), SECRET)
    assert not messenger.verify(body + b"\n", sign(body), SECRET)
    assert not messenger.verify(body, sign(body)[len("sha256=") :], SECRET)  # no prefix
    assert not messenger.verify(body, "", SECRET)


def test_handshake_returns_the_challenge_only_for_the_right_token():
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok-123", "hub.challenge": "1158201444"}
    assert messenger.handshake(params, "tok-123") == "1158201444"
    assert messenger.handshake(params, "tok-456") is None
    assert messenger.handshake({**params, "hub.mode": "unsubscribe"}, "tok-123") is None
    assert messenger.handshake({"hub.challenge": "1158201444"}, "tok-123") is None


def test_messages_become_mentions_echoes_and_receipts_do_not():
    body = load("webhook_messages.json")
    batch = messenger.parse(body)
    assert not batch.quarantined
    text, image = batch.mentions
    assert text.platform == "messenger" and text.kind == "message"
    assert text.external_id == "m_Xk2sG0scrubbedMid0001AbCdEfGhIjKlMnOpQrStUvWxYz"
    assert text.author_id == text.conversation_id == "6543210987654321"
    assert text.reply_to_id == "m_Xk2sG0scrubbedMid0000AbCdEfGhIjKlMnOpQrStUvWxYz"
    assert text.created_at == datetime(2024, 11, 20, 1, 1, 39, tzinfo=UTC)
    assert text.hashtags == ("BeraniLAPOR",)
    assert text.raw == body["entry"][0]["messaging"][0]
    assert image.text == "[image]"
    assert image.media_urls == ("https://scontent.xx.fbcdn.net/v/t1.15752-9/saluran_mampet.jpg",)
    stored = {m.external_id for m in batch.mentions}
    assert "m_Xk2sG0scrubbedMid0003AbCdEfGhIjKlMnOpQrStUvWxYz" not in stored  # the page's echo


def test_a_malformed_message_is_quarantined_and_the_others_go_on():
    body = load("webhook_malformed.json")
    batch = messenger.parse(body)
    assert [m.text for m in batch.mentions] == [
        "Pembuatan KTP-el di Dispendukcapil antre sampai sore"
    ]
    [bad] = batch.quarantined
    assert json.loads(bad.raw) == body["entry"][0]["messaging"][0]
    assert "no 'mid'" in bad.reason
    with pytest.raises(BadPayloadError, match="no 'mid'"):
        messenger.reparse(bad.raw)


def test_reparse_returns_the_mention_of_one_messaging_event():
    event = load("webhook_malformed.json")["entry"][0]["messaging"][0]
    event["message"]["mid"] = "m_fixed"
    [mention] = messenger.reparse(json.dumps(event)).mentions
    assert (mention.external_id, mention.author_id) == ("m_fixed", "7766554433221100")


def test_a_body_that_is_not_a_page_subscription_is_quarantined_whole():
    batch = messenger.parse({"object": "user", "entry": []})
    assert not batch.mentions
    [bad] = batch.quarantined
    assert "'object': 'page'" in bad.reason
