"""Follow-up quality: boilerplate, too short and copy-pasted answers are normative."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from core.casework import FollowUp, Report
from core.db import transaction
from handler.quality import is_normative, normative_share

REAL = (
    "Lubang di Jl. Ahmad Yani depan pasar sudah ditambal oleh UPT Bina Marga pada 12 Maret; "
    "drainase di sisi timur dijadwalkan dikeruk minggu depan."
)


def test_boilerplate_alone_is_normative() -> None:
    for text in (
        "Laporan Anda sedang kami proses. Terima kasih.",
        "Terima kasih atas laporannya",
        "Akan kami tindaklanjuti, mohon ditunggu ya kak @warga123 (LPR-2026-000012)",
        "Yth. Bapak/Ibu, laporan anda telah kami teruskan kepada dinas terkait. Salam.",
    ):
        normative, reason = is_normative(text)
        assert normative, text
        assert reason is not None and reason.startswith("boilerplate")


def test_a_too_short_answer_is_normative() -> None:
    normative, reason = is_normative("Sudah ok.")
    assert normative
    assert reason is not None and reason.startswith("too short")


def test_a_concrete_answer_is_not_normative_even_with_courtesy() -> None:
    assert is_normative(REAL) == (False, None)
    assert is_normative("Terima kasih atas laporannya. " + REAL) == (False, None)


def test_a_copy_of_an_earlier_answer_to_another_report_is_normative() -> None:
    template = (
        "Sehubungan dengan laporan saudara, petugas kami telah melakukan peninjauan lapangan "
        "dan hasilnya akan dilaporkan kepada pimpinan untuk penjadwalan perbaikan tahun anggaran "
        "berikutnya sesuai ketersediaan anggaran daerah."
    )
    assert is_normative(template) == (False, None)
    reused = template.replace("saudara", "saudara (LPR-2026-000077)")
    normative, reason = is_normative(reused, [REAL, template])
    assert normative
    assert reason is not None and reason.startswith("copy-paste")
    assert is_normative(REAL, [template]) == (False, None)


def _report(session: Session, n: int, now: datetime) -> int:
    report = Report(
        tracking_id=f"LPR-2026-{n:06d}", kind="pengaduan", sector="infrastruktur", title="t",
        description="d", created_by="h", created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(report)
    session.flush()
    return report.id


def test_normative_share_per_agency(factory: sessionmaker[Session]) -> None:
    now = datetime(2026, 4, 1, 3, tzinfo=UTC)
    rows = [("dinas-pu", True), ("dinas-pu", False), ("dinas-pu", True), ("dinkes", False)]
    with transaction(factory) as session:
        for n, (agency, normative) in enumerate(rows, start=1):
            session.add(
                FollowUp(
                    report_id=_report(session, n, now),
                    agency_code=agency,
                    author="a",
                    text="x",
                    normative=normative,
                    created_at=now,
                )  # fmt: skip
            )
        old = _report(session, 99, now)
        session.add(FollowUp(report_id=old, agency_code="dinkes", author="a", text="x",
                             normative=True, created_at=now - timedelta(days=40)))  # fmt: skip
    with factory() as session:
        shares = normative_share(session, since=now - timedelta(days=30))
    got = [(q.agency_code, q.followups, q.normative, round(q.share, 3)) for q in shares]
    assert got == [("dinas-pu", 3, 2, 0.667), ("dinkes", 1, 0, 0.0)]
