"""LINE webhooks: the signature check and what a webhook body turns into."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.errors import BadPayloadError
from listeners import line

FIXTURES = Path(__file__).parents[1] / "fixtures" / "line"
SECRET = "line-channel-secret-for-tests"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_verify_accepts_the_platform_signature_and_refuses_forgeries():
    body = (FIXTURES / "webhook_messages.json").read_bytes()
    assert line.verify(body, sign(body), SECRET)
    assert not line.verify(body, sign(body, "another-secret"), SECRET)
    assert not line.verify(body + b" ", sign(body), SECRET)
    assert not line.verify(body, "", SECRET)
    assert not line.verify(body, "not base64 at all \u00e9", SECRET)


def test_text_image_and_sticker_messages_become_mentions_other_events_are_ignored():
    body = load("webhook_messages.json")
    batch = line.parse(body)
    assert not batch.quarantined
    assert [m.external_id for m in batch.mentions] == [
        "531226441834020864",
        "531226441834020999",
        "531226441834021111",
    ]
    text, image, sticker = batch.mentions
    assert text.platform == "line" and text.kind == "message"
    assert text.text.startswith("Lampu PJU di Jl. Kenjeran")
    assert text.author_id == "U11112222333344445555666677778888"
    assert text.conversation_id == "Ca1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert text.reply_to_id == "531226199112220016"
    assert text.created_at == datetime(2024, 11, 20, 0, 55, 30, tzinfo=UTC)
    assert text.hashtags == ("BeraniLAPOR",)
    assert text.raw == body["events"][0]
    assert (image.text, image.conversation_id) == ("[image]", "U99990000aaaabbbbccccddddeeeeffff")
    assert (sticker.text, sticker.conversation_id) == (
        "[sticker]",
        "Ra8dbf4c6e8f1a2b3c4d5e6f708192a3b",
    )


def test_a_malformed_event_is_quarantined_and_the_others_go_on():
    body = load("webhook_malformed_event.json")
    batch = line.parse(body)
    assert [m.external_id for m in batch.mentions] == ["531226441834022222"]
    assert batch.mentions[0].hashtags == ("AyokLAPOR",)
    [bad] = batch.quarantined
    assert json.loads(bad.raw) == body["events"][0]
    assert "no 'id'" in bad.reason
    with pytest.raises(BadPayloadError, match="no 'id'"):
        line.reparse(bad.raw)


def test_reparse_returns_the_mention_of_one_event_once_it_is_fixed():
    event = load("webhook_malformed_event.json")["events"][0]
    event["message"]["id"] = "531226441834023333"
    [mention] = line.reparse(json.dumps(event)).mentions
    assert (mention.external_id, mention.text) == ("531226441834023333", "pesan tanpa id")
    with pytest.raises(BadPayloadError, match="not JSON"):
        line.reparse("{not json")


def test_a_body_without_events_is_quarantined_whole():
    batch = line.parse({"destination": "U0", "events": "oops"})
    assert not batch.mentions
    [bad] = batch.quarantined
    assert json.loads(bad.raw) == {"destination": "U0", "events": "oops"}
    assert "'events' list" in bad.reason


def test_the_console_verify_request_with_no_events_gives_an_empty_batch():
    batch = line.parse({"destination": "U0a1b2c3d4e5f60718293a4b5c6d7e8f9", "events": []})
    assert not batch.mentions and not batch.quarantined
