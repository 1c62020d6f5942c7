"""Replies: Indonesian templates, the preview, and a send that reaches the citizen once."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import FollowUp, OutboundMessage, Report, ReportMention
from core.db import transaction
from core.errors import FatalSourceError, InputError
from core.models import Mention
from core.settings import Settings
from handler import replies
from handler.replies import (
    Templates,
    mark_stale,
    notify_followup,
    preview,
    render,
    resolve,
    send_reply,
    templates_for,
)
from handler.senders import Outgoing, UncertainDeliveryError

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SETTINGS = Settings(_env_file=None)
SOURCES = {
    "x": {"external_id": "1991234567890123456", "author_id": "44196397", "conversation_id": "1"},
    "facebook": {"external_id": "1220_5501", "author_id": "2750001", "conversation_id": "1220"},
    "telegram": {"external_id": "5123456789:412", "author_id": "5123456789"},
    "line": {"external_id": "468789577898262530", "author_id": "U4af4980629aabbcc"},
    "messenger": {"external_id": "m_AbC", "author_id": "6543210987654321"},
}


class FakeSender:
    """Counts platform calls; raises the errors it is given, in order, then succeeds."""

    def __init__(self, platform: str = "x", *errors: Exception, safe: bool = False) -> None:
        self.platform = platform
        self.safe_to_resend = safe
        self.errors = list(errors)
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> str:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)
        return f"ext-{len(self.sent)}"


def add_report(
    factory: sessionmaker[Session], platform: str = "x", **values: Any
) -> tuple[int, str]:
    """Store a report made from one mention on `platform`; return (report id, tracking id)."""
    src = SOURCES[platform]
    with transaction(factory) as s:
        mention = Mention(
            platform=platform,
            external_id=src["external_id"],
            text="Jalan di Jl. Ahmad Yani berlubang besar, mohon diperbaiki",
            created_at=NOW - timedelta(hours=2),
            kind="message" if platform in ("telegram", "line", "messenger") else "post",
            conversation_id=src.get("conversation_id", src["author_id"]),
            author_id=src["author_id"],
            author_handle="warga_sby",
            listener=platform,
            retrieved_at=NOW,
            first_seen_at=NOW,
        )
        s.add(mention)
        s.flush()
        report = Report(
            tracking_id=values.pop("tracking_id", "LPR-2026-000123"),
            kind="pengaduan",
            sector="infrastruktur",
            title="Jalan berlubang di Jl. Ahmad Yani",
            description=mention.text,
            status=values.pop("status", "submitted"),
            reporter_platform=platform,
            reporter_handle="warga_sby",
            reporter_author_id=src["author_id"],
            reporter_conversation_id=mention.conversation_id,
            created_by="handler",
            created_at=NOW - timedelta(hours=1),
            updated_at=NOW - timedelta(hours=1),
            **values,
        )
        s.add(report)
        s.flush()
        s.add(ReportMention(report_id=report.id, mention_id=mention.id))
        return report.id, report.tracking_id


def rows(factory: sessionmaker[Session]) -> list[OutboundMessage]:
    with factory() as s:
        return list(s.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


# Templates ----------------------------------------------------------------------------------


def test_received_template_gives_the_id_the_next_step_and_how_to_check() -> None:
    text = render("received", tracking_id="LPR-2026-000123", verify_days=3)
    assert "LPR-2026-000123" in text
    assert "diverifikasi dalam 3 hari kerja" in text
    assert "ketik: cek LPR-2026-000123" in text
    assert len(text) <= 280  # it goes out as an X reply too


def test_followup_notice_offers_the_four_ratings() -> None:
    text = render(
        "followup_notice", tracking_id="LPR-2026-000123", agency="Dinas PU", followup="Sudah",
        close_days=10,
    )  # fmt: skip
    assert "Sangat Puas / Puas / Cukup Puas / Tidak Puas" in text and "10 hari kerja" in text


def test_a_missing_value_or_template_is_named() -> None:
    with pytest.raises(InputError, match="'received' needs a value for 'verify_days'"):
        render("received", tracking_id="LPR-2026-000123")
    with pytest.raises(InputError, match="no reply template called 'salam'"):
        render("salam")


def test_every_shipped_template_renders_with_the_values_the_code_gives() -> None:
    values = dict(tracking_id="LPR-2026-000123", example_id="LPR-2026-000123", status="Selesai",
                  agency="Dinas PU", updated="20-11-2026 15:00", followup="Sudah diperbaiki",
                  verify_days=3, followup_days=5, close_days=10, rating="Puas")  # fmt: skip
    t = Templates.load()
    for name, template in t.texts.items():
        if isinstance(template, str):
            assert t.render(name, **values).strip(), name


def test_an_instansi_file_overrides_some_templates_and_labels(tmp_path: Path) -> None:
    own = tmp_path / "balasan.yaml"
    own.write_text(
        "received: 'Laporan {tracking_id} kami terima. Salam, Diskominfo.'\n"
        "status_labels:\n  submitted: Masuk\n",
        encoding="utf-8",
    )
    t = templates_for(Settings(_env_file=None, reply_templates_file=str(own)))
    assert t.render("received", tracking_id="LPR-2026-000007") == (
        "Laporan LPR-2026-000007 kami terima. Salam, Diskominfo."
    )
    assert t.label("status", "submitted") == "Masuk"
    assert t.label("status", "verified") == "Terverifikasi"  # the rest stays shipped
    assert "Sangat Puas" in t.render("rate_hint")  # the rest stays shipped


def test_a_broken_templates_file_is_a_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(InputError, match="must map template names"):
        Templates.load(bad)
    with pytest.raises(InputError, match="Cannot read"):
        Templates.load(tmp_path / "missing.yaml")
    odd = tmp_path / "odd.yaml"
    odd.write_text("received: 'Nomor {tracking_id'\n", encoding="utf-8")
    with pytest.raises(InputError, match="unmatched"):
        Templates.load(odd).render("received", tracking_id="x")


# Preview and send -----------------------------------------------------------------------------


def test_preview_is_exactly_what_is_sent(factory: sessionmaker[Session]) -> None:
    report_id, tracking = add_report(factory, "x")
    with factory() as s:
        report = s.get(Report, report_id)
        assert report is not None
        text = preview(report, "received", SETTINGS)
    assert tracking in text and "3 hari kerja" in text
    sender = FakeSender("x")
    row = send_reply(factory, report_id=report_id, text=text, actor="dina", settings=SETTINGS,
                     now=NOW, sender=sender)  # fmt: skip
    assert sender.sent[0].text == text
    assert (row.state, row.external_id, row.text, row.created_by) == ("sent", "ext-1", text, "dina")
    assert row.sent_at == NOW


def test_the_reply_goes_to_the_reporters_own_conversation(factory: sessionmaker[Session]) -> None:
    expected = {
        "x": ("warga_sby", "1991234567890123456"),  # a reply under the citizen's tweet
        "facebook": ("2750001", "1220_5501"),  # a reply under the comment
        "telegram": ("5123456789", "5123456789:412"),  # the chat, replying to the message
        "line": ("U4af4980629aabbcc", "468789577898262530"),  # a push to the user
        "messenger": ("6543210987654321", "m_AbC"),  # a message to the PSID
    }
    for n, (platform, (recipient, in_reply_to)) in enumerate(expected.items(), start=1):
        report_id, _ = add_report(factory, platform, tracking_id=f"LPR-2026-00000{n}")
        sender = FakeSender(platform)
        send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                   settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
        sent = sender.sent[0]
        assert (sent.platform, sent.recipient, sent.in_reply_to) == (
            platform,
            recipient,
            in_reply_to,
        )
        assert sent.key == f"report:{report_id}:received"


def test_the_same_key_twice_calls_the_platform_once(factory: sessionmaker[Session]) -> None:
    report_id, _ = add_report(factory, "telegram")
    sender = FakeSender("telegram")
    first = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                       settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    again = send_reply(factory, report_id=report_id, text="Terima kasih lagi", actor="budi",
                       settings=SETTINGS, now=NOW + timedelta(minutes=1), sender=sender)  # fmt: skip
    assert len(sender.sent) == 1
    assert again.id == first.id and again.state == "sent" and again.text == "Terima kasih"
    assert len(rows(factory)) == 1
    other = send_reply(factory, report_id=report_id, text="Info", actor="dina", settings=SETTINGS,
                       now=NOW, sender=sender, key=f"report:{report_id}:info")  # fmt: skip
    assert other.state == "sent" and len(sender.sent) == 2


def test_a_failed_send_is_recorded_and_retried_on_the_next_call(
    factory: sessionmaker[Session],
) -> None:
    token = "EAAG-secret-page-token"
    settings = Settings(_env_file=None, facebook_page_token=token)
    report_id, _ = add_report(factory, "facebook")
    sender = FakeSender("facebook", FatalSourceError("facebook", f"refused {token}"))
    failed = send_reply(factory, report_id=report_id, text="Halo", actor="dina", settings=settings,
                        now=NOW, sender=sender)  # fmt: skip
    assert failed.state == "failed" and "refused ***" in (failed.error or "")
    assert token not in (failed.error or "")
    retried = send_reply(factory, report_id=report_id, text="Halo", actor="dina",
                         settings=settings, now=NOW, sender=sender)  # fmt: skip
    assert (retried.state, retried.attempts, retried.error) == ("sent", 2, None)
    assert len(sender.sent) == 1


def pending_row(factory: sessionmaker[Session], report_id: int, age: timedelta) -> None:
    """The row a process leaves when it dies between the commit and the platform's answer."""
    with transaction(factory) as s:
        s.add(OutboundMessage(idempotency_key=f"report:{report_id}:received", report_id=report_id,
                              platform="x", text="Terima kasih", state="pending", attempts=1,
                              created_by="dina", created_at=NOW - age))  # fmt: skip


