"""Replies to citizens: editable Indonesian templates, and a send that happens once per key.

The send rule (`deliver`): the OutboundMessage row is written 'pending' and committed before
the platform is called, then marked 'sent' (with the platform's id) or 'failed' (with the
error). The same key again returns a 'sent' row untouched, and retries a 'failed' one.
A 'pending' row older than STALE_PENDING means a process stopped mid-send: nobody knows
whether the platform posted it, so it is never re-sent blindly. It becomes 'unknown', and a
person looks at the channel and calls `resolve` (delivered: 'sent'; not: 'failed', which a
later send retries). The exception is a sender whose platform drops repeats of the same key
(LINE's X-Line-Retry-Key, the console): there a resend is safe and happens.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.casework import Agency, FollowUp, OutboundMessage, Report, ReportMention
from core.clock import local
from core.db import transaction
from core.errors import InputError, SourceError
from core.models import Mention
from core.settings import Settings
from handler.senders import Outgoing, Sender, UncertainDeliveryError, sender_for

TEMPLATES_FILE = Path(__file__).parent / "templates" / "replies_id.yaml"
STALE_PENDING = timedelta(minutes=5)  # longer than any platform call with its timeout
X_LIMIT = 280
CHANNELS = ("x", "facebook", "telegram", "line", "messenger")
CRASH_NOTE = (
    "the tool stopped while sending, so it is not known whether the platform posted this: "
    "check the conversation, then mark it delivered or not delivered"
)
_FORMATTER = string.Formatter()


@dataclass(frozen=True, slots=True)
class Templates:
    """The reply texts (name -> template) plus the status and rating labels."""

    texts: Mapping[str, Any]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Templates:
        """Return the shipped templates, with the keys of the YAML file at `path` replacing theirs.

        Raises InputError when a file cannot be read or is not a YAML mapping.
        """
        texts = dict(_read_yaml(TEMPLATES_FILE))
        if path:
            own = _read_yaml(Path(path))
            for key in ("status_labels", "rating_labels"):  # labels merge one by one
                if isinstance(own.get(key), Mapping):
                    own = {**own, key: {**texts.get(key, {}), **own[key]}}
            texts.update(own)
        return cls(texts)

    def render(self, name: str, **values: Any) -> str:
        """Return template `name` filled with `values`.

        Raises InputError naming the template that does not exist or the value that is missing.
        """
        template = self.texts.get(name)
        if not isinstance(template, str):
            raise InputError(f"There is no reply template called '{name}'.")
        try:
            fields = [f for _, f, _, _ in _FORMATTER.parse(template) if f is not None]
        except ValueError:
            raise InputError(
                f"The reply template '{name}' has an unmatched '{{' or '}}'."
            ) from None
        for field in fields:
            if not field.isidentifier():
                raise InputError(f"The reply template '{name}' has a bad placeholder {{{field}}}.")
            if field not in values:
                raise InputError(f"The reply template '{name}' needs a value for '{field}'.")
        return template.format_map(values).strip()

    def label(self, group: str, value: str | None) -> str:
        """Return the Indonesian label of a status or rating (`group` "status"/"rating")."""
        labels = self.texts.get(f"{group}_labels") or {}
        return str(labels.get(value, value or "-"))


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot read the reply templates file {path}: {exc.strerror}.") from None
    except yaml.YAMLError:
        raise InputError(f"The reply templates file {path} is not valid YAML.") from None
    if not isinstance(data, Mapping):
        raise InputError(f"The reply templates file {path} must map template names to texts.")
    return data


@lru_cache(maxsize=8)
def _cached(path: str | None, _mtime: float = 0.0) -> Templates:
    return Templates.load(path)


def _mtime(path: str | None) -> float:
    try:
        return Path(path).stat().st_mtime if path else 0.0
    except OSError:
        return 0.0  # Templates.load says what is wrong with the path


def templates_for(settings: Settings | None) -> Templates:
    """Return the templates in force: the shipped ones, overridden by reply_templates_file.

    An edited file is read again (its modification time is part of the cache key).
    Raises InputError when the file cannot be read or is not a YAML mapping.
    """
    path = settings.reply_templates_file if settings else None
    return _cached(path, _mtime(path))


def render(name: str, **values: Any) -> str:
    """Return the shipped template `name` filled with `values`; InputError names what is missing."""
    return _cached(None).render(name, **values)


def report_values(report: Report, settings: Settings, agency: str | None = None) -> dict[str, Any]:
    """Return the values every template may use for `report` (tracking id, status, deadlines)."""
    t = templates_for(settings)
    when = local(report.updated_at, settings.timezone).strftime("%d-%m-%Y %H:%M")
    return {
        "tracking_id": report.tracking_id,
        "example_id": report.tracking_id,
        "status": t.label("status", report.status),
        "agency": agency or report.agency_code or str(t.texts.get("no_agency", "-")),
        "updated": when,
        "verify_days": settings.verify_working_days,
        "followup_days": settings.followup_working_days,
        "close_days": settings.close_after_silent_working_days,
        "rating": t.label("rating", report.rating),
    }


def preview(report: Report, template: str, settings: Settings, **values: Any) -> str:
    """Return the text `template` would send for `report` (what the console shows first).

    Raises InputError when the template does not exist or needs a value not given.
    """
    return templates_for(settings).render(template, **(report_values(report, settings) | values))


def agency_name(session: Session, code: str | None) -> str | None:
    """Return the name of agency `code` (the code itself when unknown, None when unset)."""
    if not code:
        return None
    agency = session.get(Agency, code)
    return agency.name if agency is not None else code


def address(session: Session, report: Report) -> tuple[str, str | None, str | None]:
    """Return (platform, recipient, in_reply_to) where `report`'s reporter gets a reply.

    X and Facebook answer the source mention (tweet / comment); Telegram the chat and its
    message; LINE and Messenger the user id. Raises InputError when there is no channel.
    """
    platform = report.reporter_platform
    if platform not in CHANNELS:
        raise InputError(
            f"Report {report.tracking_id} did not come from a channel we can reply on "
            f"({platform or 'none'}); contact the reporter another way."
        )
    query = (
        select(Mention)
        .join(ReportMention, ReportMention.mention_id == Mention.id)
        .where(ReportMention.report_id == report.id, Mention.platform == platform)
        .order_by(Mention.created_at, Mention.id)
    )
    mentions = list(session.scalars(query))
    own = [m for m in mentions if m.author_id and m.author_id == report.reporter_author_id]
    source = own[0] if own else (mentions[0] if mentions else None)
    in_reply_to = source.external_id if source is not None else None
    author = report.reporter_author_id or (source.author_id if source else None)
    if platform == "x":
        recipient = report.reporter_handle or (source.author_handle if source else None)
    elif platform == "telegram":
        chat = in_reply_to.rpartition(":")[0] if in_reply_to and ":" in in_reply_to else None
        recipient = chat or report.reporter_conversation_id or author
    else:
        recipient = author
    if platform in ("x", "facebook") and not in_reply_to:
        raise InputError(
            f"Report {report.tracking_id} has no source {platform} post to reply under; "
            "link its mention first."
        )
    if not recipient and not in_reply_to:
        raise InputError(f"Report {report.tracking_id} has no reporter account to reply to.")
    return platform, recipient, in_reply_to


def send_reply(
    factory: sessionmaker[Session],
    *,
    report_id: int,
    text: str,
    actor: str,
    settings: Settings,
    now: datetime,
    sender: Sender | None = None,
    key: str | None = None,
) -> OutboundMessage:
    """Send `text` to the reporter of `report_id` on its channel, once per key.

    The key defaults to "report:<id>:received". Returns the OutboundMessage row: 'sent' (also
    when an earlier call sent it), 'failed' with the error, or 'unknown' (see the module
    docstring). Raises InputError for an unknown report, an empty text, a text too long for
    X, or a report with no channel to reply on.
    """
    with transaction(factory) as session:
        report = session.get(Report, report_id)
        if report is None:
            raise InputError(f"There is no report with id {report_id}.")
        platform, recipient, in_reply_to = address(session, report)
    text = text.strip()
    if not text:
        raise InputError("The reply is empty: write the text to send.")
    if platform == "x" and len(text) > X_LIMIT:
        raise InputError(f"The reply has {len(text)} characters; X allows {X_LIMIT}.")
    message = Outgoing(
        platform=platform,
        recipient=recipient,
        in_reply_to=in_reply_to,
        text=text,
        key=key or f"report:{report_id}:received",
    )
    sender = sender or sender_for(platform, settings)
    return deliver(
        factory,
        message,
        sender=sender,
        actor=actor,
        now=now,
        report_id=report_id,
        settings=settings,
    )


def notify_followup(
    factory: sessionmaker[Session],
    *,
    followup_id: int,
    actor: str,
    settings: Settings,
    now: datetime,
    sender: Sender | None = None,
) -> OutboundMessage:
    """Tell the reporter about follow-up `followup_id`, asking for a reply or a rating (once).

    Returns the OutboundMessage row (see send_reply). Raises InputError for an unknown id.
    """
    with transaction(factory) as session:
        followup = session.get(FollowUp, followup_id)
        if followup is None:
            raise InputError(f"There is no follow-up with id {followup_id}.")
        report = session.get(Report, followup.report_id)
        assert report is not None  # a foreign key
        name = agency_name(session, followup.agency_code or report.agency_code)
    values = report_values(report, settings, name) | {"followup": followup.text.strip()}
    text = templates_for(settings).render("followup_notice", **values)
    return send_reply(
        factory,
        report_id=report.id,
        text=text,
        actor=actor,
        settings=settings,
        now=now,
        sender=sender,
        key=f"report:{report.id}:followup:{followup_id}",
    )


def deliver(
    factory: sessionmaker[Session],
    message: Outgoing,
    *,
    sender: Sender,
    actor: str,
    now: datetime,
    report_id: int | None = None,
    settings: Settings | None = None,
) -> OutboundMessage:
    """Send `message` through `sender` unless its key was sent already; return the row.

    Never raises a platform error: the row's state and error say what happened.
    """
    row, go = _claim(factory, message, sender, actor, now, report_id)
    if not go:
        return row
    state, external_id, error = "sent", None, None
    try:
        external_id = sender.send(message)
    except UncertainDeliveryError as exc:
        state, error = ("failed" if sender.safe_to_resend else "unknown"), str(exc)
    except SourceError as exc:
        state, error = "failed", str(exc)
    if error and settings is not None:
        error = settings.redact(error)
    with transaction(factory) as session:
        stored = session.get(OutboundMessage, row.id)
        assert stored is not None
        stored.state, stored.external_id, stored.error = state, external_id, error
        stored.sent_at = now if state == "sent" else None
    return stored


def _claim(
    factory: sessionmaker[Session],
    message: Outgoing,
    sender: Sender,
    actor: str,
    now: datetime,
    report_id: int | None,
) -> tuple[OutboundMessage, bool]:
    """Return the key's row and whether to call the platform, committing 'pending' first."""
    for _ in range(2):  # a concurrent first send of the same key: read the winner's row
        try:
            with transaction(factory) as session:
                return _claim_in(session, message, sender, actor, now, report_id)
        except IntegrityError:
            continue
    raise InputError(f"The message {message.key} is being sent by another process.")


