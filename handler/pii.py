"""Personal data in mention text: NIK (stdnum.id.nik), Indonesian phone numbers, emails; masking."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType
from stdnum.id import nik as stdnum_nik

TYPES = ("nik", "phone", "email")
LABELS = {"nik": "[NIK]", "phone": "[TELEPON]", "email": "[EMAIL]"}
MIN_PHONE_DIGITS = 9  # 08xx numbers have 10-13 digits, Jakarta fixed lines 9-10 with 021

_HAS_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w\-])"
)
# 16 digits: plain, 6-6-4 (region, birth date, serial) or 4-4-4-4, with one kind of separator.
# The look-behind sits after the first digit so the regex engine can skip to digits quickly.
_NIK = re.compile(
    r"\d(?<![\d.\-]\d)\d{3}(?:\d{12}|\d{2}([ .\-])\d{6}\1\d{4}|([ .\-])\d{4}\2\d{4}\2\d{4})(?!\d)"
)
# a keyword says the number is a NIK or a KK number, whatever its checks say
_NIK_KEYWORD = re.compile(
    r"\b(?:nik|e-?ktp|ktp|no(?:mor|\.)?\s*kk|kk|nkk)\b\s*(?:no(?:mor|\.)?\s*)?[:.\-=]?\s*$",
    re.IGNORECASE,
)
# a phone number starts with 0, 62 or +62 (optionally in brackets) and has 9+ digits; the
# first regex is a quick superset, the second says whether the phonenumbers matcher runs
_PHONE_GATE = re.compile(r"[+(0-9][\d\s().\-]{8,}")
_PHONE_HINT = re.compile(r"(?<![\d])(?:\+\s?62|62|\(?0)[\d\s().\-]{7,}")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_LOCAL_TAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}\Z")
_MONEY_BEFORE = re.compile(r"(?:\brp|\bidr|\$)\s*\.?\s*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(
    r"^\s*(?:,-|,00|rupiah\b|ribu\b|juta\b|miliar\b|rb\b|jt\b|k\b)", re.IGNORECASE
)
_THOUSANDS = re.compile(r"^[1-9]\d{0,2}(?:[.,]\d{3})+$")
# service numbers (call centres 1500-xxx, 0800 toll-free) are not anyone's personal data
_SERVICE_TYPES = {
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.UAN,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PiiMatch:
    """Personal data found in a text: its type ("nik", "phone", "email") and span [start, end)."""

    type: str
    start: int
    end: int


def find_pii(text: str) -> list[PiiMatch]:
    """Return the personal data in `text`, sorted by start, spans not overlapping.

    A NIK is a 16-digit number (also written 6-6-4 or 4-4-4-4) that passes stdnum's region
    and birth-date checks, or any 16-digit number right after "NIK", "KTP" or "No. KK". Phone
    numbers are Indonesian numbers phonenumbers finds valid (region ID), with 9+ digits, not a
    money amount, a NIK or a service number. Most texts have no digit and no '@': they cost
    two scans.
    """
    if not text:
        return []
    has_digit = _HAS_DIGIT.search(text) is not None
    has_at = "@" in text
    if not has_digit and not has_at:
        return []
    found: list[PiiMatch] = []
    if has_at:
        found.extend(_emails(text))
    if has_digit:
        found.extend(_niks(text))
        gate = _PHONE_GATE.search(text)
        if gate and _PHONE_HINT.search(text, max(0, gate.start() - 1)):
            found.extend(_phones(text))
    return _without_overlaps(found)


def _emails(text: str) -> list[PiiMatch]:
    # from each '@' with an address character before it: most '@' in posts start a handle
    out: list[PiiMatch] = []
    at = text.find("@")
    while at != -1:
        if at and text[at - 1] in _LOCAL_CHARS:
            local = _LOCAL_TAIL.search(text, max(0, at - 64), at)
            email = _EMAIL.match(text, local.start()) if local else None
            if email and email.end() > at:
                out.append(PiiMatch(type="email", start=email.start(), end=email.end()))
                at = text.find("@", email.end())
                continue
        at = text.find("@", at + 1)
    return out


def _niks(text: str) -> list[PiiMatch]:
    out = []
    for m in _NIK.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if stdnum_nik.is_valid(digits) or _NIK_KEYWORD.search(
            text, max(0, m.start() - 20), m.start()
        ):
            out.append(PiiMatch(type="nik", start=m.start(), end=m.end()))
    return out


def _phones(text: str) -> list[PiiMatch]:
    out = []
    for m in phonenumbers.PhoneNumberMatcher(text, "ID"):
        raw = m.raw_string
        if sum(c.isdigit() for c in raw) < MIN_PHONE_DIGITS or _is_money(text, m.start, m.end):
            continue
        if phonenumbers.number_type(m.number) in _SERVICE_TYPES:
            continue
        out.append(PiiMatch(type="phone", start=m.start, end=m.end))
    return out


def _is_money(text: str, start: int, end: int) -> bool:
    if _THOUSANDS.match(text[start:end]):
        return True
    return bool(
        _MONEY_BEFORE.search(text, max(0, start - 6), start)
        or _MONEY_AFTER.match(text[end : end + 12])
    )


def _without_overlaps(found: list[PiiMatch]) -> list[PiiMatch]:
    # emails, then NIKs, then phones win a disputed span (a NIK is never also a phone)
    kept: list[PiiMatch] = []
    for match in sorted(found, key=lambda p: (_PRIORITY[p.type], p.start)):
        if all(match.end <= k.start or match.start >= k.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda p: p.start)


_PRIORITY = {"email": 0, "nik": 1, "phone": 2}


def mask_pii(text: str, matches: Sequence[PiiMatch] | None = None) -> str:
    """Return `text` with each personal-data span replaced by "[NIK]", "[TELEPON]" or
    "[EMAIL]"; `matches` defaults to find_pii(text)."""
    if matches is None:
        matches = find_pii(text)
    parts: list[str] = []
    pos = 0
    for match in sorted(matches, key=lambda p: p.start):
        if match.start < pos:  # overlapping spans passed in: the earlier one already covers it
            continue
        parts.append(text[pos : match.start])
        parts.append(LABELS[match.type])
        pos = match.end
    parts.append(text[pos:])
    return "".join(parts)


def summary(matches: Sequence[PiiMatch]) -> dict[str, int]:
    """Return how many matches there are of each type: {"nik": n, "phone": n, "email": n}."""
    counts = dict.fromkeys(TYPES, 0)
    for match in matches:
        counts[match.type] += 1
    return counts
