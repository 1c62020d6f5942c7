"""Normalise informal Indonesian text for triage, and guess its language cheaply."""

from __future__ import annotations

import re
from functools import lru_cache

MAX_CHARS = 5_000  # a 50,000-character message costs what its first 5,000 cost

_URL = re.compile(r"https?://\S+|www\.\S+|\b[\w.-]+\.(?:com|id|net|org|ly|me|co)(?:/\S*)?\b")
_HANDLE = re.compile(r"@\w+")
_NOT_WORD = re.compile(r"[\W_]+")
_TRIPLE = re.compile(r"([^\W\d_])\1{2,}")  # "tolonggg" -> "tolong"
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
_ID_AFFIX = re.compile(r"^(?:me|ber|ter|di|pe|se|ke)[a-z]{3,}|^[a-z]{3,}(?:kan|nya|an)$")

# indoNLP's slang lexicon maps some of our domain words away ("kk" Kartu Keluarga -> "kakak",
# "smp" -> "sampai", "pkk" -> "pakai"): these keys are never replaced.
_KEEP = frozenset(
    "kk kel smp sma tk sk sp s pa pk pkk ps or to in it do so see may am add say sam cd co x w u "
    "th hr ms mk pan ono tot rt rw lt d k g j m q z y c b2 b3 t4 ma la na ne ni mb".split()
)
_OURS = {
    "mhn": "mohon",
    "jl": "jalan",
    "jln": "jalan",
    "kec": "kecamatan",
    "kel": "kelurahan",
    "kelr": "kelurahan",
    "bpk": "bapak",
    "bp": "bapak",
    "pak": "bapak",
    "bu": "ibu",
    "akte": "akta",
    "nomer": "nomor",
    "no": "nomor",
    "trims": "terima kasih",
    "makasih": "terima kasih",
    "mksh": "terima kasih",
    "suwun": "terima kasih",
    "tks": "terima kasih",
    "dll": "dan lain lain",
    "dsb": "dan sebagainya",
    "sampun": "sudah",
    "dereng": "belum",
    "mboten": "tidak",
    "nggak": "tidak",
    "ndak": "tidak",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "tdk": "tidak",
    "enggak": "tidak",
    "pemkot": "pemerintah kota",
    "pemkab": "pemerintah kabupaten",
    "pemprov": "pemerintah provinsi",
    "ektp": "ktp",
    "e-ktp": "ktp",
    "ktpel": "ktp",
    "wr": "",
    "wb": "",
}


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, str]:
    from indoNLP.preprocessing import SLANG_DATA

    table = {
        k: _NOT_WORD.sub(" ", v.lower()).strip()
        for k, v in SLANG_DATA.items()
        if k not in _KEEP and " " not in k
    }
    table.update(_OURS)
    return table


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    from indoNLP.preprocessing import STOPWORDS

    words: set[str] = set(STOPWORDS)
    for value in _lexicon().values():
        words.update(value.split())
    return frozenset(words)


@lru_cache(maxsize=200_000)
def _word(token: str) -> str:
    """Return the standard form of one lower-case token (cached: words repeat a lot)."""
    if token.isdigit():
        return "0" if len(token) >= 4 else token
    token = _TRIPLE.sub(r"\1", token)
    table = _lexicon()
    if token in table:
        return table[token]
    if len(token) > 3 and token[-1] == "2" and token[:-1].isalpha():
        return f"{_word(token[:-1])} {_word(token[:-1])}"  # "anak2" -> "anak anak"
    if len(token) > 3 and token[-1] == token[-2] and token[:-1] in _vocabulary():
        return token[:-1]  # "sudahh" -> "sudah", only when the short form is a known word
    return token


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """Return indoNLP's Indonesian stopwords, normalised like the texts."""
    from indoNLP.preprocessing import STOPWORDS

    return frozenset(w for word in STOPWORDS for w in normalize(word).split())


_URL_HINTS = ("://", "www.", ".com", ".id", ".net", ".org", ".ly", ".me", ".co")


def normalize(text: str) -> str:
    """Return `text` lower-cased with URLs as "url", @handles as "user", emoji and symbols
    removed, elongations and Indonesian slang replaced by standard words, and numbers of four
    or more digits as "0". Only the first 5,000 characters are read. Never raises."""
    if not text:
        return ""
    value = text[:MAX_CHARS].lower()
    if any(hint in value for hint in _URL_HINTS):
        value = _URL.sub(" url ", value)
    if "@" in value:
        value = _HANDLE.sub(" user ", value)
    value = _NOT_WORD.sub(" ", value)
    return " ".join(filter(None, map(_word, value.split())))


_EN_WORDS = frozenset(
    "the a an and or but is are was were be been of to in on at for with from by this that these "
    "those it its i you he she we they my your our their me him her us them not no do does did "
    "have has had will would can could should please there here what when where why how which "
    "who all any some very just about into than then also if so as up out more most only other "
    "street road light water broken still since days thank thanks help hello hi".split()
)
_ID_CORE = frozenset(
    "yang dan di ke dari ini itu tidak sudah belum ada untuk dengan saya kami kita mohon tolong "
    "pak bapak ibu bu min warga jalan rusak sampah air listrik mati lampu kenapa kapan bagaimana "
    "apakah sangat sekali juga karena tapi atau akan bisa harus masih lagi sejak terima kasih "
    "segera sekitar rumah anak mau minta gimana gak ga nggak kok dong ya sih nih deh pohon tumbang "
    "banjir bocor pipa padam sungai dangkal pju pdam mbr pkh bansos ktp kk akta sekolah puskesmas "
    "macet parkir got selokan genangan longsor kebakaran sulit lupa miring".split()
)


@lru_cache(maxsize=1)
def _id_words() -> frozenset[str]:
    return (_vocabulary() | frozenset(_lexicon()) | _ID_CORE) - _EN_WORDS


def detect_language(text: str, normalized: str | None = None) -> str:
    """Return "id" (Indonesian), "en" (English) or "other" from the share of common words of
    each language; text mostly in a non-Latin script, or with no known word, is "other".
    Pass `normalized` (normalize(text)) when you have it, to save the work."""
    sample = (text or "")[:2_000]
    if not sample.isascii():  # count scripts only when there is something beyond ASCII
        letters = _LETTER.findall(sample)
        if len(_LATIN.findall(sample)) < 0.5 * len(letters):
            return "other"
    tokens = (normalized if normalized is not None else normalize(sample)).split()
    id_words = _id_words()
    id_hits = sum(1.0 if t in id_words else 0.5 if _ID_AFFIX.match(t) else 0.0 for t in tokens)
    en_hits = sum(1 for t in tokens if t in _EN_WORDS)
    if en_hits == 0 and id_hits == 0:
        return "other"
    return "en" if en_hits > id_hits else "id"
