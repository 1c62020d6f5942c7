"""The chatbot: any message parses, status answers, rahasia privacy, ratings, one answer each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.casework import Agency, Feedback, FollowUp, OutboundMessage, Report
from core.db import transaction
from core.models import Mention
from core.settings import Settings
from handler.chatbot import Command, parse, process_messages, respond
from handler.senders import Outgoing

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
SETTINGS = Settings(_env_file=None)
TG_USER = "5123456789"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cek LPR-2026-000123", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("status LPR-2026-000123", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("lpr-2026-123", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("laporan saya LPR 2026 000123", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("Cek   lpr_2026_000123 ya min 🙏", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("LPR2026000123", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("/cek@Lapor1708Bot LPR-2026-7", Command(kind="status", tracking_id="LPR-2026-000007")),
        ("cek 2026-000123", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("ＬＰＲ－２０２６－０００１２３", Command(kind="status", tracking_id="LPR-2026-000123")),
        ("Sangat Puas", Command(kind="rating", rating="sangat_puas")),
        ("puas", Command(kind="rating", rating="puas")),
        ("cukup puas!", Command(kind="rating", rating="cukup_puas")),
        ("Saya TIDAK PUAS 😡", Command(kind="rating", rating="tidak_puas")),
        ("gak puas", Command(kind="rating", rating="tidak_puas")),
        (
            "puas LPR-2026-000123",
            Command(kind="rating", rating="puas", tracking_id="LPR-2026-000123"),
        ),
        ("1", Command(kind="rating", rating="sangat_puas", by_digit=True)),
        ("4", Command(kind="rating", rating="tidak_puas", by_digit=True)),
        ("/start", Command(kind="help")),
        ("bantuan", Command(kind="help")),
        ("Halo min", Command(kind="help")),
        ("cek", Command(kind="help")),
        ("", Command(kind="unknown")),
        ("   \n\t ", Command(kind="unknown")),
        ("🙏🙏🙏", Command(kind="unknown")),
        ("?!…", Command(kind="unknown")),
        ("5", Command(kind="reply", text="5")),
        ("Jalannya masih rusak pak", Command(kind="reply", text="Jalannya masih rusak pak")),
        ("مرحبا", Command(kind="reply", text="مرحبا")),
        ("道路坏了", Command(kind="reply", text="道路坏了")),
        ("LPR-26-123", Command(kind="reply", text="LPR-26-123")),
    ],
)
def test_parse_table(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000,
        "🙂" * 10_000,
        "LPR-" * 3000,
        "\x00\ud800 broken",
        "cek " + "9" * 5000,
        None,
        42,
    ],
)
def test_parse_never_raises(text: Any) -> None:
    assert parse(text).kind in ("status", "rating", "reply", "help", "unknown")


def add_report(factory: sessionmaker[Session], **values: Any) -> int:
    with transaction(factory) as s:
        s.add(Agency(code="DPUBMP-SBY", name="Dinas PU Bina Marga Kota Surabaya"))
        report = Report(
            tracking_id=values.pop("tracking_id", "LPR-2026-000123"),
            kind="pengaduan",
            sector="infrastruktur",
            title="Jalan berlubang",
            description="Jalan di Jl. Ahmad Yani berlubang, NIK saya 3578010101900001",
            status=values.pop("status", "dispatched"),
            reporter_platform="telegram",
            reporter_author_id=TG_USER,
            reporter_conversation_id=TG_USER,
            agency_code="DPUBMP-SBY",
            created_by="dina",
            created_at=NOW - timedelta(days=3),
            updated_at=NOW - timedelta(days=1),
            **values,
        )
        s.add(report)
        s.flush()
        return report.id


def add_followup(factory: sessionmaker[Session], report_id: int, text: str, at: datetime) -> None:
    with transaction(factory) as s:
        s.add(FollowUp(report_id=report_id, agency_code="DPUBMP-SBY", author="dinas", text=text,
                       created_at=at))  # fmt: skip
        report = s.get(Report, report_id)
        assert report is not None
        report.status, report.followed_up_at = "followed_up", at


def ask(factory: sessionmaker[Session], text: str, author: str = TG_USER, **kw: Any) -> str | None:
    return respond(factory, platform=kw.pop("platform", "telegram"), author_id=author, text=text,
                   settings=SETTINGS, now=NOW, **kw)  # fmt: skip


def test_status_answer_gives_status_agency_and_latest_followup(
    factory: sessionmaker[Session],
) -> None:
    report_id = add_report(factory)
    add_followup(factory, report_id, "Sudah kami survei.", NOW - timedelta(days=2))
    add_followup(factory, report_id, "Jalan sudah ditambal tanggal 19.", NOW - timedelta(hours=5))
    answer = ask(factory, "cek lpr-2026-123")
    assert answer is not None
    assert "LPR-2026-000123" in answer
    assert "Sudah ditindaklanjuti" in answer
    assert "Dinas PU Bina Marga Kota Surabaya" in answer
    assert "Jalan sudah ditambal tanggal 19." in answer and "survei" not in answer
    assert "Sangat Puas" in answer  # the reporter is invited to rate


def test_unknown_id_and_help_get_the_template_sentences(factory: sessionmaker[Session]) -> None:
    assert "LPR-2026-999999 tidak kami temukan" in (ask(factory, "cek LPR-2026-999999") or "")
    assert "cek LPR-2026-000123" in (ask(factory, "/start") or "")
    assert ask(factory, "🙏") is None


def test_a_rahasia_report_shows_details_only_to_the_reporters_account(
    factory: sessionmaker[Session],
) -> None:
    report_id = add_report(factory, rahasia=True)
    add_followup(factory, report_id, "Petugas sudah menemui pelapor.", NOW - timedelta(hours=5))
    stranger = ask(factory, "cek LPR-2026-000123", author="999")
    same_id_other_channel = ask(factory, "cek LPR-2026-000123", platform="line")
    owner = ask(factory, "cek LPR-2026-000123")
    for answer in (stranger, same_id_other_channel):
        assert answer is not None and "rahasia" in answer
        assert "Petugas" not in answer and "Dinas PU" not in answer and "Status" not in answer
    assert owner is not None and "Petugas sudah menemui pelapor." in owner


def test_an_anonim_reports_followup_text_stays_with_the_reporter(
    factory: sessionmaker[Session],
) -> None:
    report_id = add_report(factory, anonim=True)
    add_followup(factory, report_id, "Bu Sri, kami hubungi di 0812-3456-7890.", NOW)
    stranger = ask(factory, "cek LPR-2026-000123", author="999") or ""
    assert "Sudah ditindaklanjuti" in stranger and "0812" not in stranger and "Sri" not in stranger
    assert "0812-3456-7890" in (ask(factory, "cek LPR-2026-000123") or "")


def feedback(factory: sessionmaker[Session]) -> list[tuple[str | None, str | None]]:
    with factory() as s:
        return [(f.rating, f.text) for f in s.scalars(select(Feedback).order_by(Feedback.id))]


def test_a_rating_after_a_followup_is_stored_once_and_thanked(
    factory: sessionmaker[Session],
) -> None:
    report_id = add_report(factory)
    add_followup(factory, report_id, "Jalan sudah ditambal.", NOW - timedelta(hours=5))
    sent_at = NOW - timedelta(minutes=3)
    answer = ask(factory, "Sangat puas 👍", sent_at=sent_at)
    again = ask(factory, "Sangat puas 👍", sent_at=sent_at)  # the same message seen twice
    assert answer == again and answer is not None
    assert "Sangat Puas" in answer and "LPR-2026-000123" in answer
    assert feedback(factory) == [("sangat_puas", None)]
    with factory() as s:
        report = s.get(Report, report_id)
        assert report is not None and report.rating == "sangat_puas"
    assert ask(factory, "2", sent_at=NOW) is not None
    assert feedback(factory) == [("sangat_puas", None), ("puas", None)]


def test_a_free_text_reply_to_the_latest_followup_is_stored(
    factory: sessionmaker[Session],
) -> None:
    report_id = add_report(factory)
    assert ask(factory, "Jalannya masih rusak pak") is None  # no follow-up: a new complaint
    add_followup(factory, report_id, "Jalan sudah ditambal.", NOW - timedelta(hours=5))
    early = ask(factory, "Jalannya rusak pak", sent_at=NOW - timedelta(hours=6))
    assert early is None  # written before the follow-up: not an answer to it
    answer = ask(factory, "Jalannya masih rusak di depan nomor 12", sent_at=NOW)
    assert answer is not None and "tanggapan Anda" in answer
    assert feedback(factory) == [(None, "Jalannya masih rusak di depan nomor 12")]


def test_ratings_with_nothing_to_rate_and_from_strangers_store_nothing(
    factory: sessionmaker[Session],
) -> None:
    report_id = add_report(factory)
    assert "Belum ada tindak lanjut" in (ask(factory, "puas") or "")
    assert ask(factory, "3") is None  # a bare digit with no follow-up is not a rating
    add_followup(factory, report_id, "Sudah ditambal.", NOW - timedelta(hours=5))
    assert "rahasia" in (ask(factory, "tidak puas LPR-2026-000123", author="999") or "")
    assert ask(factory, "tidak puas", author="999") is not None  # nothing of theirs to rate
    assert feedback(factory) == []


def chat_message(factory: sessionmaker[Session], platform: str, external_id: str, text: str,
                 author: str = TG_USER, *, age: timedelta = timedelta(minutes=5),
                 kind: str = "message") -> None:  # fmt: skip
    with transaction(factory) as s:
        s.add(Mention(platform=platform, external_id=external_id, text=text, kind=kind,
                      created_at=NOW - age, conversation_id=author, author_id=author,
                      listener=platform, retrieved_at=NOW, first_seen_at=NOW))  # fmt: skip


class Recorder:
    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.safe_to_resend = False
        self.sent: list[Outgoing] = []

    def send(self, message: Outgoing) -> str:
        self.sent.append(message)
        return f"{self.platform}-{len(self.sent)}"


def test_process_messages_answers_each_command_once(factory: sessionmaker[Session]) -> None:
    add_report(factory)
    chat_message(factory, "telegram", f"{TG_USER}:500", "cek LPR-2026-000123")
    chat_message(factory, "telegram", f"{TG_USER}:501", "Jalan di depan rumah saya rusak")
    chat_message(factory, "line", "468789577898262530", "bantuan", author="U4af49806")
    chat_message(factory, "messenger", "m_Zx1", "cek LPR-2026-000999", author="6543210987")
    chat_message(
        factory, "telegram", f"{TG_USER}:300", "cek LPR-2026-000123", age=timedelta(days=3)
    )
    chat_message(factory, "x", "1991", "cek LPR-2026-000123", kind="post")
    recorders: dict[str, Recorder] = {}

    def make(platform: str) -> Recorder:
        return recorders.setdefault(platform, Recorder(platform))

    assert process_messages(factory, SETTINGS, NOW, make) == 3
    assert process_messages(factory, SETTINGS, NOW + timedelta(minutes=1), make) == 0
    tg = recorders["telegram"].sent
    assert [(m.recipient, m.in_reply_to) for m in tg] == [(TG_USER, f"{TG_USER}:500")]
    assert "Diteruskan ke instansi" in tg[0].text
    assert recorders["line"].sent[0].recipient == "U4af49806"
    assert "tidak kami temukan" in recorders["messenger"].sent[0].text
    with factory() as s:
        keys = set(s.scalars(select(OutboundMessage.idempotency_key)))
    assert keys == {
        f"chatbot:telegram:{TG_USER}:500",
        "chatbot:line:468789577898262530",
        "chatbot:messenger:m_Zx1",
    }
