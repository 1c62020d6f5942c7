"""Personal data: NIK, phone numbers and emails found with their positions, and masked."""

from __future__ import annotations

import pytest

from handler.pii import PiiMatch, find_pii, mask_pii, summary

VALID_NIK = "3171011708450001"  # Jakarta Pusat, born 17-08-1945 (stdnum's own example)


def found(text: str) -> list[tuple[str, str]]:
    return [(m.type, text[m.start : m.end]) for m in find_pii(text)]


@pytest.mark.parametrize(
    "written",
    [VALID_NIK, "317101 170845 0001", "3171.0117.0845.0001", "3171-0117-0845-0001"],
)
def test_a_valid_nik_is_found_in_its_written_forms(written: str) -> None:
    text = f"Bansos saya belum cair, punya saya {written} tolong dicek"
    assert found(text) == [("nik", written)]


def test_a_16_digit_number_failing_the_nik_checks_is_not_a_nik() -> None:
    # province 99 does not exist; month 13 is no birth date
    assert found("nomor resi 9971011708450001 dan 3171011713450001") == []


@pytest.mark.parametrize("keyword", ["NIK", "NIK:", "No. KK", "KTP no."])
def test_a_16_digit_number_after_a_nik_or_kk_keyword_is_flagged_even_if_invalid(
    keyword: str,
) -> None:
    text = f"{keyword} 1234567890123456 belum terdaftar DTKS"
    assert found(text) == [("nik", "1234567890123456")]


@pytest.mark.parametrize(
    "written", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "0856.1234.5678"]
)
def test_indonesian_phone_numbers_are_found_with_positions(written: str) -> None:
    text = f"Kalau perlu hubungi saya di {written} ya min"
    [match] = find_pii(text)
    assert match == PiiMatch(type="phone", start=28, end=28 + len(written))


@pytest.mark.parametrize(
    "text",
    [
        "Dana Rp 1.500.000 dipotong pungli",
        "uang 1.500.000 rupiah hilang",
        "anggaran Rp 15.000.000.000 tidak jelas",
        "proyek senilai 250.000.000 rupiah mangkrak",
        "kode booking 123456789",
        "telepon call center 1500-123 tidak diangkat",
    ],
)
def test_money_amounts_short_and_service_numbers_are_not_phones(text: str) -> None:
    assert find_pii(text) == []


def test_a_nik_is_not_counted_again_as_a_phone() -> None:
    text = f"NIK {VALID_NIK} HP 081234567890"
    assert found(text) == [("nik", VALID_NIK), ("phone", "081234567890")]


def test_emails_are_found_and_handles_are_not() -> None:
    text = "@LAPOR1708 balas ke budi.santoso+lapor@gmail.co.id atau siti_r@desa-sukamaju.id."
    assert found(text) == [
        ("email", "budi.santoso+lapor@gmail.co.id"),
        ("email", "siti_r@desa-sukamaju.id"),
    ]


def test_masking_replaces_every_kind_with_its_label() -> None:
    text = f"Saya Budi, NIK {VALID_NIK}, WA 0812-3456-7890, email budi@gmail.com. Jalan rusak."
    assert mask_pii(text) == "Saya Budi, NIK [NIK], WA [TELEPON], email [EMAIL]. Jalan rusak."
    matches = find_pii(text)
    assert mask_pii(text, matches) == mask_pii(text)
    assert summary(matches) == {"nik": 1, "phone": 1, "email": 1}


def test_masking_uses_the_matches_it_is_given() -> None:
    text = "telp 0812-3456-7890"
    assert mask_pii(text, [PiiMatch(type="email", start=5, end=19)]) == "telp [EMAIL]"
    assert mask_pii(text, []) == text


def test_text_without_digits_or_at_sign_has_no_personal_data_and_skips_the_matchers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import phonenumbers

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the phone matcher ran on a text without digits")

    monkeypatch.setattr(phonenumbers, "PhoneNumberMatcher", refuse)
    assert find_pii("Jalan di depan pasar rusak parah, mohon segera diperbaiki!") == []
    assert find_pii("") == []
    assert summary([]) == {"nik": 0, "phone": 0, "email": 0}


def test_a_very_long_text_is_handled() -> None:
    text = "jalan rusak " * 4000 + "hubungi 0812-3456-7890"
    assert found(text) == [("phone", "0812-3456-7890")]
