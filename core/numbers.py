"""Indonesian number formatting: 1.607 laporan, 42,5%, Rp 1,2 miliar."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Indonesian groups thousands with '.' and writes decimals after ','.
_MILLION = Decimal(10) ** 6
_SCALES = ((Decimal(10) ** 12, "triliun"), (Decimal(10) ** 9, "miliar"), (_MILLION, "juta"))


def _round(value: Decimal, decimals: int) -> Decimal:
    # Decimal half-up, so 42.45% shows as 42,5% as a person rounds it, not banker's 42,4%.
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def format_number(value: int | float | Decimal, decimals: int = 0, *, trim: bool = True) -> str:
    """Return `value` in Indonesian notation: 1607 -> "1.607", 1234.5 (1 decimal) -> "1.234,5".

    `decimals` digits are kept after the comma; with `trim`, trailing zeros (and a bare comma)
    are dropped, so 42.0 shows as "42". Raises ValueError for NaN or infinity.
    """
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"cannot format {value!r} as a number")
    rounded = _round(number, decimals)
    sign = "-" if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    groups = f"{int(whole):,}".replace(",", ".")
    if trim:
        frac = frac.rstrip("0")
    return f"{sign}{groups},{frac}" if frac else f"{sign}{groups}"


def format_percent(share: float, decimals: int = 1) -> str:
    """Return a share in [0, 1] as an Indonesian percentage: 0.425 -> "42,5%", 0.42 -> "42%"."""
    return f"{format_number(Decimal(str(share)) * 100, decimals)}%"


def format_rupiah(amount: int | float | Decimal, decimals: int = 1) -> str:
    """Return an amount of rupiah as people say it: "Rp 1,2 miliar", "Rp 350 juta", "Rp 75.000".

    Amounts of a million and more use juta / miliar / triliun with `decimals` digits at most.
    """
    number = Decimal(str(amount)) if isinstance(amount, float) else Decimal(amount)
    for size, word in _SCALES:
        # Rounded first, so 999.960.000 reads "Rp 1 miliar" and not "Rp 1.000 juta"; below a
        # million the exact amount is short enough ("Rp 950.000", never "Rp 1 juta").
        near = abs(number) >= _MILLION and abs(_round(number / size, decimals)) >= 1
        if abs(number) >= size or near:
            return f"Rp {format_number(number / size, decimals)} {word}"
    return f"Rp {format_number(number)}"


def format_count(count: int, unit: str = "") -> str:
    """Return a count with its unit: (1607, "laporan") -> "1.607 laporan"."""
    text = format_number(count)
    return f"{text} {unit}".strip()
