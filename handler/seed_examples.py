"""Compose the team-written seed examples (handler/seed/*.yaml) into handler/seed/examples.csv.

python -m handler.seed_examples        # rewrites handler/seed/examples.csv (deterministic)
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SEED_DIR = Path(__file__).resolve().parent / "seed"
EXAMPLES = SEED_DIR / "examples.csv"
WRITTEN_BY = "lapor-social team"
RANDOM_SEED = 1708
# Examples per sector: more for the sectors citizens write about most (a prior, not a quota).
PER_SECTOR = {
    "infrastruktur": 1000,
    "sosial": 650,
    "lingkungan": 650,
    "lainnya": 550,
    "kependudukan": 550,
    "kesehatan": 450,
    "pendidikan": 450,
    "ekonomi_industri": 300,
    "keuangan_aset": 280,
    "energi": 280,
    "bencana": 150,
    "kepegawaian": 120,
    "pariwisata_budaya": 130,
    "pertanian": 120,
}
PER_NOISE_TYPE = 260
KIND_SHARES = (("pengaduan", 0.6), ("aspirasi", 0.2), ("permintaan_informasi", 0.2))
COLUMNS = ("text", "is_lead", "kind", "sector", "written_by")


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """One seed example: the text and its labels (kind and sector empty for a non-lead)."""

    text: str
    is_lead: bool
    kind: str
    sector: str


def load_vocab() -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the parsed vocab.yaml and styles.yaml."""
    vocab = yaml.safe_load((SEED_DIR / "vocab.yaml").read_text(encoding="utf-8"))
    styles = yaml.safe_load((SEED_DIR / "styles.yaml").read_text(encoding="utf-8"))
    return vocab, styles


class _Writer:
    """Builds texts from the fillers with one seeded random generator."""

    def __init__(self, styles: dict[str, Any], rng: random.Random) -> None:
        self.s = styles
        self.rng = rng

    def pick(self, key: str) -> str:
        return str(self.rng.choice(self.s[key]))

    def lokasi(self) -> str:
        r = self.rng
        forms = (
            lambda: f"Jl. {self.pick('jalan_nama')}",
            lambda: (
                f"jalan {self.pick('jalan_nama')} {r.choice(['gang', 'no.', 'blok'])} {r.randint(1, 40)}"
            ),
            lambda: f"RT {r.randint(1, 15):02d} RW {r.randint(1, 12):02d} {self._wil()}",
            lambda: f"{self._wil()} kecamatan {self.pick('wilayah_nama')}",
            lambda: f"{self.pick('tempat')} {self._wil()}",
            lambda: (
                f"perumahan {self.pick('wilayah_nama')} {r.choice(['Indah', 'Asri', 'Permai', 'Regency'])}"
            ),
            lambda: f"desa {self.pick('wilayah_nama')} kabupaten {self.pick('kota')}",
            lambda: f"{self.pick('tempat')} Jl. {self.pick('jalan_nama')} {self.pick('kota')}",
        )
        return r.choice(forms)()

    def detail(self, template: str | None = None) -> str:
        """Return `template` (default: one of styles' `detail`) with invented numbers filled in."""
        r = self.rng

        def digits(n: int) -> str:
            return "".join(str(r.randint(0, 9)) for _ in range(n))

        def nik() -> str:
            head = r.choice(["3578", "3515", "3273", "3174", "6471", "7371", "1271", "5171"])
            return head + (digits(12) if r.random() < 0.75 else "x" * 12)

        def hp() -> str:
            body = f"8{r.choice('1235789')}{digits(r.randint(8, 10))}"
            if r.random() < 0.3:
                return f"0{body[:3]}-{body[3:7]}-{body[7:]}"
            return r.choice(["0", "+62 ", "62"]) + body

        def rp() -> str:
            n = r.choice([2, 3, 5, 10, 15, 20, 25, 30, 35, 50, 75, 100, 150, 250, 300, 500])
            return r.choice([f"Rp {n}.000", f"{n} ribu", f"Rp{n}rb", f"{n}rb", f"Rp {n}.000,-"])

        fill = {
            "nik": nik,
            "hp": hp,
            "rp": rp,
            "angka": lambda: digits(r.randint(5, 12)),
            "tanggal": lambda: f"{r.randint(1, 28)}/{r.randint(1, 12)}/20{r.randint(19, 26)}",
            "nama": lambda: self.pick("nama"),
        }
        return re.sub(r"\{(\w+)\}", lambda m: fill[m[1]](), template or self.pick("detail"))

    def _wil(self) -> str:
        return f"{self.rng.choice(['kel.', 'kelurahan', 'desa', 'kampung'])} {self.pick('wilayah_nama')}"

    def informal(self, text: str, share: float) -> str:
        r = self.rng
        for word, forms in self.s["informal"].items():

            def swap(m: re.Match[str], f: list[str] = forms) -> str:
                return r.choice(f) if r.random() < share else m[0]

            text = re.sub(rf"\b{re.escape(word)}\b", swap, text)
        for word in self.s["elongate"]:
            if r.random() < share / 3:
                text = re.sub(rf"\b{word}\b", word + word[-1] * r.randint(2, 4), text, count=1)
        return text


