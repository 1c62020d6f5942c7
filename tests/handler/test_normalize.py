"""Normalisation of informal Indonesian and the cheap language guess."""

from __future__ import annotations

import pytest

from handler.normalize import MAX_CHARS, detect_language, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tolonggg min, jalan rusak parahhh", "tolong min jalan rusak parah"),
        ("mhn KK sy blm jadi2 smp skrg", "mohon kk saya belum jadi jadi smp sekarang"),
        ("anak2 sdh 3x ke kel tdk dilayani", "anak anak sudah 3x ke kelurahan tidak dilayani"),
        ("Lihat https://t.co/AbC123 dan www.lapor.go.id ya", "lihat url dan url ya"),
        ("@pemkot_sby @LAPOR1708 lampu PJU mati", "user user lampu pju mati"),
        ("Jalan berlubang 😡😡🙏 !!! #BeraniLAPOR", "jalan berlubang beranilapor"),
        ("NIK 3578012345678901 blm aktif", "nik 0 belum aktif"),
        ("", ""),
    ],
)
def test_normalize_cases(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_domain_abbreviations_survive_the_slang_lexicon() -> None:
    # the slang lexicon maps kk -> kakak, smp -> sampai, pkk -> pakai: not for us
    assert normalize("KK, SMP, SMA, TK, PKK, RT, RW").split() == [
        "kk",
        "smp",
        "sma",
        "tk",
        "pkk",
        "rt",
        "rw",
    ]


def test_a_huge_text_costs_what_its_first_5000_characters_cost() -> None:
    huge = "jalan rusak " * 5_000  # 60,000 characters
    assert normalize(huge) == normalize(huge[:MAX_CHARS])
    assert len(normalize(huge)) <= MAX_CHARS


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Min, lampu jalan di gang kami mati sudah seminggu", "id"),
        ("pohon tumbang", "id"),
        ("sdh lapor ke kelurahan tp gk ada respon", "id"),
        ("Please fix the street light, it has been broken for days", "en"),
        ("مرحبا، الشارع مكسور منذ أسبوع", "other"),
        ("路灯坏了一个星期", "other"),
        ("😡😡😡", "other"),
        ("", "other"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang
