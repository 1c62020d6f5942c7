"""Keyword lexicon per sector: the fallback when the model is unsure or the text is too short."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import yaml

from handler.normalize import normalize
from handler.seed_examples import SEED_DIR


@dataclass(frozen=True, slots=True, kw_only=True)
class LexiconHit:
    """The sector whose keywords a text matched most, and how many distinct keywords matched."""

    sector: str
    hits: int


@lru_cache(maxsize=1)
def keywords() -> dict[str, tuple[str, ...]]:
    """Return sector -> its normalised keywords, from handler/seed/vocab.yaml."""
    vocab = yaml.safe_load((SEED_DIR / "vocab.yaml").read_text(encoding="utf-8"))
    return {
        sector: tuple(dict.fromkeys(normalize(str(k)) for k in spec.get("keywords", ())))
        for sector, spec in vocab["sectors"].items()
    }


def match(normalized: str) -> LexiconHit | None:
    """Return the sector with the most keyword hits in an already normalised text, or None
    when no keyword matches or two sectors tie."""
    padded = f" {normalized} "
    counts: Counter[str] = Counter()
    for sector, words in keywords().items():
        counts[sector] = sum(1 for w in words if w and f" {w} " in padded)
    ranked = counts.most_common(2)
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return LexiconHit(sector=ranked[0][0], hits=ranked[0][1])
