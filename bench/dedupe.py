"""Dedupe benchmark: group N generated mentions with planted near-duplicates; speed and quality.

    python bench/dedupe.py --count 1000000 [--threshold 0.8] [--num-perm 64] [--seed 1708]

See bench/DEDUPE.md for the figures.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OPENERS = (
    "",
    "",
    "Min,",
    "Pak Gub,",
    "Selamat pagi,",
    "Assalamualaikum, mau lapor.",
    "Mohon perhatian Pak Wali,",
    "Sugeng enjing lur,",
    "@LAPOR1708",
    "Halo admin,",
)
ISSUES = (
    "jalan berlubang besar dan sudah makan korban motor",
    "lampu PJU mati total jadi gelap dan rawan begal",
    "air PDAM keruh, bau kaporit dan kadang tidak mengalir",
    "sampah menumpuk tidak diangkut petugas",
    "bansos PKH belum cair padahal nama kami sudah terdaftar",
    "antrean perekaman e-KTP sangat lama dan petugasnya sering tidak ada",
    "listrik PLN padam berjam-jam tanpa pemberitahuan",
    "gas LPG 3 kg langka dan harganya naik jadi 35 ribu",
    "ada pungli waktu mengurus surat pindah di kelurahan",
    "banjir setinggi lutut setiap hujan deras karena drainase mampet",
    "guru honorer belum menerima gaji selama tiga bulan",
    "pelayanan di puskesmas lambat, pasien menunggu sampai siang",
    "trotoar dipakai parkir liar dan pedagang sampai pejalan kaki turun ke jalan",
    "pohon tumbang menutup jalan dan belum dipotong",
    "pupuk bersubsidi tidak ada di kios padahal musim tanam",
    "jembatan penghubung desa retak dan miring, anak sekolah takut lewat",
    "kabel listrik menjuntai rendah di atas jalan",
    "sinyal internet hilang sehingga siswa tidak bisa ujian daring",
    "bau limbah pabrik menyengat setiap malam",
    "pembangunan saluran air dibiarkan mangkrak dan tanah galian menutup jalan",
)
STREETS = (
    "Darmo", "Ahmad Yani", "Diponegoro", "Sudirman", "Gajah Mada", "Pemuda", "Kartini",
    "Basuki Rahmat", "Raya Kupang", "Ngagel", "Kenjeran", "Mayjen Sungkono", "Veteran",
    "Pahlawan", "Merdeka", "Imam Bonjol", "Hayam Wuruk", "Gatot Subroto", "Panglima Sudirman",
    "Brawijaya", "Kawi", "Soekarno Hatta", "Ijen", "Pandanaran", "Pattimura",
)  # fmt: skip
CITIES = (
    "Surabaya", "Malang", "Sidoarjo", "Semarang", "Bekasi", "Bandung", "Garut", "Bojonegoro",
    "Kediri", "Madiun", "Jember", "Tegal", "Cirebon", "Bogor", "Depok", "Medan", "Makassar",
)  # fmt: skip
LANDMARKS = (
    "pasar", "masjid", "SDN 3", "puskesmas", "kantor kelurahan", "alun-alun", "terminal",
    "stasiun", "gereja", "minimarket", "SMP Negeri 1", "balai desa",
)  # fmt: skip
PLEAS = (
    "Mohon segera ditindaklanjuti.",
    "Tolong dicek ya min.",
    "Sudah lapor berkali-kali belum ada respon.",
    "Warga sangat terganggu.",
    "Kapan diperbaiki?",
    "Terima kasih atas perhatiannya.",
    "Mohon dinas terkait turun ke lapangan.",
    "",
)
NAMES = (
    "Budi", "Siti", "Agus", "Dewi", "Rudi", "Sri", "Joko", "Ani", "Bambang", "Wati", "Eko", "Rina",
    "Hadi", "Yanti", "Slamet", "Nur", "Dian", "Teguh", "Lestari", "Andi", "Putri", "Fajar", "Ayu",
)  # fmt: skip
VILLAGES = (
    "Cempaka Putih", "Sukamaju", "Kedungkandang", "Ngagel Rejo", "Wonokromo", "Tegalsari",
    "Sumbersari", "Karangrejo", "Mulyorejo", "Banyuurip", "Sidomukti", "Tambakrejo", "Pakis",
)  # fmt: skip
DETAILS = (
    "Kemarin sore {name} jatuh di situ dan lukanya dijahit {n} jahitan.",
    "Sudah {n} warga mengeluh tapi belum ada tindakan.",
    "Anak saya umur {n} tahun jadi takut berangkat sekolah.",
    "Saya sudah telepon kantor {office} {n} kali tapi tidak diangkat.",
    "Foto saya ambil jam {h}.{m} tadi pagi.",
    "Kata pak RT laporannya sudah diteruskan ke {office} bulan lalu.",
    "Tetangga saya {name} juga mengalami hal yang sama.",
    "Kalau malam kondisinya lebih parah lagi.",
    "Mohon jangan cuma difoto lalu ditinggal seperti tahun {year}.",
    "Padahal tempat ini dilewati ratusan orang setiap hari.",
    "Warung {name} di situ sampai tutup {n} hari.",
)
OFFICES = ("kelurahan", "kecamatan", "dinas PU", "PDAM", "PLN", "dinas sosial", "puskesmas")
TAGS = ("BeraniLAPOR", "AyokLAPOR", "PelayananPublik", "Viral", "TolongPakGub", "Darurat")
SWAPS = {
    "jalan": "jln", "besar": "gede", "sangat": "banget", "tidak": "nggak", "sudah": "udah",
    "mohon": "tolong", "segera": "cepat", "warga": "masyarakat", "setiap": "tiap",
    "kami": "kita", "padahal": "walaupun", "lama": "lambat",
}  # fmt: skip


def _detail(rng: random.Random) -> str:
    return rng.choice(DETAILS).format(
        name=rng.choice(NAMES),
        n=rng.randint(2, 40),
        h=rng.randint(6, 21),
        m=rng.randint(10, 59),
        office=rng.choice(OFFICES),
        year=rng.randint(2015, 2025),
    )


def _original(rng: random.Random) -> str:
    street, city = rng.choice(STREETS), rng.choice(CITIES)
    where = f"di Jl. {street} RT {rng.randint(1, 15):02d}/RW {rng.randint(1, 12):02d} {city}"
    if rng.random() < 0.5:
        where += f" dekat {rng.choice(LANDMARKS)}"
    since = rng.choice(("sejak {} hari lalu", "sudah {} minggu", "dari tanggal {}", "{} kali"))
    parts = [rng.choice(OPENERS)]
    if rng.random() < 0.4:
        parts.append(f"Saya {rng.choice(NAMES)} warga {rng.choice(VILLAGES)}, mau lapor")
    parts += [f"{rng.choice(ISSUES)} {where},", since.format(rng.randint(2, 30)) + "."]
    parts += [_detail(rng) for _ in range(rng.choice((0, 1, 1, 2)))]
    parts.append(rng.choice(PLEAS))
    if rng.random() < 0.3:
        parts.append(" ".join("#" + t for t in rng.sample(TAGS, rng.randint(1, 2))))
    return " ".join(p for p in parts if p)


def _one_word_changed(rng: random.Random, text: str) -> str:
    words = text.split()
    spots = [i for i, w in enumerate(words) if w.lower() in SWAPS]
    i = rng.choice(spots) if spots else rng.randrange(len(words))
    words[i] = SWAPS.get(words[i].lower(), "sekali")
    return " ".join(words)


def _duplicate(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.45:
        return f"RT @warga_{rng.randrange(50_000)}: {text}"
    if roll < 0.8:
        return _one_word_changed(rng, text)
    return text + " " + " ".join("#" + t for t in rng.sample(TAGS, rng.randint(1, 2)))


def generate(count: int, seed: int, dup_share: float = 0.2) -> tuple[list[str], list[int]]:
    """Return `count` texts and their planted group (the index of the original each copies)."""
    rng = random.Random(seed)
    texts: list[str] = []
    group: list[int] = []
    originals: list[int] = []
    campaigns: list[int] = []
    for n in range(count):
        if originals and rng.random() < dup_share:
            if campaigns and rng.random() < 0.3:  # copy-paste campaigns: a few big groups
                src = rng.choice(campaigns)
            else:  # retweets and copies of a recent mention
                src = originals[-1 - min(int(rng.expovariate(1 / 200)), len(originals) - 1)]
            texts.append(_duplicate(rng, texts[src]))
            group.append(src)
        else:
            texts.append(_original(rng))
            group.append(n)
            originals.append(n)
            if rng.random() < 0.002:
                campaigns.append(n)
    return texts, group


def pair_quality(predicted: list[int], truth: list[int]) -> tuple[float, float, int, int]:
    """Return pairwise (precision, recall, predicted pairs, true pairs) of "same group"."""

    def pairs(counts: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    both = pairs(Counter(zip(predicted, truth, strict=True)))
    pred, true = pairs(Counter(predicted)), pairs(Counter(truth))
    return (both / pred if pred else 1.0), (both / true if true else 1.0), pred, true


def wrong_joins(texts: list[str], predicted: list[int], truth: list[int], threshold: float):
    """Return (texts put in a group planted apart, share of them whose exact 4-gram Jaccard
    with the group's first member reaches `threshold`): how many "errors" are texts that
    really are that alike (template collisions of the generator)."""
    from handler.dedupe import normalize_for_dedupe

    def grams(text: str) -> set[str]:
        norm = normalize_for_dedupe(text)
        return {norm[i : i + 4] for i in range(len(norm) - 3)}

    wrong = [i for i, c in enumerate(predicted) if truth[i] != truth[c]]
    sample = random.Random(0).sample(wrong, min(len(wrong), 2000))
    alike = 0
    for i in sample:
        a, b = grams(texts[i]), grams(texts[predicted[i]])
        alike += len(a & b) >= threshold * len(a | b)
    return len(wrong), (alike / len(sample) if sample else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--num-perm", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1708)
    args = parser.parse_args()

    from handler.dedupe import band_params, group_near_duplicates

    t0 = time.perf_counter()
    texts, truth = generate(args.count, args.seed)
    gen_s = time.perf_counter() - t0
    rss_texts = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    planted = sum(1 for i, g in enumerate(truth) if g != i)
    print(f"generated {len(texts):,} texts ({planted:,} planted duplicates) in {gen_s:.1f} s")

    t0, cpu0 = time.perf_counter(), time.process_time()
    clusters = group_near_duplicates(
        enumerate(texts), threshold=args.threshold, num_perm=args.num_perm
    )
    took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from handler.pii import find_pii

    sample = texts[:100_000]
    cpu0 = time.process_time()
    flagged = sum(1 for text in sample if find_pii(text))
    pii_cpu = time.process_time() - cpu0

    predicted = [clusters[i] for i in range(len(texts))]
    precision, recall, pred_pairs, true_pairs = pair_quality(predicted, truth)
    wrong, alike = wrong_joins(texts, predicted, truth, args.threshold)
    bands, rows = band_params(args.threshold, args.num_perm)
    print(
        f"threshold {args.threshold}, num_perm {args.num_perm}, {bands} bands x {rows} rows\n"
        f"grouped {len(texts):,} texts in {took:.1f} s ({took / 60:.2f} min): "
        f"{len(texts) / took:,.0f} texts/s; CPU time {cpu:.1f} s ({len(texts) / cpu:,.0f} texts/s "
        f"per CPU second: the figure when the core is not shared)\n"
        f"groups: {len(set(predicted)):,} (planted: {len(set(truth)):,})\n"
        f"pairwise precision {precision:.4f}, recall {recall:.4f} "
        f"({pred_pairs:,} predicted pairs, {true_pairs:,} planted pairs)\n"
        f"texts grouped with a group planted apart: {wrong:,}; of a sample, {alike:.0%} have "
        f"exact Jaccard >= {args.threshold} with the group's first text\n"
        f"find_pii over {len(sample):,} of the texts: {len(sample) / pii_cpu:,.0f} texts/s per CPU "
        f"second ({flagged:,} flagged)\n"
        f"peak RSS {peak:,.0f} MB (of which the generated texts: {rss_texts:,.0f} MB)"
    )


if __name__ == "__main__":
    main()
