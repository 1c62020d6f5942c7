"""The webhook receiver: verify the signature, store the raw body, answer 200, parse after."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from core.clock import utcnow
from core.db import make_engine, make_sessionmaker, transaction
from core.mentions import BadItem, Batch, save_batch
from core.models import WebhookEvent
from core.settings import Settings
from listeners import line, messenger

log = logging.getLogger(__name__)

LABELS = {"line": "LINE", "messenger": "Messenger", "telegram": "Telegram"}


def _parse_telegram(update: Mapping[str, Any], settings: Settings) -> Batch:
    from listeners.telegram import parse_updates  # written apart; only needed in webhook mode

    return parse_updates(
        [update],
        bot_username=settings.telegram_bot_username,
        watched_hashtags=settings.watched_hashtags,
    )


PARSERS: dict[str, Callable[[Mapping[str, Any], Settings], Batch]] = {
    "line": lambda body, _settings: line.parse(body),
    "messenger": lambda body, _settings: messenger.parse(body),
    "telegram": _parse_telegram,
}


def store_event(factory: sessionmaker[Session], source: str, body: bytes, now: datetime) -> int:
    """Store a verified webhook body as received and commit; return the WebhookEvent id."""
    # PostgreSQL text cannot hold NUL; JSON never contains a raw one, so only junk is altered.
    raw = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    with transaction(factory) as session:
        row = WebhookEvent(source=source, body=raw, received_at=now)
        session.add(row)
        session.flush()
        return row.id


def _batch_for(row: WebhookEvent, settings: Settings) -> Batch:
    label = LABELS.get(row.source, row.source)
    parser = PARSERS.get(row.source)
    if parser is None:
        reason = f"no parser for webhook source {row.source!r}"
        return Batch(quarantined=[BadItem(raw=row.body, reason=reason)])
    try:
        payload = json.loads(row.body)
    except ValueError as exc:
        reason = f"the {label} webhook body is not valid JSON: {exc}"
        return Batch(quarantined=[BadItem(raw=row.body, reason=reason)])
    if not isinstance(payload, dict):
        reason = f"the {label} webhook body is JSON but not an object"
        return Batch(quarantined=[BadItem(raw=row.body, reason=reason)])
    # Webhooks push; they have no cursor to move.
    return replace(parser(payload, settings), next_cursor=None)


def process_event(
    factory: sessionmaker[Session],
    event_id: int,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> str | None:
    """Parse one stored webhook body and save its mentions, in one transaction.

    Returns the result text stored on the row, or None when the event is missing, already
    processed, or being processed by another worker (so running it twice stores nothing twice).
    Raises what the store raises; the event then stays pending for `process_pending`.
    """
    now = now or utcnow()
    with transaction(factory) as session:
        stmt = (
            select(WebhookEvent)
            .where(WebhookEvent.id == event_id, WebhookEvent.processed_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        row = session.scalars(stmt).one_or_none()
        if row is None:
            return None
        source = row.source
        batch = _batch_for(row, settings)
        saved = save_batch(session, source, batch, now)
        result = f"{saved.inserted} new, {saved.updated} known, {saved.quarantined} quarantined"
        if batch.quarantined:
            result += f" (first: {batch.quarantined[0].reason})"
        row.processed_at = now
        row.result = result[:500]
    log.info(
        "webhook event %s (%s): %s new, %s known, %s quarantined",
        event_id,
        source,
        saved.inserted,
        saved.updated,
        saved.quarantined,
    )
    return result


def process_pending(
    factory: sessionmaker[Session],
    settings: Settings,
    limit: int = 500,
    *,
    now: datetime | None = None,
) -> int:
    """Process up to `limit` stored webhook events not processed yet, oldest first.

    Returns how many this call processed. An event that fails is logged and stays pending.
    """
    with factory() as session:
        stmt = (
            select(WebhookEvent.id)
            .where(WebhookEvent.processed_at.is_(None))
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
        ids = list(session.scalars(stmt))
    done = 0
    for event_id in ids:
        if _process_quietly(factory, event_id, settings, now=now) is not None:
            done += 1
    return done


def _process_quietly(
    factory: sessionmaker[Session],
    event_id: int,
    settings: Settings,
    *,
    now: datetime | None = None,
) -> str | None:
    try:
        return process_event(factory, event_id, settings, now=now)
    except Exception as exc:  # the top of a job: log it, the event stays pending
        # A statement error's text carries the row's values (citizens' messages): not logged.
        log.error(
            "webhook event %s could not be processed (%s); it stays pending",
            event_id,
            type(exc).__name__,
            exc_info=not isinstance(exc, StatementError),
        )
        return None


def _secret(value: SecretStr | None) -> str:
    return "" if value is None else value.get_secret_value()


def _not_configured(label: str, env: str) -> JSONResponse:
    detail = f"{label} is not configured: set {env}"
    return JSONResponse({"detail": detail}, status_code=404)


def _refused(detail: str, status: int) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


# LINE and Meta send a few kB per delivery; anything far larger is not theirs.
MAX_BODY_BYTES = 1_000_000


class _TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _too_large(request: Request, exc: Exception) -> Response:
    return _refused(f"the body is larger than {MAX_BODY_BYTES} bytes", 413)


def create_app(
    settings: Settings | None = None, factory: sessionmaker[Session] | None = None
) -> Starlette:
    """Return the Starlette app that receives LINE, Messenger and Telegram webhooks.

    Defaults: Settings() from the environment and a session factory on its database_url.
    """
    settings = settings or Settings()
    factory = factory or make_sessionmaker(make_engine(settings.database_url))

    async def accept(source: str, body: bytes, reply: str = "OK") -> Response:
        event_id = await run_in_threadpool(store_event, factory, source, body, utcnow())
        task = BackgroundTask(_process_quietly, factory, event_id, settings)
        return PlainTextResponse(reply, background=task)

    async def line_webhook(request: Request) -> Response:
        if not settings.line_channel_secret:
            return _not_configured("LINE", "LAPOR_LINE_CHANNEL_SECRET")
        body = await _body(request)
        signature = request.headers.get("x-line-signature", "")
        secret = _secret(settings.line_channel_secret)
        if not line.verify(body, signature, secret):
            return _refused("the X-Line-Signature header does not match the body", 401)
        return await accept("line", body)

    async def messenger_handshake(request: Request) -> Response:
        if not settings.messenger_verify_token:
            return _not_configured("Messenger", "LAPOR_MESSENGER_VERIFY_TOKEN")
        token = _secret(settings.messenger_verify_token)
        challenge = messenger.handshake(request.query_params, token)
        if challenge is None:
            return PlainTextResponse("verification failed", status_code=403)
        return PlainTextResponse(challenge)

    async def messenger_webhook(request: Request) -> Response:
        if not settings.messenger_app_secret:
            return _not_configured("Messenger", "LAPOR_MESSENGER_APP_SECRET")
        body = await _body(request)
        signature = request.headers.get("x-hub-signature-256", "")
        secret = _secret(settings.messenger_app_secret)
        if not messenger.verify(body, signature, secret):
            return _refused("the X-Hub-Signature-256 header does not match the body", 403)
        return await accept("messenger", body, reply="EVENT_RECEIVED")

    async def telegram_webhook(request: Request) -> Response:
        if not settings.telegram_webhook_secret:
            return _not_configured("the Telegram webhook", "LAPOR_TELEGRAM_WEBHOOK_SECRET")
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        secret = _secret(settings.telegram_webhook_secret)
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return _refused("the X-Telegram-Bot-Api-Secret-Token header is wrong", 401)
        return await accept("telegram", await _body(request))

    def ping_store() -> None:
        with factory() as session:
            session.execute(text("SELECT 1"))

    async def healthz(request: Request) -> Response:
        channels = {
            "line": bool(settings.line_channel_secret),
            "messenger": bool(settings.messenger_app_secret and settings.messenger_verify_token),
            "telegram": bool(settings.telegram_webhook_secret),
        }
        try:
            await run_in_threadpool(ping_store)
        except Exception as exc:  # a health probe reports, never raises
            log.warning("health check: the store is unreachable (%s)", type(exc).__name__)
            return JSONResponse({"status": "store unreachable", "channels": channels}, 503)
        return JSONResponse({"status": "ok", "channels": channels})

    routes = [
        Route("/webhooks/line", line_webhook, methods=["POST"]),
        Route("/webhooks/messenger", messenger_handshake, methods=["GET"]),
        Route("/webhooks/messenger", messenger_webhook, methods=["POST"]),
        Route("/webhooks/telegram", telegram_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={_TooLarge: _too_large})


class _LazyApp:
    """The ASGI app uvicorn serves; built from the environment on first use, not at import."""

    def __init__(self) -> None:
        self._app: Starlette | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            self._app = create_app()
        await self._app(scope, receive, send)


app = _LazyApp()
