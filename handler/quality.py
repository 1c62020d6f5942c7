"""Follow-up quality: flag normative answers (boilerplate, too short, copy-pasted across reports)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.casework import FollowUp

# Phrases that promise or acknowledge without answering anything (matched on normalised text).
BOILERPLATE = (
    r"laporan (?:anda|saudara|bapak|ibu|bapak ibu|sdr) (?:sedang|akan|telah|sudah) "
    r"(?:kami )?(?:proses|diproses|ditindaklanjuti|tindaklanjuti|terima|diterima|teruskan|"
    r"diteruskan)",
    r"(?:sedang|masih) (?:dalam )?(?:proses|diproses|ditindaklanjuti|penanganan)",
    r"akan (?:segera )?(?:kami )?(?:tindaklanjuti|ditindaklanjuti|proses|diproses|tangani|"
    r"ditangani|koordinasikan|dikoordinasikan|cek|tinjau|evaluasi)",
    r"(?:telah|sudah) (?:kami )?(?:teruskan|diteruskan|sampaikan|disampaikan|koordinasikan|"
    r"dikoordinasikan|catat|dicatat|terima|diterima)(?: kepada| ke)?",
    r"terima ?kasih (?:atas|untuk|telah|sudah)? ?(?:laporan|laporannya|informasi|informasinya|"
    r"aduan|aduannya|masukan|masukannya|partisipasi|partisipasinya)(?: anda| saudara)?",
    r"terima ?kasih",
    r"mohon (?:maaf|kesabaran|ditunggu|menunggu|bersabar)(?: atas ketidaknyamanan(?:nya)?)?",
    r"(?:untuk )?(?:menjadi|sebagai) (?:bahan )?(?:perhatian|evaluasi|masukan)(?: kami)?",
    r"(?:salam|hormat kami|yth|selamat (?:pagi|siang|sore|malam))",
)
_BOILERPLATE = re.compile(r"\b(?:" + "|".join(BOILERPLATE) + r")\b")

# Function words, forms of address and agency self-reference: not substance.
STOPWORDS = frozenset(
    """yang dan di ke dari untuk dengan ini itu tersebut kami kita anda saudara sdr bapak ibu
    bpk pak bu kak mas mbak adalah akan telah sudah sedang masih dalam pada atas oleh agar supaya
    bahwa karena jika bila maka juga pun lagi ya tidak belum bisa dapat dapatkan ada atau serta
    hal terkait perihal mengenai sebagai tsb dgn utk yg dr kpd kepada nya lah kah tetap terus
    laporan aduan pengaduan informasi terima kasih mohon maaf segera proses diproses tindak lanjut
    tindaklanjuti ditindaklanjuti admin tim pihak instansi dinas""".split()
)
_TOKEN = re.compile(r"[a-z]{2,}")
_NOISE = re.compile(r"https?://\S+|@\w+|#\w+|\b[a-z]{1,12}-\d{4}-\d{4,}\b|\d+")

MIN_SUBSTANCE_WORDS = 6
COPY_SIMILARITY = 0.8
SHINGLE = 3


def normalise(text: str) -> str:
    """Return `text` lower-cased with URLs, handles, tracking IDs, numbers and punctuation removed."""
    text = _NOISE.sub(" ", (text or "").lower())
    return " ".join(re.findall(r"[a-z]+", text))


def substance_words(text: str) -> list[str]:
    """Return the words of `text` that carry content: no boilerplate phrase, no function word."""
    rest = _BOILERPLATE.sub(" ", normalise(text))
    return [w for w in _TOKEN.findall(rest) if w not in STOPWORDS]


def shingles(text: str, k: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """Return the set of k-word shingles of the normalised text (its words when shorter)."""
    words = normalise(text).split()
    if len(words) < k:
        return frozenset({tuple(words)}) if words else frozenset()
    return frozenset(tuple(words[i : i + k]) for i in range(len(words) - k + 1))


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Return the Jaccard similarity of two shingle sets (0 when both are empty)."""
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def is_normative(
    text: str,
    previous_texts: Iterable[str] = (),
    *,
    min_words: int = MIN_SUBSTANCE_WORDS,
    similarity: float = COPY_SIMILARITY,
) -> tuple[bool, str | None]:
    """Return (True, reason) when a follow-up answers nothing, else (False, None).

    Normative: only boilerplate ("laporan anda sedang kami proses", "akan kami
    tindaklanjuti", "terima kasih atas laporannya"), fewer than `min_words` words of substance,
    or near-identical (shingle Jaccard >= `similarity`) to one of `previous_texts` — the
    agency's earlier follow-ups to other reports.
    """
    words = substance_words(text)
    if len(words) < min_words:
        phrases = [m.group(0) for m in _BOILERPLATE.finditer(normalise(text))]
        if phrases:
            return True, (
                f"boilerplate: '{max(phrases, key=len)}' with only {len(words)} word(s) of substance "
                f"(at least {min_words} needed)"
            )
        return True, f"too short: {len(words)} word(s) of substance (at least {min_words} needed)"
    mine = shingles(text)
    best = 0.0
    for earlier in previous_texts:
        best = max(best, jaccard(mine, shingles(earlier)))
        if best >= similarity:
            return True, (
                f"copy-paste: {best:.0%} the same as an earlier follow-up to another report"
            )
    return False, None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgencyQuality:
    """How many of an agency's follow-ups were normative since a date."""

    agency_code: str | None
    followups: int
    normative: int
    share: float


def normative_share(session: Session, since: datetime) -> list[AgencyQuality]:
    """Return per agency the follow-ups since `since`, the normative ones and their share.

    Sorted by share, highest first, then by agency code.
    """
    normative = func.sum(case((FollowUp.normative, 1), else_=0))
    rows = session.execute(
        select(FollowUp.agency_code, func.count(FollowUp.id), normative)
        .where(FollowUp.created_at >= since)
        .group_by(FollowUp.agency_code)
    ).all()
    result = [
        AgencyQuality(
            agency_code=code,
            followups=int(total),
            normative=int(flagged or 0),
            share=(int(flagged or 0) / int(total)) if total else 0.0,
        )
        for code, total, flagged in rows
    ]
    return sorted(result, key=lambda q: (-q.share, q.agency_code or ""))
