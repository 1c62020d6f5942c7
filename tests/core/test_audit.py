"""The audit log: entries commit with the change they describe, and read back oldest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.audit import history, record
from core.db import transaction

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_history_is_oldest_first_with_values_as_json(factory):
    with transaction(factory) as s:
        record(s, entity="report", entity_id=7, action="transition", actor="sari",
               at=NOW + timedelta(minutes=1), before={"status": "draft"},
               after={"status": "submitted", "due": NOW + timedelta(days=3)},
               note="lengkap")  # fmt: skip
        record(s, entity="report", entity_id=7, action="create", actor="sari", at=NOW,
               before={}, after={"status": "draft", "lead_ids": (3, 4)})  # fmt: skip
        record(s, entity="lead", entity_id=7, action="claim", actor="budi", at=NOW,
               before={}, after={})  # fmt: skip
    with transaction(factory) as s:
        entries = history(s, "report", 7)
    assert [(e.action, e.actor, e.at) for e in entries] == [
        ("create", "sari", NOW), ("transition", "sari", NOW + timedelta(minutes=1)),
    ]  # fmt: skip
    assert entries[0].after == {"status": "draft", "lead_ids": [3, 4]}
    assert entries[1].after == {"status": "submitted", "due": "2026-11-26T03:00:00+00:00"}
    assert entries[1].before == {"status": "draft"} and entries[1].note == "lengkap"


def test_an_entry_rolls_back_with_its_transaction(factory):
    with pytest.raises(RuntimeError), transaction(factory) as s:
        record(s, entity="lead", entity_id=1, action="claim", actor="sari", at=NOW,
               before={}, after={"state": "claimed"})  # fmt: skip
        raise RuntimeError("the change failed")
    with transaction(factory) as s:
        assert history(s, "lead", 1) == []
