"""Reports page: the board with deadline clocks, a lifecycle step, the timeline, follow-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.casework import AuditEntry, FollowUp, OutboundMessage, Report
from core.clock import utcnow
from core.db import transaction
from tests.pages.conftest import open_page


def add_report(factory, tracking, *, status, agency="dinas-pu", **due):
    now = utcnow()
    with transaction(factory) as s:
        r = Report(tracking_id=tracking, kind="pengaduan", sector="infrastruktur",
                   title=f"Jalan rusak ({tracking})", description="Jalan berlubang, hp 081234567890",
                   status=status, agency_code=agency, created_by="budi",
                   created_at=now - timedelta(days=6), submitted_at=now - timedelta(days=6),
                   updated_at=now - timedelta(days=1), anonim=True, reporter_platform="x",
                   reporter_handle="warga_sby", **due)  # fmt: skip
        s.add(r)
        s.flush()
        s.add(AuditEntry(entity="report", entity_id=r.id, action="create", actor="budi",
                         at=now - timedelta(days=6), before={}, after={"status": status},
                         note="dari X"))  # fmt: skip
        return r.id


def status_of(factory, report_id):
    with factory() as s:
        return s.get(Report, report_id).status


def shown(at):
    """The page's Markdown and captions as the reader sees them (escapes removed)."""
    return [e.value.replace("\\", "") for e in [*at.markdown, *at.caption]]


def open_reports():
    return open_page("pages/reports.py")


@pytest.fixture
def reports(store):
    now = utcnow()
    late = add_report(store, "LPR-2026-000001", status="submitted",
                      verify_due=now - timedelta(days=1))  # fmt: skip
    fine = add_report(store, "LPR-2026-000002", status="dispatched",
                      followup_due=now + timedelta(days=4), resolve_due=now + timedelta(days=9))  # fmt: skip
    return store, late, fine


def test_board_shows_each_report_with_its_clock_and_due_date(reports):
    at = open_reports()
    frames = {tuple(d.value["Tracking ID"]): d.value for d in at.dataframe}
    submitted = frames[("LPR-2026-000001",)]
    assert list(submitted["Clock"]) == ["overdue"]
    assert list(submitted["Deadline"]) == ["verification"]
    assert list(frames[("LPR-2026-000002",)]["Clock"]) == ["on time"]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Overdue"], metrics["Reports in progress"]) == ("1", "2")

    at.selectbox(key="board_clock").set_value("overdue").run()
    assert [tuple(d.value["Tracking ID"]) for d in at.dataframe] == [("LPR-2026-000001",)]


def test_a_transition_button_moves_the_report_and_the_timeline_shows_it(reports):
    store, late, _ = reports
    at = open_reports()
    assert at.selectbox(key="report_pick").value == late  # the overdue report comes first
    lines = [line for line in shown(at) if "report create" in line]
    assert lines and "budi" in lines[0]
    assert {b.key for b in at.button if b.key.startswith(f"move_{late}_")} == {
        f"move_{late}_verified",
        f"move_{late}_rejected",
        f"move_{late}_not_authorised",
    }

    at.button(key=f"move_{late}_rejected").click().run()
    assert status_of(store, late) == "submitted"
    assert "needs a note" in at.error[0].value

    at.text_input(key=f"note_{late}").input("lengkap").run()
    at.button(key=f"move_{late}_verified").click().run()
    assert status_of(store, late) == "verified"
    assert at.success[0].value == "LPR-2026-000001 is now verified."
    moved = [line for line in shown(at) if "status:verified" in line]
    assert moved and "submitted → verified" in moved[0] and "sari" in moved[0]


def test_follow_up_is_stored_with_its_normative_flag(reports):
    store, _, fine = reports
    at = open_reports()
    at.selectbox(key="report_pick").set_value(fine).run()
    at.text_area(key=f"fu_text_{fine}").input("Laporan Anda sedang kami proses.")
    at.button(key=f"FormSubmitter:followup_{fine}-Add follow-up").click().run()
    with store() as s:
        (followup,) = s.query(FollowUp).all()
    assert followup.normative is True and followup.author == "sari"
    assert status_of(store, fine) == "followed_up"
    assert "normative" in at.warning[0].value
    assert any("normative" in line for line in shown(at) if "follow-up from" in line)
    # this report has no source tweet to answer, so the notice cannot go: the page says why
    assert "notice to the reporter failed" in at.warning[0].value
    assert "has no source x post to reply under; link its mention first." in at.warning[0].value
    with store() as s:
        assert s.query(OutboundMessage).count() == 0


def test_public_preview_hides_the_anonim_reporter_and_masks_personal_data(reports):
    at = open_reports()
    page = " ".join(shown(at))
    assert "Reporter: hidden (anonim)" in page
    assert "081234567890" not in page and "[TELEPON]" in page


def test_a_reply_of_unknown_outcome_is_checked_by_a_person(reports):
    store, _, fine = reports
    with transaction(store) as s:
        s.add(OutboundMessage(idempotency_key=f"report:{fine}:received", report_id=fine,
                              platform="x", recipient="warga_sby", text="Laporan diterima",
                              state="unknown", created_by="sari", created_at=utcnow()))  # fmt: skip
    at = open_reports()
    at.selectbox(key="report_pick").set_value(fine).run()
    assert any("Nobody knows whether the reply" in w.value for w in at.warning)
    (button,) = [b for b in at.button if b.key.startswith("delivered_")]
    button.click().run()
    with store() as s:
        assert s.query(OutboundMessage).one().state == "sent"
    assert not any("Nobody knows whether the reply" in w.value for w in at.warning)
