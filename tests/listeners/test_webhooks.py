"""The webhook receiver: only signed bodies are stored, each is parsed once, nothing is lost."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from core.db import transaction
from core.models import Mention, QuarantineItem, WebhookEvent
from core.settings import Settings
from listeners.webhooks import create_app, process_event, process_pending

FIXTURES = Path(__file__).parents[1] / "fixtures"
LINE_SECRET = "line-channel-secret-for-tests"
FB_SECRET = "messenger-app-secret-for-tests"
FB_TOKEN = "verify-token-for-tests"
TG_SECRET = "telegram-webhook-secret-for-tests"
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)

TELEGRAM_UPDATE = {
    "update_id": 912345678,
    "message": {
        "message_id": 4321,
        "from": {"id": 5550001, "is_bot": False, "first_name": "Siti", "language_code": "id"},
        "chat": {"id": 5550001, "first_name": "Siti", "type": "private"},
        "date": 1732064700,
        "text": "Jalan berlubang di Jl. Ahmad Yani depan pasar #BeraniLAPOR",
        "entities": [{"offset": 46, "length": 12, "type": "hashtag"}],
    },
}


def settings_for(db_url: str, **overrides) -> Settings:
    values = {
        "database_url": db_url,
        "line_channel_secret": LINE_SECRET,
        "messenger_app_secret": FB_SECRET,
        "messenger_verify_token": FB_TOKEN,
        "telegram_webhook_secret": TG_SECRET,
        "telegram_bot_username": "lapor1708_bot",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def client(factory, db_url):
    return TestClient(create_app(settings_for(db_url), factory))


def count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def line_post(client: TestClient, body: bytes, secret: str = LINE_SECRET):
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    headers = {"X-Line-Signature": base64.b64encode(digest).decode()}
    return client.post("/webhooks/line", content=body, headers=headers)


def messenger_post(client: TestClient, body: bytes, secret: str = FB_SECRET):
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/webhooks/messenger", content=body, headers={"X-Hub-Signature-256": sig})


def test_a_signed_line_body_is_stored_then_its_mentions(client, factory):
    body = (FIXTURES / "line" / "webhook_messages.json").read_bytes()
    response = line_post(client, body)
    assert response.status_code == 200
    with factory() as s:
        event = s.scalars(select(WebhookEvent)).one()
        ids = set(s.scalars(select(Mention.external_id).where(Mention.platform == "line")))
    assert event.source == "line" and event.body == body.decode()
    assert event.processed_at is not None and event.result.startswith("3 new")
    assert ids == {"531226441834020864", "531226441834020999", "531226441834021111"}


@pytest.mark.parametrize("signature", ["forged", "missing"])
def test_a_forged_line_signature_is_refused_and_nothing_stored(client, factory, signature):
    body = (FIXTURES / "line" / "webhook_messages.json").read_bytes()
    if signature == "forged":
        response = line_post(client, body, secret="guessed-secret")
    else:
        response = client.post("/webhooks/line", content=body)
    assert response.status_code == 401
    assert count(factory, WebhookEvent) == 0 and count(factory, Mention) == 0


def test_an_unconfigured_channel_answers_404_with_the_setting_to_set(factory, db_url):
    bare = settings_for(
        db_url,
        line_channel_secret=None,
        messenger_app_secret=None,
        messenger_verify_token=None,
        telegram_webhook_secret=None,
    )
    client = TestClient(create_app(bare, factory))
    body = (FIXTURES / "line" / "webhook_messages.json").read_bytes()
    line = line_post(client, body)
    assert line.status_code == 404
    assert line.json() == {"detail": "LINE is not configured: set LAPOR_LINE_CHANNEL_SECRET"}
    assert "LAPOR_MESSENGER_VERIFY_TOKEN" in client.get("/webhooks/messenger").json()["detail"]
    assert messenger_post(client, b"{}").status_code == 404
    telegram = client.post("/webhooks/telegram", json=TELEGRAM_UPDATE)
    assert telegram.status_code == 404
    assert "LAPOR_TELEGRAM_WEBHOOK_SECRET" in telegram.json()["detail"]
    assert count(factory, WebhookEvent) == 0


def test_the_messenger_handshake_echoes_the_challenge_only_for_our_token(client):
    params = {"hub.mode": "subscribe", "hub.verify_token": FB_TOKEN, "hub.challenge": "1158201444"}
    ok = client.get("/webhooks/messenger", params=params)
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert ok.headers["content-type"].startswith("text/plain")
    wrong = client.get("/webhooks/messenger", params={**params, "hub.verify_token": "nope"})
    assert wrong.status_code == 403 and "1158201444" not in wrong.text


def test_a_signed_messenger_body_stores_messages_but_not_our_echo(client, factory):
    body = (FIXTURES / "messenger" / "webhook_messages.json").read_bytes()
    response = messenger_post(client, body)
    assert response.status_code == 200
    with factory() as s:
        rows = s.scalars(select(Mention).order_by(Mention.created_at)).all()
    assert [(m.platform, m.author_id) for m in rows] == [("messenger", "6543210987654321")] * 2
    assert "Terima kasih, laporan Anda kami terima." not in {m.text for m in rows}
    assert rows[1].media_urls == ["https://scontent.xx.fbcdn.net/v/t1.15752-9/saluran_mampet.jpg"]


def test_a_forged_messenger_signature_is_refused_with_403(client, factory):
    body = (FIXTURES / "messenger" / "webhook_messages.json").read_bytes()
    assert messenger_post(client, body, secret="guessed-secret").status_code == 403
    assert client.post("/webhooks/messenger", content=body).status_code == 403
    assert count(factory, WebhookEvent) == 0 and count(factory, Mention) == 0


def test_telegram_needs_the_secret_token_header(client, factory):
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guessed"}
    assert client.post("/webhooks/telegram", json=TELEGRAM_UPDATE, headers=wrong).status_code == 401
    assert client.post("/webhooks/telegram", json=TELEGRAM_UPDATE).status_code == 401
    assert count(factory, WebhookEvent) == 0
    right = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert client.post("/webhooks/telegram", json=TELEGRAM_UPDATE, headers=right).status_code == 200
    with factory() as s:
        event = s.scalars(select(WebhookEvent)).one()
        mention = s.scalars(select(Mention)).one()
    assert event.source == "telegram" and event.processed_at is not None
    assert (mention.platform, mention.external_id) == ("telegram", "5550001:4321")
    assert mention.hashtags == ["BeraniLAPOR"]


def test_invalid_json_with_a_valid_signature_is_quarantined_with_the_reason(client, factory):
    body = b'{"destination": "U0", "events": [ truncated'
    assert line_post(client, body).status_code == 200
    with factory() as s:
        item = s.scalars(select(QuarantineItem)).one()
        event = s.scalars(select(WebhookEvent)).one()
    assert item.listener == "line" and item.raw == body.decode()
    assert "not valid JSON" in item.reason
    assert event.processed_at is not None and "1 quarantined" in event.result
    assert count(factory, Mention) == 0


def test_a_malformed_event_is_quarantined_and_the_rest_stored(client, factory):
    body = (FIXTURES / "line" / "webhook_malformed_event.json").read_bytes()
    assert line_post(client, body).status_code == 200
    with factory() as s:
        item = s.scalars(select(QuarantineItem)).one()
        mention = s.scalars(select(Mention)).one()
    assert json.loads(item.raw)["webhookEventId"] == "01JD4Q40EEF5G6H7J8K9L0M1N2"
    assert mention.external_id == "531226441834022222"


def test_a_redelivered_line_body_makes_one_mention(client, factory):
    body = (FIXTURES / "line" / "webhook_malformed_event.json").read_bytes()
    data = json.loads(body)
    data["events"] = data["events"][1:]
    first = json.dumps(data).encode()
    data["events"][0]["deliveryContext"]["isRedelivery"] = True
    again = json.dumps(data).encode()
    assert line_post(client, first).status_code == 200
    assert line_post(client, again).status_code == 200
    with factory() as s:
        results = s.scalars(select(WebhookEvent.result).order_by(WebhookEvent.id)).all()
    assert count(factory, Mention) == 1
    assert [r.split(",")[0] for r in results] == ["1 new", "0 new"]


def test_process_pending_picks_up_an_event_stored_before_a_crash(factory, db_url):
    body = (FIXTURES / "messenger" / "webhook_malformed.json").read_text(encoding="utf-8")
    with transaction(factory) as s:
        s.add(WebhookEvent(source="messenger", body=body, received_at=T0))
    settings = settings_for(db_url)
    assert process_pending(factory, settings, now=T0) == 1
    assert process_pending(factory, settings, now=T0) == 0
    with factory() as s:
        event = s.scalars(select(WebhookEvent)).one()
    assert process_event(factory, event.id, settings) is None  # already done: a no-op
    assert event.processed_at == T0
    assert count(factory, Mention) == 1 and count(factory, QuarantineItem) == 1


def test_neither_bodies_nor_secrets_reach_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    body = (FIXTURES / "line" / "webhook_messages.json").read_bytes()
    assert line_post(client, body).status_code == 200
    assert line_post(client, b"not json at all").status_code == 200
    assert "Kenjeran" not in caplog.text and "not json at all" not in caplog.text
    assert LINE_SECRET not in caplog.text


def test_healthz_reports_the_store_and_the_configured_channels(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "channels": {"line": True, "messenger": True, "telegram": True},
    }


def test_an_oversized_body_is_refused_before_anything_is_stored(factory):
    from sqlalchemy import func, select
    from starlette.testclient import TestClient

    from core.models import WebhookEvent
    from core.settings import Settings
    from listeners.webhooks import MAX_BODY_BYTES, create_app

    settings = Settings(_env_file=None, line_channel_secret="line-secret")
    client = TestClient(create_app(settings, factory))
    response = client.post(
        "/webhooks/line", content=b"x" * (MAX_BODY_BYTES + 1), headers={"x-line-signature": "a"}
    )
    assert response.status_code == 413
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEvent)) == 0
