"""The chatbot on Telegram, LINE and Messenger: status lookups, replies and ratings."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, literal, select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import Feedback, FollowUp, OutboundMessage, Report
from core.db import transaction
from core.errors import InputError
from core.models import Mention
from core.settings import Settings
from handler.followups import record_feedback
from handler.replies import agency_name, deliver, report_values, templates_for
from handler.senders import Outgoing, Sender, sender_for

log = logging.getLogger(__name__)

CHAT_PLATFORMS = ("telegram", "line", "messenger")
PARSE_CHARS = 2_000  # a command is short; a 10,000-character text is read only this far
FOLLOWUP_CHARS = 600
SEP = r"[\s._/\-]*"
HELP_WORDS = frozenset(
    "help bantuan menu start mulai info halo hallo hai hi hello p tolong "
    "assalamualaikum assalamu'alaikum".split()
)
STATUS_WORDS = ("cek status", "cek", "status", "lacak", "laporan saya", "nomor laporan", "track")
FILLER = frozenset("saya beri kasih nilai penilaian rating rate jawaban tindak lanjut nya".split())
RATING_WORDS = {
    "sangat puas": "sangat_puas",
    "puas sekali": "sangat_puas",
    "sangat_puas": "sangat_puas",
    "puas": "puas",
    "cukup puas": "cukup_puas",
    "cukup_puas": "cukup_puas",
    "cukup": "cukup_puas",
    "tidak puas": "tidak_puas",
    "tidak_puas": "tidak_puas",
    "tdk puas": "tidak_puas",
    "gak puas": "tidak_puas",
    "ga puas": "tidak_puas",
    "nggak puas": "tidak_puas",
    "kurang puas": "tidak_puas",
}
RATING_DIGITS = {"1": "sangat_puas", "2": "puas", "3": "cukup_puas", "4": "tidak_puas"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """What a chat message asks: kind is "status", "rating", "reply", "help" or "unknown"."""

    kind: str
    tracking_id: str | None = None
    rating: str | None = None
    text: str | None = None
    by_digit: bool = False  # a bare 1-4: a rating only right after a follow-up


def _tracking(text: str, prefix: str) -> tuple[str | None, str]:
    """Return the normalised tracking id in `text` (or None) and the text without it."""
    pattern = (
        rf"(?<![a-z0-9]){re.escape(prefix.lower())}{SEP}([0-9]{{4}}){SEP}([0-9]{{1,9}})(?![0-9])"
    )
    found = re.search(pattern, text)
    if found is None and any(text.startswith(w) for w in STATUS_WORDS):
        # "cek 2026-000123": the prefix left out after a status word
        found = re.search(r"(?<![0-9])(20[0-9]{2})[\s._/\-]+([0-9]{1,9})(?![0-9])", text)
    if found is None:
        return None, text
    year, number = found.group(1), int(found.group(2))
    rest = (text[: found.start()] + " " + text[found.end() :]).strip()
    return f"{prefix.upper()}-{year}-{number:06d}", rest


def parse(text: object, prefix: str = "LPR") -> Command:
    """Return the Command a chat message asks for. Never raises, whatever `text` is."""
    if not isinstance(text, str):
        return Command(kind="unknown")
    clean = unicodedata.normalize("NFKC", text[:PARSE_CHARS]).lower().strip()
    clean = re.sub(r"\s+", " ", clean)
    if not re.search(r"[^\W_]", clean):  # empty, punctuation or emoji only
        return Command(kind="unknown")
    tracking_id, rest = _tracking(clean, prefix)
    words = re.sub(r"[^\w' ]+", " ", rest).split()
    first = words[0].lstrip("/").split("@")[0] if words else ""  # "/start@Lapor1708Bot"
    core = " ".join(w for w in words if w not in FILLER)
    rating = RATING_WORDS.get(core)
    if rating is None and core in RATING_DIGITS and tracking_id is None:
        return Command(kind="rating", rating=RATING_DIGITS[core], by_digit=True)
    if rating is not None:
        return Command(kind="rating", rating=rating, tracking_id=tracking_id)
    if tracking_id is not None:
        return Command(kind="status", tracking_id=tracking_id)
    if first in ("cek", "status", "lacak") and len(words) <= 3:
        return Command(kind="help")  # a status question without an id: show how to ask
    if first in HELP_WORDS and len(words) <= 3 or clean in ("?", "/start", "/help"):
        return Command(kind="help")
    return Command(kind="reply", text=text.strip())


def _owner(report: Report, platform: str, author_id: str | None) -> bool:
    return bool(author_id) and (platform, author_id) == (
        report.reporter_platform,
        report.reporter_author_id,
    )


def _awaiting(
    session: Session, platform: str, author_id: str | None, at: datetime, states: tuple[str, ...]
) -> Report | None:
    """Return the reporter's report with the latest follow-up sent before `at`, if any."""
    if not author_id:
        return None
    query = (
        select(Report)
        .where(
            Report.reporter_platform == platform,
            Report.reporter_author_id == author_id,
            Report.status.in_(states),
            Report.followed_up_at.is_not(None),
            Report.followed_up_at <= at,
        )
        .order_by(Report.followed_up_at.desc(), Report.id.desc())
    )
    return session.scalars(query.limit(1)).first()


