"""The report lifecycle: allowed steps, refused steps with the next steps named, reasons."""

from __future__ import annotations

import pytest

from core.errors import InputError
from handler import lifecycle

HAPPY_PATH = [
    "draft",
    "submitted",
    "verified",
    "dispatched",
    "followed_up",
    "completed",
    "archived",
]


def test_the_happy_path_is_allowed_step_by_step() -> None:
    for before, after in zip(HAPPY_PATH, HAPPY_PATH[1:], strict=False):
        lifecycle.check(before, after)


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        ("submitted", "rejected", "Laporan tidak jelas dan tanpa lokasi"),
        ("verified", "rejected", "duplikat dari LPR-2026-000001"),
        ("submitted", "not_authorised", "Kewenangan PLN (BUMN), bukan pemkot"),
        ("dispatched", "not_authorised", "Jalan nasional: wewenang BBPJN"),
        ("followed_up", "closed", None),
        ("followed_up", "dispatched", "Pelapor: lubang belum ditambal"),
        ("rejected", "archived", None),
        ("not_authorised", "archived", None),
        ("closed", "archived", None),
    ],
)
def test_side_exits_are_allowed(before: str, after: str, reason: str | None) -> None:
    lifecycle.check(before, after, reason)


def test_a_skipped_step_is_refused_with_the_next_steps() -> None:
    with pytest.raises(InputError) as err:
        lifecycle.check("draft", "completed")
    assert str(err.value) == "A report cannot go from draft to completed; next steps: submitted."


def test_archived_is_final() -> None:
    with pytest.raises(InputError, match="next steps: none \\(archived is final\\)"):
        lifecycle.check("archived", "submitted")


@pytest.mark.parametrize(
    ("before", "after"),
    [("submitted", "rejected"), ("verified", "not_authorised"), ("followed_up", "dispatched")],
)
def test_rejection_bukan_wewenang_and_sending_back_need_a_note(before: str, after: str) -> None:
    with pytest.raises(InputError, match="needs a note"):
        lifecycle.check(before, after, "  ")


@pytest.mark.parametrize(
    ("before", "after"),
    [("completed", "dispatched"), ("dispatched", "rejected"), ("draft", "rejected")],
)
def test_steps_outside_the_table_are_refused(before: str, after: str) -> None:
    with pytest.raises(InputError, match=f"cannot go from {before} to {after}"):
        lifecycle.check(before, after, "a reason")


def test_an_unknown_status_is_named() -> None:
    with pytest.raises(InputError, match="'selesai' is not a report status"):
        lifecycle.check("followed_up", "selesai")