def test_a_crash_left_pending_row_is_not_resent_blindly(factory: sessionmaker[Session]) -> None:
    report_id, _ = add_report(factory, "x")
    pending_row(factory, report_id, timedelta(minutes=30))
    sender = FakeSender("x")
    row = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                     settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    assert row.state == "unknown" and "check the conversation" in (row.error or "")
    assert sender.sent == []
    again = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                       settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    assert again.state == "unknown" and sender.sent == []
    # A person checks the reporter's timeline: not there, so the next send goes out.
    assert resolve(factory, row.id, delivered=False, actor="dina", now=NOW).state == "failed"
    sent = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                      settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    assert sent.state == "sent" and len(sender.sent) == 1
    with pytest.raises(InputError, match="not waiting for a check"):
        resolve(factory, row.id, delivered=True, actor="dina", now=NOW)


def test_a_fresh_pending_row_is_left_to_the_process_sending_it(
    factory: sessionmaker[Session],
) -> None:
    report_id, _ = add_report(factory, "x")
    pending_row(factory, report_id, timedelta(seconds=20))
    sender = FakeSender("x")
    row = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                     settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    assert row.state == "pending" and sender.sent == []
    assert mark_stale(factory, NOW) == 0
    assert mark_stale(factory, NOW + timedelta(minutes=10)) == 1
    assert rows(factory)[0].state == "unknown"


