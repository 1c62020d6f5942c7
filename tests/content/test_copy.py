"""Copy checks per platform: golden campaign posts, limits at their boundaries, messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from content.copy import NAMES, check, check_all, gate
from core.errors import InputError
from core.outreach import PUBLISH_CHANNELS

GOLDEN = yaml.safe_load(
    (Path(__file__).parents[1] / "fixtures" / "copy" / "golden.yaml").read_text(encoding="utf-8")
)
URL = "https://www.lapor.go.id"  # 23 characters: counts the same on every channel


def codes(result) -> list[str]:
    return sorted(issue.code for issue in result.issues)


@pytest.mark.parametrize(
    ("case", "channel"),
    [(case, channel) for case in GOLDEN for channel in case["expect"]],
    ids=[f"{case['name']}-{channel}" for case in GOLDEN for channel in case["expect"]],
)
def test_golden(case, channel):
    result = check(
        case["text"], channel, hashtags=case["hashtags"], has_media=case.get("has_media", False)
    )
    assert result.length == case["expect"][channel]["length"]
    assert codes(result) == sorted(case["expect"][channel]["codes"])


def test_every_publish_channel_has_rules():
    assert set(NAMES) == set(PUBLISH_CHANNELS)


# --- X ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("a" * 280, True),
        ("a" * 281, False),
        ("日" * 140, True),  # CJK weighs 2
        ("日" * 140 + "a", False),
        ("😀" * 140, True),  # so does an emoji, whatever its code points
        ("👨‍👩‍👧" * 140 + "a", False),
    ],
)
def test_x_limit_is_280_weighted(text, ok):
    result = check(text, "x")
    assert result.ok is ok
    assert ("too_long" in codes(result)) is not ok
    assert result.limit == 280


@pytest.mark.parametrize(
    "url",
    ["lapor.go.id", URL, "https://www.lapor.go.id/instansi/" + "dinas-kesehatan-" * 12 + "jatim"],
)
def test_x_counts_every_url_as_23(url):
    exactly = check("a" * 256 + " " + url, "x")
    over = check("a" * 257 + " " + url, "x")
    assert (exactly.length, exactly.ok, exactly.remaining) == (280, True, 0)
    assert (over.length, over.ok, over.remaining) == (281, False, -1)


def test_x_too_long_message_says_how_much_to_cut():
    result = check("a" * 288 + " " + URL + "/pengaduan", "x")
    assert result.errors[0].message == (
        "Teks untuk X terlalu panjang: 312 dari 280 karakter (tautan dihitung 23 karakter). "
        "Pendekkan 32 karakter."
    )


def test_x_too_long_message_explains_emoji_weight():
    message = check("Ayo lapor 🙌" * 30, "x").errors[0].message
    assert "emoji" in message and "dihitung 2" in message


def test_x_media_changes_nothing():
    text = "a" * 280
    assert check(text, "x", has_media=True) == check(text, "x")


@pytest.mark.parametrize(("count", "warned"), [(3, False), (4, True)])
def test_x_warns_past_three_hashtags(count, warned):
    tags = ["BeraniLAPOR", "AyoKenalLAPOR", "GerakanSadarLAPOR", "AyokLAPOR"][:count]
    text = " ".join("#" + t for t in tags) + " " + URL
    result = check(text, "x")
    assert ("too_many_hashtags" in codes(result)) is warned
    assert "too_many_hashtags" not in codes(check(text, "facebook"))


@pytest.mark.parametrize(("count", "warned"), [(5, False), (6, True)])
def test_x_warns_past_five_mentions(count, warned):
    handles = ["KemenPANRB", "OmbudsmanRI137", "KSPgoid", "LAPOR1708", "Kemendagri", "KemensosRI"]
    text = " ".join("@" + h for h in handles[:count]) + " " + URL
    result = check(text, "x")
    assert result.mentions == tuple(handles[:count])
    assert ("too_many_mentions" in codes(result)) is warned


def test_x_mentions_follow_handle_rules():
    text = f"Halo @LAPOR1708 @lapor_1708_official @kemen.panrb, surel pengaduan@lapor.go.id {URL}"
    result = check(text, "x")
    assert result.mentions == ("LAPOR1708", "lapor_1708_official", "kemen")
    messages = [i.message for i in result.issues if i.code == "invalid_mention"]
    assert len(messages) == 2
    assert "@lapor_1708_official" in messages[0] and "15" in messages[0]
    assert "@kemen.panrb" in messages[1] and "hanya @kemen." in messages[1]
    assert "invalid_mention" not in codes(check(text, "telegram"))


def test_x_refuses_invisible_characters():
    result = check(f"Ayo\ufeff lapor di {URL}", "x")
    assert [i.code for i in result.errors] == ["invalid_characters"]
    assert check(f"Ayo\ufeff lapor di {URL}", "facebook").ok


# --- Facebook and Telegram --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("a" * 63_206, 63_206),
        ("a" * 63_207, 63_207),
        ("😀" * 31_603, 63_206),  # counted in UTF-16 code units: 2 per emoji
        ("😀" * 31_603 + "a", 63_207),
    ],
)
def test_facebook_hard_limit(text, length):
    result = check(text, "facebook")
    assert (result.length, result.limit) == (length, 63_206)
    assert result.ok is (length <= 63_206)
    assert ("too_long" in codes(result)) is (length > 63_206)


def test_facebook_hard_limit_message():
    message = check("a" * 63_300, "facebook").errors[0].message
    assert message == (
        "Teks untuk Facebook terlalu panjang: 63.300 dari 63.206 karakter. Pendekkan 94 karakter."
    )


@pytest.mark.parametrize(("length", "warned"), [(477, False), (478, True)])
def test_facebook_warns_past_the_feed_fold(length, warned):
    result = check(URL + " " + "a" * (length - 24), "facebook")
    assert result.length == length
    assert result.ok
    warnings = [i.message for i in result.issues if i.code == "feed_truncated"]
    assert bool(warnings) is warned
    if warned:
        assert "Lihat selengkapnya" in warnings[0]


@pytest.mark.parametrize(
    ("text", "has_media", "ok"),
    [
        ("a" * 1024, True, True),
        ("a" * 1025, True, False),
        ("a" * 1025, False, True),
        ("a" * 4096, False, True),
        ("a" * 4097, False, False),
        ("😀" * 1024, True, True),  # code points, not UTF-16 units (that would be 2048)
        ("😀" * 4096, False, True),
        ("\n" + "a" * 1024 + "  \n", True, True),  # Telegram trims surrounding whitespace
    ],
)
def test_telegram_text_and_caption_limits(text, has_media, ok):
    result = check(text, "telegram", has_media=has_media)
    assert result.ok is ok
    assert result.limit == (1024 if has_media else 4096)


def test_telegram_caption_message():
    message = check("a" * 1030, "telegram", has_media=True).errors[0].message
    assert message.startswith(
        "Keterangan foto untuk Telegram terlalu panjang: 1.030 dari 1.024 karakter. Pendekkan 6"
    )


# --- every channel -----------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["x", "facebook", "telegram"])
@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_blocks(channel, text):
    result = check(text, channel, hashtags=["BeraniLAPOR"])
    assert [i.code for i in result.issues] == ["empty"]
    assert not result.ok


def test_unknown_channel_is_refused():
    with pytest.raises(InputError, match="instagram"):
        check("Ayo lapor", "instagram")
    with pytest.raises(InputError):
        check_all({"x": "Ayo lapor", "tiktok": "Ayo lapor"})


def test_channel_name_is_case_insensitive():
    assert check(f"Ayo lapor {URL}", " X ").channel == "x"


def test_a_post_without_any_campaign_hashtag_is_told_which_to_add():
    result = check(f"Ayo lapor {URL}", "x", hashtags=["#BeraniLAPOR", "AyoKenalLAPOR"])
    assert [i.message for i in result.issues] == [
        "Belum ada tagar kampanye di teks untuk X. Tambahkan #BeraniLAPOR atau #AyoKenalLAPOR."
    ]
    # one of the campaign's hashtags is enough (case does not matter)
    both = ["#BeraniLAPOR", "AyoKenalLAPOR"]
    assert not check(f"Ayo #beranilapor {URL}", "x", hashtags=both).issues


@pytest.mark.parametrize(
    ("text", "linked", "shown"),
    [
        ("Jadilah warga yang #Berani-LAPOR", ("Berani",), "yang menjadi tagar hanya #Berani."),
        ("Tahun #2026 tahun melapor", (), "#2026 tidak menjadi tagar"),
        ("Ayo # BeraniLAPOR", (), "Tulis #BeraniLAPOR."),
        ("Ayo#BeraniLAPOR", (), "menempel pada kata sebelumnya"),
        ("#BeraniLAPOR#AyokLAPOR", (), "berdempetan"),
    ],
)
def test_malformed_hashtags_say_what_the_platform_links(text, linked, shown):
    for channel in NAMES:
        result = check(f"{text} {URL}", channel)
        assert result.hashtags == linked
        [issue] = result.issues
        assert (issue.level, issue.code) == ("warning", "malformed_hashtag")
        assert shown in issue.message


def test_hashtag_lookalikes_that_are_fine():
    text = f"Tekan #️⃣ lalu 1708. FAQ: {URL}/#faq. C# dan &#39; bukan tagar. #BeraniLAPOR."
    result = check(text, "x")
    assert result.hashtags == ("BeraniLAPOR",)
    assert not result.issues


def test_links():
    text = (
        "Info http://lapor.go.id/faq, bit.ly/LaporMudik, s.id/survei, https//lapor.go.id "
        "dan https://lapor.go.id.example.com/masuk"
    )
    result = check(text, "telegram")
    assert result.links == (
        "http://lapor.go.id/faq",
        "bit.ly/LaporMudik",
        "s.id/survei",
        "https://lapor.go.id.example.com/masuk",
    )
    by_code = {}
    for issue in result.issues:
        by_code.setdefault(issue.code, []).append(issue.message)
    assert "Ganti dengan https://lapor.go.id/faq." in by_code["insecure_link"][0]
    assert len(by_code["shortened_link"]) == 2
    assert by_code["malformed_link"] == [
        'Tautan "https//lapor.go.id" di teks untuk Telegram salah tulis: tidak akan menjadi '
        "tautan. Periksa penulisannya, misalnya https://www.lapor.go.id."
    ]
    # The http link does lead to lapor.go.id, so no call-to-action hint.
    assert "no_lapor_link" not in by_code
    lookalike = check("Masuk ke https://lapor.go.id.example.com/masuk", "telegram")
    assert codes(lookalike) == ["no_lapor_link"]
    assert lookalike.issues[0].level == "info"


@pytest.mark.parametrize(
    "placeholder", ["{tracking_id}", "{{nama}}", "[LINK]", "[tautan pendaftaran]", "<nama instansi>",
                    "TODO", "xxx", "Rp XXX", "FIXME"],
)  # fmt: skip
def test_placeholders_block(placeholder):
    result = check(f"Laporan {placeholder} diteruskan. {URL}", "facebook")
    assert [i.code for i in result.errors] == ["placeholder"]
    assert placeholder.removeprefix("Rp ") in result.errors[0].message


def test_bracketed_labels_are_not_placeholders():
    assert check(f"[INFO] [PENGUMUMAN] Layanan LAPOR! tetap buka. {URL}", "x").ok


def test_issues_are_ordered_errors_first():
    text = "Laporan {tracking_id} #Berani-LAPOR http://bit.ly/x " + "a" * 300
    levels = [i.level for i in check(text, "x", hashtags=["AyokLAPOR"]).issues]
    assert levels == sorted(levels, key=["error", "warning", "info"].index)
    assert levels[0] == "error" and levels[-1] == "info"


def test_check_all_and_gate():
    same = f"Ayo #BeraniLAPOR, laporkan di {URL}"
    checks = check_all({"x": same, "facebook": same, "telegram": same}, hashtags=["BeraniLAPOR"])
    assert {ch: c.ok and not c.issues for ch, c in checks.items()} == {
        "x": True,
        "facebook": True,
        "telegram": True,
    }
    versions = {"x": same + " " + "a" * 241, "facebook": "Ayo lapor", "telegram": ""}
    blocking = gate(versions, ["BeraniLAPOR"], True)
    assert blocking == [
        "Teks untuk X terlalu panjang: 295 dari 280 karakter (tautan dihitung 23 karakter). "
        "Pendekkan 15 karakter.",
        "Teks untuk Telegram kosong. Tulis isi unggahan sebelum menjadwalkan.",
    ]
    assert gate({"facebook": "Ayo lapor"}, ["BeraniLAPOR"], False) == []