def _store_once(
    factory: sessionmaker[Session],
    report: Report,
    *,
    platform: str,
    author_id: str | None,
    text: str | None = None,
    rating: str | None = None,
    at: datetime,
) -> None:
    """Store the answer unless this very message (same author, time, content) was stored."""
    with transaction(factory) as session:
        seen = session.scalars(
            select(Feedback.id).where(
                Feedback.report_id == report.id,
                Feedback.channel == platform,
                Feedback.author_id == author_id,
                Feedback.created_at == at,
                Feedback.text.is_(None) if text is None else Feedback.text == text,
                Feedback.rating.is_(None) if rating is None else Feedback.rating == rating,
            )
        ).first()
    if seen is None:
        record_feedback(
            factory, report.id, channel=platform, author_id=author_id, text=text, rating=rating,
            now=at,
        )  # fmt: skip


def respond(
    factory: sessionmaker[Session],
    *,
    platform: str,
    author_id: str | None,
    text: str,
    settings: Settings,
    now: datetime,
    sent_at: datetime | None = None,
) -> str | None:
    """Return the chatbot's answer to `text` from `author_id` on `platform`, or None (no answer).

    Status of a known id: status, agency, latest follow-up (a rahasia report only to the
    reporter's own account). A rating or a free-text reply after a follow-up is stored.
    A free text with no follow-up waiting gets None: it is a new complaint for the inbox.
    `sent_at` is when the message was written (default `now`). Raises nothing for bad input.
    """
    at = sent_at or now
    t = templates_for(settings)
    example = f"{settings.tracking_prefix}-{now.year}-000123"
    command = parse(text, settings.tracking_prefix)
    if command.kind == "help":
        return t.render("help", example_id=example)
    if command.kind == "unknown":
        return None
    with transaction(factory) as session:
        report = None
        if command.tracking_id:
            query = select(Report).where(Report.tracking_id == command.tracking_id)
            report = session.scalars(query).first()
            if report is None:
                return t.render("unknown_id", tracking_id=command.tracking_id, example_id=example)
            if command.kind == "status":
                return _status(session, report, platform, author_id, settings)
        states = ("followed_up",) if command.kind == "reply" else ("followed_up", "completed")
        waiting = _awaiting(session, platform, author_id, at, states)
    if report is not None and not _owner(report, platform, author_id):
        return t.render("not_yours", tracking_id=report.tracking_id)
    report = report or waiting
    if report is None or report.followed_up_at is None:
        if command.kind == "reply" or command.by_digit:
            return None
        return t.render("nothing_to_rate", example_id=example)
    try:
        _store_once(factory, report, platform=platform, author_id=author_id,
                    text=command.text, rating=command.rating, at=at)  # fmt: skip
    except InputError:
        log.info("chatbot answer to %s not stored: not a reporter's answer", report.tracking_id)
        return None if command.kind == "reply" else t.render("nothing_to_rate", example_id=example)
    values = report_values(report, settings) | {"rating": t.label("rating", command.rating)}
    return t.render("rating_thanks" if command.rating else "reply_thanks", **values)