def _aduan(w: _Writer, topic: dict[str, Any]) -> str:
    r = w.rng
    objek, masalah = r.choice(topic["objek"]), r.choice(topic["masalah"])
    core = r.choice(
        (
            f"{objek} di {w.lokasi()} {masalah}",
            f"{objek} {masalah}",
            f"{objek} di {w.lokasi()} {masalah} {w.pick('waktu')}",
            f"{w.pick('waktu')} {objek} {masalah}",
            f"di {w.lokasi()} {objek} {masalah}",
        )
    )
    parts = [core]
    if r.random() < 0.45:
        parts.append(w.pick("dampak"))
    if r.random() < 0.3:
        parts.append(w.pick("riwayat"))
    if r.random() < 0.75:  # a bare problem statement is a complaint too
        ask = r.choice(topic["minta"])
        parts.append(
            r.choice(
                (f"mohon {objek} {ask}", f"tolong segera {ask}", w.pick("plea"), f"mohon {ask}")
            )
        )
    if r.random() < 0.4:  # real letters carry a NIK, a phone number, a price
        parts.insert(r.choice((1, len(parts))), w.detail())
    return ". ".join(parts)


def _topical_noise(w: _Writer, topic: dict[str, Any]) -> str:
    """A non-complaint about a complaint topic: thanks for a fix, news, small talk."""
    r = w.rng
    objek = r.choice(topic["objek"])
    return r.choice(
        (
            f"terima kasih, {objek} di {w.lokasi()} sudah {r.choice(['diperbaiki', 'beres', 'normal kembali', 'ditangani dengan cepat', 'bagus sekarang'])}",
            f"alhamdulillah {objek} sudah {r.choice(['beres', 'lancar', 'selesai diurus', 'bagus'])}, mantap pelayanannya",
            f"{w.pick('pejabat')} meninjau {objek} di {w.lokasi()} hari ini",
            f"hari ini dimulai program perbaikan {objek} di {w.lokasi()}, warga menyambut baik",
            f"info: sosialisasi tentang {objek} akan diadakan di balai warga minggu depan",
            f"lagi ngobrol sama tetangga soal {objek}, ternyata banyak yang belum tahu hehe",
            f"keren, {objek} di kota ini makin bagus dari tahun ke tahun",
        )
    )


def _aspirasi(w: _Writer, topic: dict[str, Any]) -> str:
    r = w.rng
    usul = r.choice(topic["usul"])
    lead = r.choice(
        (
            "saya ingin mengusulkan agar",
            "usul",
            "saran saja, sebaiknya",
            "harapan kami",
            "mohon kiranya",
            "alangkah baiknya jika",
            "aspirasi warga kami agar",
            "kami berharap",
            "bagaimana kalau",
            "izin memberi masukan, sebaiknya",
        )
    )
    text = f"{lead} {usul}"
    if r.random() < 0.4:
        text += f" di {w.lokasi()}"
    if r.random() < 0.4:
        text += f". {r.choice(['supaya warga lebih nyaman', 'demi kebaikan bersama', 'karena sangat dibutuhkan warga', 'agar kejadian serupa tidak terulang', 'semoga bisa dipertimbangkan'])}"
    return text


def _tanya(w: _Writer, topic: dict[str, Any]) -> str:
    r = w.rng
    q = r.choice(topic["tanya"])
    lead = r.choice(
        (
            "",
            "mau tanya,",
            "numpang tanya",
            "saya ingin menanyakan",
            "mohon info",
            "permisi, mau tanya",
            "mohon informasinya",
            "ijin bertanya",
            "boleh tanya,",
        )
    )
    text = f"{lead} {q}?".strip()
    if r.random() < 0.12:
        text += f" {w.detail()}"
    if r.random() < 0.3:
        text += f" {r.choice(['terima kasih', 'mohon jawabannya', 'matur nuwun', 'soalnya bingung', 'infonya ditunggu'])}"
    return text


