"""Triage a mention: complaint score, kind, sector and urgency, each with a confidence."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn

from handler import lexicon, model
from handler.model import TextModel, load_bundle, save_bundle
from handler.normalize import detect_language, normalize
from handler.seed_examples import SEED_DIR, read
from handler.urgency import urgency_of_normalized

CODE_VERSION = "2"  # bump when the default model's training changes in a way the digest misses
DEFAULT_CACHE_DIR = Path("data/models")
LEAD = "lead"  # the complaint model's positive class (anything else: "bukan")
LOW_CONFIDENCE = 0.3  # below this the keyword lexicon may decide the sector
SHORT_TEXT_WORDS = 3
URGENCY_WEIGHT = {"darurat": 2.0, "tinggi": 0.75, "normal": 0.0}
_SEED_FILES = ("examples.csv", "vocab.yaml", "styles.yaml")
_CODE_FILES = ("model.py", "lexicon.py", "normalize.py", "seed_examples.py")


@dataclass(frozen=True, slots=True, kw_only=True)
class Triage:
    """What triage suggests for one text; confidences and complaint_score are in [0, 1]."""

    complaint_score: float
    kind: str
    kind_confidence: float
    sector: str
    sector_confidence: float
    urgency: str  # "darurat" | "tinggi" | "normal"
    urgency_reason: str | None
    lang: str
    model_version: str


def rank(triage: Triage) -> float:
    """Return the inbox order key (higher first): the complaint score, raised for urgency, so
    an urgent lead comes before a calm one and an urgent non-complaint stays low."""
    return triage.complaint_score * (1.0 + URGENCY_WEIGHT.get(triage.urgency, 0.0))


def default_digest() -> str:
    """Return a hash of the seed files, the scikit-learn version and the training code."""
    h = hashlib.sha256(f"{CODE_VERSION}|{sklearn.__version__}".encode())
    for name in _SEED_FILES:
        h.update((SEED_DIR / name).read_bytes())
    here = Path(__file__).resolve().parent
    for name in _CODE_FILES:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:16]


def train_default() -> dict[str, TextModel]:
    """Return the default complaint, kind and sector models trained on the seed examples; the
    three share one fitted vectoriser, so a text is vectorised once."""
    examples = read()
    docs = [normalize(e.text) for e in examples]
    features = model.fit_features(docs, lexicon.keywords())
    leads = [i for i, e in enumerate(examples) if e.is_lead]
    lead_docs = [docs[i] for i in leads]
    complaint = [LEAD if e.is_lead else "bukan" for e in examples]
    kinds = [examples[i].kind for i in leads]
    sectors = [examples[i].sector for i in leads]
    return {
        "complaint": model.train(
            docs, complaint, task="complaint", features=features, normalized=True
        ),
        "kind": model.train(lead_docs, kinds, task="kind", features=features, normalized=True),
        "sector": model.train(
            lead_docs,
            sectors,
            task="sector",
            features=features,
            normalized=True,
            classifier="logistic",
        ),
    }


_DEFAULTS: dict[Path, Triager] = {}
_LOCK = threading.Lock()


class Triager:
    """Classifies texts with a complaint, a kind and a sector model plus the lexicon fallback."""

    def __init__(self, models: Mapping[str, TextModel], *, version: str) -> None:
        missing = {"complaint", "kind", "sector"} - set(models)
        if missing:
            raise ValueError(f"a Triager needs the models {sorted(missing)}")
        self.models = dict(models)
        self.version = version

    @classmethod
    def default(cls, cache_dir: str | Path | None = None) -> Triager:
        """Return the shipped default: trained from handler/seed on first use and cached as
        <cache_dir>/default-<digest>.joblib (cache_dir defaults to ./data/models)."""
        directory = Path(cache_dir) if cache_dir is not None else DEFAULT_CACHE_DIR
        with _LOCK:
            key = directory.resolve()
            if key in _DEFAULTS:
                return _DEFAULTS[key]
            digest = default_digest()
            path = directory / f"default-{digest}.joblib"
            models = None
            if path.is_file():
                try:
                    models = load_bundle(path)
                except Exception:  # a damaged or foreign cache file: train again
                    models = None
            if models is None:
                models = train_default()
                tmp = path.with_name(f"{path.name}.{os.getpid()}")
                save_bundle(models, tmp)
                tmp.replace(path)
            _DEFAULTS[key] = cls(models, version=f"default-{digest}")
            return _DEFAULTS[key]

    @classmethod
    def load(cls, path: str | Path, cache_dir: str | Path | None = None) -> Triager:
        """Return a Triager with the models of a bundle written by training; tasks the bundle
        lacks come from the default. Raises core.errors.InputError for a bad file."""
        custom = load_bundle(path)
        base = cls.default(cache_dir)
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
        # "custom-<12>|default-<16>": fits Lead.model_version (60 characters)
        return cls({**base.models, **custom}, version=f"custom-{digest}|{base.version}")

    def triage(self, texts: Sequence[str]) -> list[Triage]:
        """Return one Triage per text, in order. Empty text, or text with no Latin letter,
        gets complaint score 0 and confidences 0. Never raises for any string."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        docs = [normalize(t) for t in texts]
        usable = [i for i, d in enumerate(docs) if any("a" <= ch <= "z" for ch in d)]
        probs = self._probabilities([docs[i] for i in usable])
        out: list[Triage | None] = [None] * len(texts)
        for row, i in enumerate(usable):
            out[i] = self._one(texts[i], docs[i], {task: p[row] for task, p in probs.items()})
        for i, text in enumerate(texts):
            if out[i] is None:
                out[i] = Triage(
                    complaint_score=0.0,
                    kind="pengaduan",
                    kind_confidence=0.0,
                    sector="lainnya",
                    sector_confidence=0.0,
                    urgency="normal",
                    urgency_reason=None,
                    lang=detect_language(text),
                    model_version=self.version,
                )
        return [t for t in out if t is not None]

    def _probabilities(self, docs: list[str]) -> dict[str, np.ndarray]:
        if not docs:
            return {task: np.zeros((0, len(m.classes_))) for task, m in self.models.items()}
        matrices: dict[int, object] = {}
        probs = {}
        for task, m in self.models.items():
            key = id(m.features)
            if key not in matrices:
                matrices[key] = m.features.transform(docs)
            probs[task] = m.proba_matrix(matrices[key])
        return probs

    def _one(self, text: str, doc: str, p: dict[str, np.ndarray]) -> Triage:
        complaint_classes = self.models["complaint"].classes_
        score = (
            float(p["complaint"][complaint_classes.index(LEAD)])
            if LEAD in complaint_classes
            else 0.0
        )
        kinds, sectors = self.models["kind"].classes_, self.models["sector"].classes_
        k, s = int(p["kind"].argmax()), int(p["sector"].argmax())
        sector, sector_conf = sectors[s], float(p["sector"][s])
        if sector_conf < LOW_CONFIDENCE or len(doc.split()) < SHORT_TEXT_WORDS:
            hit = lexicon.match(doc)
            if hit is not None and hit.sector in sectors:
                sector = hit.sector
                sector_conf = float(p["sector"][sectors.index(hit.sector)])
        level, reason = urgency_of_normalized(doc, sector)
        return Triage(
            complaint_score=round(score, 4),
            kind=kinds[k],
            kind_confidence=round(float(p["kind"][k]), 4),
            sector=sector,
            sector_confidence=round(sector_conf, 4),
            urgency=level,
            urgency_reason=reason,
            lang=detect_language(text, doc),
            model_version=self.version,
        )
