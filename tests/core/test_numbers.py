"""Indonesian numbers: 1.607 laporan, 42,5%, Rp 1,2 miliar."""

from __future__ import annotations

import pytest

from core.numbers import format_count, format_number, format_percent, format_rupiah


@pytest.mark.parametrize(
    ("value", "shown"),
    [(1607, "1.607"), (1234567, "1.234.567"), (0, "0"), (999, "999"), (-1607, "-1.607")],
)
def test_thousands_are_grouped_with_dots(value: int, shown: str) -> None:
    assert format_number(value) == shown


@pytest.mark.parametrize(
    ("share", "shown"),
    [(0.425, "42,5%"), (0.42, "42%"), (0.4245, "42,5%"), (1.0, "100%"), (0.001, "0,1%")],
)
def test_percentages_use_a_decimal_comma(share: float, shown: str) -> None:
    assert format_percent(share) == shown


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (1_200_000_000, "Rp 1,2 miliar"),
        (350_000_000, "Rp 350 juta"),
        (2_000_000_000_000, "Rp 2 triliun"),
        (999_960_000, "Rp 1 miliar"),
        (950_000, "Rp 950.000"),
    ],
)
def test_budgets_read_as_people_say_them(amount: int, shown: str) -> None:
    assert format_rupiah(amount) == shown


def test_counts_and_decimals() -> None:
    assert format_count(1607, "laporan") == "1.607 laporan"
    assert format_number(1234.56, 1) == "1.234,6"