def _claim_in(
    session: Session,
    message: Outgoing,
    sender: Sender,
    actor: str,
    now: datetime,
    report_id: int | None,
) -> tuple[OutboundMessage, bool]:
    query = select(OutboundMessage).where(OutboundMessage.idempotency_key == message.key)
    row = session.scalars(query.with_for_update()).first()
    if row is None:
        row = OutboundMessage(
            idempotency_key=message.key,
            report_id=report_id,
            platform=message.platform,
            recipient=message.recipient,
            in_reply_to=message.in_reply_to,
            text=message.text,
            state="pending",
            attempts=1,
            created_by=actor,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row, True
    if row.state == "sent":
        return row, False
    if row.state == "pending" and now - row.created_at < STALE_PENDING:
        return row, False  # another process is sending it right now
    if row.state in ("pending", "unknown") and not sender.safe_to_resend:
        row.state, row.error = "unknown", CRASH_NOTE
        return row, False
    row.state, row.error, row.text = "pending", None, message.text
    row.attempts += 1
    return row, True


def resolve(
    factory: sessionmaker[Session],
    message_id: int,
    *,
    delivered: bool,
    actor: str,
    now: datetime,
    external_id: str | None = None,
) -> OutboundMessage:
    """Record what a person saw on the channel for an 'unknown' (or stale 'pending') message.

    delivered=True marks it 'sent'; False marks it 'failed', so the next send retries it.
    Returns the row. Raises InputError when it does not exist or is not waiting for a person.
    """
    with transaction(factory) as session:
        row = session.get(OutboundMessage, message_id)
        if row is None:
            raise InputError(f"There is no outbound message with id {message_id}.")
        if row.state not in ("unknown", "pending"):
            raise InputError(f"Message {message_id} is '{row.state}', not waiting for a check.")
        row.state = "sent" if delivered else "failed"
        row.external_id = external_id or row.external_id
        row.sent_at = now if delivered else None
        row.error = f"marked {'delivered' if delivered else 'not delivered'} by {actor}"
        return row


def mark_stale(factory: sessionmaker[Session], now: datetime) -> int:
    """Turn 'pending' rows older than STALE_PENDING into 'unknown'; return how many."""
    with transaction(factory) as session:
        result = session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.state == "pending",
                OutboundMessage.created_at < now - STALE_PENDING,
            )
            .values(state="unknown", error=CRASH_NOTE)
        )
        return int(getattr(result, "rowcount", 0) or 0)