def _status(
    session: Session, report: Report, platform: str, author_id: str | None, settings: Settings
) -> str:
    t = templates_for(settings)
    own = _owner(report, platform, author_id)
    if report.rahasia and not own:
        return t.render("not_yours", tracking_id=report.tracking_id)
    latest = session.scalars(
        select(FollowUp)
        .where(FollowUp.report_id == report.id)
        .order_by(FollowUp.created_at.desc(), FollowUp.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        followup = str(t.texts.get("no_followup", "-"))
    elif report.anonim and not own:  # an agency's answer may name the hidden reporter
        followup = str(t.texts.get("followup_hidden", "-"))
    else:
        followup = latest.text.strip()
        if len(followup) > FOLLOWUP_CHARS:
            followup = followup[:FOLLOWUP_CHARS].rstrip() + "…"
    name = agency_name(session, report.agency_code)
    answer = t.render("status", **(report_values(report, settings, name) | {"followup": followup}))
    if own and report.status == "followed_up" and isinstance(t.texts.get("rate_hint"), str):
        answer += "\n" + t.render("rate_hint")
    return answer


def _target(mention: Mention) -> tuple[str | None, str | None]:
    """Return (recipient, in_reply_to) for answering a chat message privately."""
    if mention.platform == "telegram":
        chat = mention.external_id.rpartition(":")[0] or mention.conversation_id
        return chat, mention.external_id
    return mention.author_id, mention.external_id  # LINE / Messenger: push to the person


def process_messages(
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    sender_factory: Callable[[str], Sender] | None = None,
    *,
    window: timedelta = timedelta(hours=24),
) -> int:
    """Answer each chat message of the last `window` that asks the chatbot something, once.

    Each answer has the idempotency key "chatbot:<platform>:<external id>", so a message is
    answered once however often this job runs. Returns how many answers were sent.
    """
    key = literal("chatbot:", String) + Mention.platform + literal(":", String)
    key = key + Mention.external_id
    query = (
        select(Mention)
        .outerjoin(OutboundMessage, OutboundMessage.idempotency_key == key)
        .where(
            OutboundMessage.id.is_(None),
            Mention.platform.in_(CHAT_PLATFORMS),
            Mention.kind == "message",
            Mention.created_at >= now - window,
        )
        .order_by(Mention.created_at, Mention.id)
    )
    make = sender_factory or (lambda platform: sender_for(platform, settings))
    senders: dict[str, Sender] = {}
    sent = 0
    with factory() as session:
        mentions = list(session.scalars(query))
    for mention in mentions:
        try:
            answer = respond(factory, platform=mention.platform, author_id=mention.author_id,
                             text=mention.text, settings=settings, now=now,
                             sent_at=mention.created_at)  # fmt: skip
            if answer is None:
                continue
            recipient, in_reply_to = _target(mention)
            message = Outgoing(
                platform=mention.platform,
                recipient=recipient,
                in_reply_to=in_reply_to,
                text=answer,
                key=f"chatbot:{mention.platform}:{mention.external_id}",
            )
            sender = senders.get(mention.platform) or senders.setdefault(
                mention.platform, make(mention.platform)
            )
            row = deliver(factory, message, sender=sender, actor="chatbot", now=now,
                          settings=settings)  # fmt: skip
        except Exception:  # one bad message must not stop the others; the job logs it
            log.exception("chatbot could not answer %s mention %s", mention.platform, mention.id)
            continue
        sent += row.state == "sent"
    return sent
