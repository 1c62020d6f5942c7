"""The handler's whole loop, end to end: a Telegram message becomes a routed report, the citizen
gets the tracking ID on the same chat, asks the chatbot for the status and rates the follow-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.casework import Feedback, Lead, OutboundMessage, Report
from core.clock import JAKARTA
from core.db import transaction
from core.mentions import save_batch
from core.settings import Settings
from handler import chatbot
from handler.followups import add_followup
from handler.queue import SqlLeadQueue
from handler.replies import notify_followup, preview, send_reply
from handler.reports import convert, transition
from handler.routing import load_default
from handler.senders import ConsoleSender
from handler.service import triage_new_mentions
from listeners.telegram import parse_updates
from tests.handler.test_service import fake_classify

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=JAKARTA)  # a Monday
SETTINGS = Settings(_env_file=None)
UPDATE = {
    "update_id": 5001,
    "message": {
        "message_id": 77,
        "date": int(NOW.timestamp()) - 600,
        "chat": {"id": 424242, "type": "private", "first_name": "Sri"},
        "from": {"id": 424242, "is_bot": False, "first_name": "Sri", "username": "sri_warga"},
        "text": "Tolong min, jalan di depan SDN 3 berlubang besar, motor sering jatuh. "
        "Hubungi saya 0812-3456-7890",
    },
}


def test_a_message_becomes_a_report_and_the_citizen_is_kept_informed(factory):
    load_default(factory)
    batch = parse_updates([UPDATE], bot_username="lapor_bot", watched_hashtags=["BeraniLAPOR"])
    with transaction(factory) as s:
        save_batch(s, "telegram", batch, NOW)
    assert triage_new_mentions(factory, fake_classify, NOW) == 1
    with factory() as s:
        lead = s.scalars(select(Lead)).one()
    assert {flag["type"] for flag in lead.pii} == {"phone"}

    queue = SqlLeadQueue(factory)
    assert queue.claim_next("sari", NOW).id == lead.id
    report = convert(factory, [lead.id], actor="sari", settings=SETTINGS, now=NOW)
    assert report.tracking_id.startswith("LPR-2026-")
    assert report.anonim  # personal data found: anonymous by default
    assert report.agency_code and report.verify_due > NOW

    # the reply goes to the same Telegram chat, once, with the tracking ID
    text = preview(report, "received", SETTINGS)
    assert report.tracking_id in text
    sender = ConsoleSender("telegram")
    for _ in range(2):
        send_reply(factory, report_id=report.id, text=text, actor="sari", settings=SETTINGS,
                   now=NOW, sender=sender)  # fmt: skip
    assert len(sender.sent) == 1 and sender.sent[0].recipient == "424242"
    with factory() as s:
        assert s.scalars(select(OutboundMessage)).one().state == "sent"

    # the citizen asks the chatbot for the status on the same chat
    answer = chatbot.respond(factory, platform="telegram", author_id="424242",
                             text=f"cek {report.tracking_id}", settings=SETTINGS, now=NOW)  # fmt: skip
    assert report.tracking_id in answer

    for step in ("verified", "dispatched"):
        transition(factory, report.id, step, actor="sari", note="ok", settings=SETTINGS, now=NOW)
    followup = add_followup(
        factory, report.id, "Lubang di depan SDN 3 sudah kami tambal pada 24 November, "
        "petugas Bina Marga memeriksa ulang drainasenya.", agency_code=report.agency_code,
        author="dinas-pu", now=NOW, settings=SETTINGS,
    )  # fmt: skip
    notice = notify_followup(factory, followup_id=followup.id, actor="sari", settings=SETTINGS,
                             now=NOW, sender=sender)  # fmt: skip
    assert notice.state == "sent" and "sudah kami tambal" in notice.text
    assert sender.sent[-1].recipient == "424242" and len(sender.sent) == 2
    thanks = chatbot.respond(factory, platform="telegram", author_id="424242", text="puas",
                             settings=SETTINGS, now=NOW)  # fmt: skip
    assert thanks
    with factory() as s:
        stored = s.get(Report, report.id)
        assert stored.status == "followed_up" and stored.rating == "puas"
        assert s.scalars(select(Feedback)).one().rating == "puas"