def _dress(w: _Writer, body: str, kind: str) -> str:
    """Wrap a body in one of the ways people write: tweet, chat, Javanese, letter, plain."""
    r = w.rng
    style = r.choices(
        ("tweet", "chat", "jawa", "surat", "gub", "polos", "pendek"), (3, 3, 2, 2, 2, 3, 2)
    )[0]
    if style == "pendek":  # the bare problem, as people type it: "lampu jalan mati"
        return w.informal(body.split(". ")[0].lower(), 0.3)
    if style == "tweet":
        text = f"@{w.pick('akun')} {body}"
        if r.random() < 0.4:
            text += f" #{w.pick('hashtag')}"
        return w.informal(text.lower(), 0.5)
    if style == "chat":
        return w.informal(f"{w.pick('salam_santai')}, {body}. {w.pick('penutup')}", 0.4)
    if style == "jawa":
        text = f"{w.pick('salam_jawa')} {w.pick('sapaan_jawa')}, {body} nggih. {w.pick('penutup')}"
        return w.informal(text, 0.3)
    if style == "surat":
        noun = {
            "pengaduan": "pengaduan",
            "aspirasi": "aspirasi",
            "permintaan_informasi": "pertanyaan",
        }[kind]
        return (
            f"Yth. {w.pick('pejabat')}. {w.pick('salam_formal')}. Saya {w.pick('pengirim')} "
            f"{w.lokasi()} ingin menyampaikan {noun} sebagai berikut. {body[:1].upper()}{body[1:]}. "
            f"Demikian kami sampaikan, {w.pick('penutup')}."
        )
    if style == "gub":
        return w.informal(f"{w.pick('pejabat')}, {body}. {w.pick('penutup')}", 0.2)
    return body


def sector_examples(w: _Writer, sector: str, spec: dict[str, Any], count: int) -> Iterator[Example]:
    """Yield `count` lead examples of one sector, the kinds in KIND_SHARES proportions, and
    count/10 non-leads about the same topics (thanks, news, small talk)."""
    for _ in range(count // 10):
        topic = w.rng.choice(spec["topics"])
        yield Example(
            text=w.informal(_topical_noise(w, topic), 0.3), is_lead=False, kind="", sector=""
        )
    for kind, share in KIND_SHARES:
        for _ in range(round(count * share)):
            topic = w.rng.choice(spec["topics"])
            make = {"pengaduan": _aduan, "aspirasi": _aspirasi, "permintaan_informasi": _tanya}[
                kind
            ]
            body = make(w, topic)
            if kind == "pengaduan" and w.rng.random() < 0.15:
                body += ". " + _aduan(w, w.rng.choice(spec["topics"]))  # a longer message
            yield Example(text=_dress(w, body, kind), is_lead=True, kind=kind, sector=sector)


def noise_examples(w: _Writer, noise: dict[str, list[str]], count: int) -> Iterator[Example]:
    """Yield `count` non-leads per noise type: praise, news, promotion, spam, chatter, campaign."""
    slots = {
        "pejabat": lambda: w.pick("pejabat"),
        "lokasi_pendek": lambda: f"Jl. {w.pick('jalan_nama')}",
        "perihal": lambda: w.rng.choice(
            [
                "jalan rusak",
                "lampu jalan",
                "sampah",
                "saluran mampet",
                "KTP",
                "bansos",
                "pohon",
                "PDAM",
            ]
        ),
        "kantor": lambda: w.rng.choice(
            ["kelurahan", "puskesmas", "dukcapil", "samsat", "kecamatan"]
        ),
        "kota": lambda: w.pick("kota"),
        "fasilitas": lambda: w.rng.choice(
            ["taman", "jembatan", "pasar", "gedung sekolah", "puskesmas"]
        ),
        "acara": lambda: w.rng.choice(
            ["festival budaya", "car free day", "jalan sehat", "vaksinasi massal", "pameran UMKM"]
        ),
        "dinas": lambda: w.rng.choice(["pendidikan", "kesehatan", "perhubungan", "sosial"]),
        "hari": lambda: w.rng.choice(["senin", "jumat", "minggu"]),
        "kontak": lambda: w.detail("{hp}"),
        "harga": lambda: w.detail("{rp}"),
        "nomor": lambda: w.detail("{angka}"),
    }
    for _kind, lines in noise.items():
        for _ in range(count):
            line = w.rng.choice(lines)
            text = re.sub(r"\{(\w+)\}", lambda m: slots[m[1]](), line)
            if w.rng.random() < 0.3:
                text = f"@{w.pick('akun')} {text}"
            yield Example(text=w.informal(text, 0.3), is_lead=False, kind="", sector="")


def generate() -> list[Example]:
    """Return every seed example, in a fixed order, from a fixed random seed."""
    vocab, styles = load_vocab()
    w = _Writer(styles, random.Random(RANDOM_SEED))
    out: list[Example] = []
    for sector, spec in vocab["sectors"].items():
        out.extend(sector_examples(w, sector, spec, PER_SECTOR[sector]))
    out.extend(noise_examples(w, vocab["noise"], PER_NOISE_TYPE))
    return out


def write(path: Path = EXAMPLES) -> int:
    """Write the examples as CSV (each row marked written_by) and return the row count."""
    rows = generate()
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for ex in rows:
            out.writerow((ex.text, int(ex.is_lead), ex.kind, ex.sector, WRITTEN_BY))
    return len(rows)


def read(path: Path = EXAMPLES) -> list[Example]:
    """Return the examples stored in the seed CSV."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Example(text=r["text"], is_lead=r["is_lead"] == "1", kind=r["kind"], sector=r["sector"])
            for r in csv.DictReader(fh)
        ]


if __name__ == "__main__":
    print(f"wrote {write()} examples to {EXAMPLES}")