def test_a_platform_that_drops_repeats_is_resent_after_a_crash(
    factory: sessionmaker[Session],
) -> None:
    report_id, _ = add_report(factory, "line")
    pending_row(factory, report_id, timedelta(minutes=30))
    sender = FakeSender("line", safe=True)  # LINE: X-Line-Retry-Key makes a repeat a no-op
    row = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                     settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    assert row.state == "sent" and row.attempts == 2 and len(sender.sent) == 1


def test_a_lost_answer_becomes_unknown_and_a_person_confirms_it(
    factory: sessionmaker[Session],
) -> None:
    report_id, _ = add_report(factory, "x")
    sender = FakeSender("x", UncertainDeliveryError("x", "X did not answer in time"))
    row = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                     settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    assert row.state == "unknown"
    done = resolve(factory, row.id, delivered=True, actor="dina", now=NOW, external_id="199")
    assert (done.state, done.external_id) == ("sent", "199")
    again = send_reply(factory, report_id=report_id, text="Terima kasih", actor="dina",
                       settings=SETTINGS, now=NOW, sender=sender)  # fmt: skip
    assert again.state == "sent" and sender.sent == []


def test_bad_sends_are_refused_with_a_sentence(factory: sessionmaker[Session]) -> None:
    report_id, _ = add_report(factory, "x")
    sender = FakeSender("x")
    kwargs: dict[str, Any] = dict(actor="dina", settings=SETTINGS, now=NOW, sender=sender)
    with pytest.raises(InputError, match="X allows 280"):
        send_reply(factory, report_id=report_id, text="a" * 281, **kwargs)
    with pytest.raises(InputError, match="empty"):
        send_reply(factory, report_id=report_id, text="  ", **kwargs)
    with pytest.raises(InputError, match="no report with id 999"):
        send_reply(factory, report_id=999, text="Halo", **kwargs)
    with transaction(factory) as s:
        report = s.get(Report, report_id)
        assert report is not None
        report.reporter_platform = "web"
    with pytest.raises(InputError, match="did not come from a channel"):
        send_reply(factory, report_id=report_id, text="Halo", **kwargs)
    assert sender.sent == [] and rows(factory) == []


def test_followup_notice_is_sent_once_per_followup(factory: sessionmaker[Session]) -> None:
    report_id, tracking = add_report(factory, "telegram", status="followed_up")
    with transaction(factory) as s:
        followup = FollowUp(report_id=report_id, agency_code="DPUBMP-SBY", author="dinas",
                            text="Jalan sudah ditambal pada 19 November.", created_at=NOW)  # fmt: skip
        s.add(followup)
        s.flush()
        followup_id = followup.id
    sender = FakeSender("telegram")
    for _ in range(2):
        row = notify_followup(factory, followup_id=followup_id, actor="dina", settings=SETTINGS,
                              now=NOW, sender=sender)  # fmt: skip
    assert len(sender.sent) == 1 and row.state == "sent"
    text = sender.sent[0].text
    assert tracking in text and "Jalan sudah ditambal" in text and "Tidak Puas" in text
    assert sender.sent[0].key == f"report:{report_id}:followup:{followup_id}"


def test_an_edited_templates_file_is_read_again(tmp_path: Path) -> None:
    own = tmp_path / "balasan.yaml"
    own.write_text("help: 'Versi satu'\n", encoding="utf-8")
    settings = Settings(_env_file=None, reply_templates_file=str(own))
    assert replies.templates_for(settings) is replies.templates_for(settings)  # read once
    own.write_text("help: 'Versi dua'\n", encoding="utf-8")
    os.utime(own, (1_900_000_000, 1_900_000_000))
    assert replies.templates_for(settings).render("help") == "Versi dua"
