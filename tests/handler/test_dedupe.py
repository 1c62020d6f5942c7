"""Near-duplicates: retweets and copy-paste campaigns grouped, different complaints kept apart."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash

from handler.dedupe import (
    NearDuplicateIndex,
    _Signer,
    group_near_duplicates,
    normalize_for_dedupe,
)

ORIGINAL = (
    "Jalan berlubang besar di Jl. Darmo Surabaya depan SDN 3, sudah makan korban motor "
    "dua kali minggu ini. Mohon segera diperbaiki @LAPOR1708 @pemkotsurabaya"
)
CAMPAIGN = (
    "Tolak tambang pasir ilegal di Desa Sukamaju! Sungai kami rusak, sawah kering dan jalan "
    "desa hancur dilewati truk. Pemkab Garut harus segera bertindak #SaveSukamaju"
)


def test_a_retweet_joins_its_original() -> None:
    index = NearDuplicateIndex()
    assert index.add(10, ORIGINAL) == 10
    assert index.add(11, f"RT @warga_sby: {ORIGINAL} https://t.co/AbC123") == 10


def test_copy_paste_with_one_word_changed_or_hashtags_added_joins_the_campaign() -> None:
    clusters = group_near_duplicates(
        [
            (1, CAMPAIGN),
            (2, CAMPAIGN.replace("hancur", "rusak parah")),
            (3, CAMPAIGN.replace("Sungai", "Kali") + " #TolakTambang #Garut"),
            (4, "@bupatigarut " + CAMPAIGN.replace("ilegal", "liar")),
        ]
    )
    assert clusters == {1: 1, 2: 1, 3: 1, 4: 1}


def test_different_complaints_about_the_same_street_stay_apart() -> None:
    clusters = group_near_duplicates(
        [
            (1, ORIGINAL),
            (2, "Lampu PJU di Jl. Darmo Surabaya depan SDN 3 mati sudah dua minggu, gelap dan "
                "rawan begal. Mohon segera diperbaiki @LAPOR1708"),
            (3, "Sampah menumpuk di Jl. Darmo Surabaya depan SDN 3 tidak diangkut seminggu, "
                "baunya sampai ke kelas. Mohon segera ditindaklanjuti @LAPOR1708"),
        ]
    )  # fmt: skip
    assert clusters == {1: 1, 2: 2, 3: 3}


def test_short_texts_group_only_when_their_normalised_text_is_equal() -> None:
    clusters = group_near_duplicates(
        [
            (1, "Jalan rusak!!"),
            (2, "RT @budi: jalan RUSAK"),
            (3, "jalan rusakkk 🙏"),
            (4, "jalan rusak parah"),
            (5, "lampu mati"),
            (6, "https://t.co/x"),
            (7, "https://t.co/y"),
        ]
    )
    assert clusters == {1: 1, 2: 1, 3: 1, 4: 4, 5: 5, 6: 6, 7: 7}


def test_the_cluster_id_is_the_first_key_of_the_group_and_adding_again_keeps_it() -> None:
    index = NearDuplicateIndex()
    assert index.add(500, CAMPAIGN) == 500
    assert index.add(20, CAMPAIGN + " #SaveSukamaju") == 500  # key order does not matter
    assert index.add(30, ORIGINAL) == 30
    assert index.add(20, ORIGINAL) == 500  # a key already added keeps its group
    assert len(index) == 3


def test_a_text_matching_two_groups_joins_the_oldest() -> None:
    common = (
        "warga desa sukamaju kecamatan cibalong kabupaten garut menolak tambang pasir ilegal di "
        "sungai cikaso karena sejak tahun lalu truk pengangkut pasir merusak jalan desa dan air "
        "sungai jadi keruh sekali sehingga petani tidak bisa mengairi sawah dan anak anak tidak "
        "bisa mandi di sungai seperti dulu lagi"
    )
    left = common + (
        " kami sudah mengadu ke kepala desa dan camat berkali kali tapi sampai hari ini tidak ada "
        "hasil apapun"
    )
    right = common + (
        " mohon dinas lingkungan hidup dan dinas esdm provinsi segera turun ke lapangan memeriksa "
        "izin tambang"
    )
    index = NearDuplicateIndex(threshold=0.7)  # left~right 0.63; both~left+right 0.80
    assert index.add(1, left) == 1
    assert index.add(2, right) == 2
    assert index.add(3, left + right[len(common) :]) == 1


def test_grouping_is_deterministic_and_the_same_in_batches_as_one_by_one() -> None:
    items = [(i, f"{ORIGINAL} nomor {i % 7}") for i in range(60)]
    items += [(100 + i, f"keluhan nomor {i} soal {w} di kelurahan {i * 7}") for i, w in
              enumerate(["air", "listrik", "sampah", "jalan", "bansos", "sekolah"] * 3)]  # fmt: skip
    first = group_near_duplicates(items)
    assert first == group_near_duplicates(items)
    index = NearDuplicateIndex()
    assert {key: index.add(key, text) for key, text in items} == first
    assert set(first[k] for k, _ in items[:60]) == {0}


def test_signatures_equal_datasketch_minhash_over_the_same_shingles() -> None:
    texts = [normalize_for_dedupe(t).encode() for t in (ORIGINAL, CAMPAIGN, "ÉÉ ñandú 北京 abc")]
    signer = _Signer(64)
    for text, signature in zip(texts, signer.sign(texts), strict=True):
        reference = MinHash(num_perm=64, hashfunc=lambda v: v)
        reference.update_batch([int(v) for v in signer.shingles(text)])
        assert np.array_equal(reference.hashvalues, signature)


def test_normalisation_drops_what_copies_do_not_share() -> None:
    assert normalize_for_dedupe(
        "RT @a_b: RT @c: Tolooong!!! jalan RUSAK https://t.co/x @LAPOR1708 #BeraniLAPOR"
    ) == ("tolong jalan rusak beranilapor")
