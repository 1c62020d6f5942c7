"""Urgency rules: safety, health, disaster and Covid-like priority keywords come first."""

from __future__ import annotations

from handler.normalize import normalize

# (phrases, reason): a phrase matches whole words of the normalised text, unless a negation
# ("tidak ada korban") stands just before it. The first matching rule in this order decides.
DARURAT: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("kebakaran", "terbakar", "api membesar", "api merambat", "ledakan", "meledak"),
        "kebakaran atau ledakan",
    ),
    (
        (
            "banjir bandang",
            "tanggul jebol",
            "air bah",
            "terjebak banjir",
            "banjir setinggi dada",
            "banjir setinggi leher",
            "banjir setinggi atap",
        ),
        "banjir besar",
    ),
    (("longsor",), "tanah longsor"),
    (("gempa", "tsunami", "erupsi", "gunung meletus", "puting beliung"), "bencana alam"),
    (
        ("pohon tumbang menimpa", "tertimpa pohon", "pohon roboh menimpa", "tertimpa dahan"),
        "pohon tumbang menimpa",
    ),
    (
        (
            "kabel listrik putus",
            "kabel listrik terbakar",
            "kabel listrik jatuh",
            "tersengat listrik",
            "kesetrum",
            "korsleting",
        ),
        "bahaya listrik",
    ),
    (("gas bocor", "kebocoran gas"), "kebocoran gas"),
    (
        (
            "sesak napas",
            "sesak nafas",
            "tidak sadarkan diri",
            "pingsan",
            "kritis",
            "kejang",
            "pendarahan",
        ),
        "kondisi gawat pasien",
    ),
    (
        ("korban jiwa", "meninggal dunia", "tewas", "tenggelam", "hanyut", "terjebak", "tertimbun"),
        "ada korban atau orang terjebak",
    ),
    (("darurat", "sos", "butuh evakuasi", "segera evakuasi"), "darurat"),
)
TINGGI: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("covid", "corona", "isolasi mandiri", "isoman", "pcr", "wabah", "pandemi"),
        "prioritas: covid atau wabah",
    ),
    (
        (
            "demam berdarah",
            "dbd",
            "diare massal",
            "keracunan",
            "campak",
            "rabies",
            "digigit anjing",
            "menggigit",
        ),
        "kesehatan warga",
    ),
    (
        ("pasien ditolak", "menolak pasien", "ditolak rumah sakit", "ambulans"),
        "layanan kesehatan gawat",
    ),
    (
        ("kekerasan", "kdrt", "pelecehan", "pemerkosaan", "penganiayaan", "dianiaya", "dipukul"),
        "kekerasan atau pelecehan",
    ),
    (("mengamuk",), "orang mengamuk"),
    (("banjir", "evakuasi", "pengungsi", "mengungsi"), "banjir atau pengungsian"),
    (
        (
            "pohon tumbang",
            "pohon roboh",
            "pohon miring",
            "pohon doyong",
            "hampir roboh",
            "mau roboh",
            "hampir ambruk",
        ),
        "pohon atau bangunan mau roboh",
    ),
    (
        (
            "kabel menjuntai",
            "kabel listrik menjuntai",
            "tiang listrik miring",
            "trafo berasap",
            "trafo meledak",
        ),
        "bahaya listrik",
    ),
    (
        ("memakan korban", "sudah ada korban", "kecelakaan", "membahayakan", "rawan kecelakaan"),
        "membahayakan keselamatan",
    ),
    (("anak hilang", "orang hilang", "penculikan"), "orang hilang"),
)
_NEGATIONS = frozenset({"tidak", "tanpa", "bukan", "belum", "nggak"})


def _index() -> dict[str, list[tuple[tuple[str, ...], int, str]]]:
    # first word -> (phrase words, priority, reason); lower priority wins, darurat first
    index: dict[str, list[tuple[tuple[str, ...], int, str]]] = {}
    rules = [(DARURAT, "darurat"), (TINGGI, "tinggi")]
    order = 0
    for table, _level in rules:
        for phrases, reason in table:
            for phrase in phrases:
                words = tuple(phrase.split())
                index.setdefault(words[0], []).append((words, order, reason))
            order += 1
    return index


_INDEX = _index()
_DARURAT_COUNT = len(DARURAT)


def urgency_of_normalized(value: str, sector: str | None = None) -> tuple[str, str | None]:
    """Return urgency() for text already passed through normalize()."""
    tokens = value.split()
    best: tuple[int, str] | None = None
    for i, token in enumerate(tokens):
        for words, order, reason in _INDEX.get(token, ()):
            if best is not None and order >= best[0]:
                continue
            if tuple(tokens[i : i + len(words)]) != words:
                continue
            # "tidak ada korban", "tanpa korban": a negation in the two words before
            if any(w in _NEGATIONS for w in tokens[max(0, i - 2) : i]):
                continue
            best = (order, reason)
    if best is not None:
        return ("darurat" if best[0] < _DARURAT_COUNT else "tinggi"), best[1]
    if sector == "bencana":
        return "tinggi", "sektor bencana"
    return "normal", None


def urgency(text: str, sector: str | None = None) -> tuple[str, str | None]:
    """Return (level, reason): level "darurat" (life or safety now), "tinggi" (health, safety,
    Covid-like priority, disaster aftermath) or "normal"; reason names the rule, None when
    normal. A "bencana" sector with no keyword is "tinggi". Never raises."""
    return urgency_of_normalized(normalize(text), sector)
