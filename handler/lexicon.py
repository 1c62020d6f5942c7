"""Keyword lexicon per sector: the fallback when the model is unsure or the text is too short."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import yaml
from scipy import sparse

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


PhraseIndex = dict[str, list[tuple[tuple[str, ...], int]]]


def phrase_index(keywords: Mapping[str, Sequence[str]]) -> PhraseIndex:
    """Return first word -> (phrase words, column) for label -> normalised phrases; the columns
    follow the labels in sorted order."""
    index: PhraseIndex = {}
    for column, label in enumerate(sorted(keywords)):
        for phrase in dict.fromkeys(keywords[label]):
            words = tuple(phrase.split())
            if words:
                index.setdefault(words[0], []).append((words, column))
    return index


def keyword_block(
    docs: Sequence[str], index: PhraseIndex, columns: int, weight: float
) -> sparse.csr_matrix:
    """Return a (len(docs), columns) matrix: per label, weight * log(1 + distinct phrases of
    that label found in the normalised doc). One set intersection per doc."""
    rows: list[int] = []
    cols: list[int] = []
    hits: list[int] = []
    firsts = frozenset(index)
    for row, doc in enumerate(docs):
        tokens, padded = doc.split(), f" {doc} "
        found: set[tuple[tuple[str, ...], int]] = set()
        for first in firsts.intersection(tokens):
            for words, column in index[first]:
                if len(words) == 1 or f" {' '.join(words)} " in padded:
                    found.add((words, column))
        for column, count in Counter(column for _, column in found).items():
            rows.append(row)
            cols.append(column)
            hits.append(count)
    values = weight * np.log1p(np.array(hits, dtype=np.float32))
    return sparse.csr_matrix((values, (rows, cols)), shape=(len(docs), columns))
