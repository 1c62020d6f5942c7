"""The linear text model: TF-IDF word and character n-grams into a calibrated linear SVM or a
logistic regression."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize as sk_normalize
from sklearn.svm import LinearSVC

from core.errors import InputError
from handler import lexicon
from handler.normalize import normalize, stopwords

BUNDLE_FORMAT = "lapor-social-triage/1"
C_DEFAULT = 0.5  # the SVM's C
C_SECTOR = 2.0  # the logistic regression's C; 1 to 3 score alike (bench/TRIAGE.md)


class NgramVectorizer(BaseEstimator, TransformerMixin):
    """TF-IDF of word 1-2-grams and of char 2-5-grams inside words (like sklearn's "char_wb"),
    each block L2-normalised, from one split of already normalised text. Term frequency is
    sublinear (1 + log count) unless `sublinear` is False (then binary); Indonesian function
    words are left out of the word n-grams (they stay in the char n-grams) when `stop_words`
    is "id". With `keywords` (label -> phrases, normalised) one more column per label holds
    `keyword_weight` * log(1 + distinct phrases of that label in the text). Each word's char
    n-gram columns are cached, which makes transform several times faster than sklearn's."""

    def __init__(
        self,
        min_df: int = 2,
        max_char_features: int = 300_000,
        sublinear: bool = True,
        stop_words: str | None = "id",
        keywords: Mapping[str, Sequence[str]] | None = None,
        keyword_weight: float = 0.2,
    ) -> None:
        self.min_df = min_df
        self.max_char_features = max_char_features
        self.sublinear = sublinear
        self.stop_words = stop_words
        self.keywords = keywords
        self.keyword_weight = keyword_weight

    @staticmethod
    def _pairs(tokens: list[str]) -> list[str]:
        return [a + " " + b for a, b in zip(tokens, tokens[1:], strict=False)]

    @staticmethod
    def _chars(token: str) -> list[str]:
        padded = f" {token} "
        return [padded[i : i + n] for n in range(2, 6) for i in range(len(padded) - n + 1)]

    def fit(self, docs: Sequence[str], y: Any = None) -> NgramVectorizer:
        self.stop_ = stopwords() if self.stop_words == "id" else frozenset()
        word_df: Counter[str] = Counter()
        char_df: Counter[str] = Counter()
        for doc in docs:
            tokens = doc.split()
            kept = [t for t in tokens if t not in self.stop_]
            word_df.update(set(kept + self._pairs(kept)))
            char_df.update({g for t in set(tokens) for g in self._chars(t)})
        words = sorted(w for w, df in word_df.items() if df >= self.min_df)
        chars = [c for c, df in char_df.most_common(self.max_char_features) if df >= self.min_df]
        n = len(docs)
        self.word_vocab_ = {w: i for i, w in enumerate(words)}
        self.char_vocab_ = {c: i for i, c in enumerate(sorted(chars))}
        self.word_idf_ = np.log((1 + n) / (1 + np.array([word_df[w] for w in words]))) + 1
        self.char_idf_ = np.log((1 + n) / (1 + np.array([char_df[c] for c in sorted(chars)]))) + 1
        self._cache: dict[str, list[int]] = {}
        self.phrases_ = lexicon.phrase_index(self.keywords or {})
        self.n_keyword_columns_ = len(self.keywords or {})
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # a vectoriser pickled before sublinear/stop_words existed was binary, all words kept
        state.setdefault("sublinear", False)
        state.setdefault("stop_words", None)
        state.setdefault("keywords", None)
        state.setdefault("keyword_weight", 0.0)
        state.setdefault("stop_", frozenset())
        state.setdefault("phrases_", {})
        state.setdefault("n_keyword_columns_", 0)
        self.__dict__.update(state)

    def _char_ids(self, token: str) -> list[int]:
        ids = self._cache.get(token)
        if ids is None:
            vocab = self.char_vocab_
            ids = [vocab[g] for g in self._chars(token) if g in vocab]
            if len(self._cache) > 500_000:
                self._cache.clear()
            self._cache[token] = ids
        return ids

    def _tfidf(self, flat: list[int], lengths: list[int], idf: np.ndarray) -> sparse.csr_matrix:
        indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.array(flat, dtype=np.int32)
        ones = np.ones(len(indices), dtype=np.float32)
        m = sparse.csr_matrix((ones, indices, indptr), shape=(len(lengths), len(idf)))
        m.sum_duplicates()  # repeated columns of a row become its counts
        if self.sublinear:
            np.log(m.data, out=m.data)
            m.data += 1.0
        else:
            m.data[:] = 1.0
        m.data *= idf[m.indices]
        return sk_normalize(m)

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        wv, cache, char_ids, stop = self.word_vocab_, self._cache, self._char_ids, self.stop_
        word_flat: list[int] = []
        char_flat: list[int] = []
        word_len: list[int] = []
        char_len: list[int] = []
        for doc in docs:
            tokens = doc.split()
            kept = [t for t in tokens if t not in stop] if stop else tokens
            found = [wv[w] for w in kept if w in wv]
            found += [wv[w] for w in self._pairs(kept) if w in wv]
            word_flat += found
            word_len.append(len(found))
            before = len(char_flat)
            for t in tokens:
                ids = cache.get(t)
                char_flat += ids if ids is not None else char_ids(t)
            char_len.append(len(char_flat) - before)
        words = self._tfidf(word_flat, word_len, self.word_idf_.astype(np.float32))
        chars = self._tfidf(char_flat, char_len, self.char_idf_.astype(np.float32))
        if not self.n_keyword_columns_:
            return sparse.hstack([words, chars], format="csr")
        keys = lexicon.keyword_block(
            docs, self.phrases_, self.n_keyword_columns_, self.keyword_weight
        )
        return sparse.hstack([words, chars, keys], format="csr")


def build_features(keywords: Mapping[str, Sequence[str]] | None = None) -> NgramVectorizer:
    """Return an unfitted word + char n-gram TF-IDF vectoriser (with keyword columns when
    `keywords` is given)."""
    return NgramVectorizer(keywords=keywords)


@dataclass(slots=True, kw_only=True)
class TextModel:
    """A fitted classifier for one task ("sector", "kind" or "complaint") over raw texts."""

    task: str
    features: NgramVectorizer
    classifier: Any  # CalibratedClassifierCV or LogisticRegression
    sklearn_version: str = sklearn.__version__

    @property
    def classes_(self) -> list[str]:
        """Return the labels, in the column order of predict_proba."""
        return [str(c) for c in self.classifier.classes_]

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Return the feature matrix of `texts` (normalised first)."""
        return self.features.transform([normalize(t) for t in texts])

    def proba_matrix(self, matrix: sparse.csr_matrix) -> np.ndarray:
        """Return class probabilities for an already transformed matrix."""
        return self.classifier.predict_proba(matrix)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Return an (n, len(classes_)) array of calibrated class probabilities."""
        return self.proba_matrix(self.transform(texts))

    def save(self, path: str | Path) -> None:
        """Write this model as a one-model bundle (see save_bundle)."""
        save_bundle({self.task: self}, path)


def fit_features(
    normalized: Sequence[str], keywords: Mapping[str, Sequence[str]] | None = None
) -> NgramVectorizer:
    """Return the feature union fitted on already normalised texts."""
    return build_features(keywords).fit(normalized)


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    task: str = "sector",
    features: NgramVectorizer | None = None,
    normalized: bool = False,
    c: float | None = None,
    classifier: str = "svm",
) -> TextModel:
    """Return a TextModel fitted on `texts` and `labels` with make_classifier(`classifier`);
    reuse fitted `features` when given.

    Raises InputError when the labels hold fewer than two classes."""
    labels = [str(label) for label in labels]
    if len(set(labels)) < 2:
        raise InputError(f"Training the {task} model needs at least two classes.")
    docs = list(texts) if normalized else [normalize(t) for t in texts]
    if features is None:
        features = fit_features(docs)
    clf = make_classifier(classifier, min(Counter(labels).values()), c)
    clf.fit(features.transform(docs), labels)
    return TextModel(task=task, features=features, classifier=clf)


def make_classifier(kind: str, smallest_class: int, c: float | None = None) -> Any:
    """Return the classifier: for kind "logistic" a multinomial logistic regression, whose
    log-loss fit gives class probabilities directly (the default sector head: on texts unlike
    its seed it keeps the rare sectors rarer); for "svm" a linear SVM whose scores are
    calibrated to probabilities (sigmoid, 3-fold)."""
    if kind == "logistic":
        return LogisticRegression(C=C_SECTOR if c is None else c, max_iter=3000)
    svm = LinearSVC(C=C_DEFAULT if c is None else c)
    return CalibratedClassifierCV(svm, cv=max(2, min(3, smallest_class)))


@dataclass(frozen=True, slots=True, kw_only=True)
class CVReport:
    """Cross-validated figures: macro-F1, accuracy, and per class its row count and F1."""

    macro_f1: float
    accuracy: float
    classes: tuple[str, ...]
    counts: dict[str, int]
    f1: dict[str, float]
    precision: dict[str, float]
    recall: dict[str, float]


def score(truth: Sequence[str], predicted: Sequence[str]) -> CVReport:
    """Return the figures of `predicted` against `truth` over the classes present in truth."""
    classes = tuple(sorted(set(truth)))
    p, r, f, _ = precision_recall_fscore_support(
        truth, predicted, labels=list(classes), zero_division=0
    )
    return CVReport(
        macro_f1=float(
            f1_score(truth, predicted, labels=list(classes), average="macro", zero_division=0)
        ),
        accuracy=float(accuracy_score(truth, predicted)),
        classes=classes,
        counts=dict(Counter(truth)),
        f1={c: float(v) for c, v in zip(classes, f, strict=True)},
        precision={c: float(v) for c, v in zip(classes, p, strict=True)},
        recall={c: float(v) for c, v in zip(classes, r, strict=True)},
    )


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    *,
    seed: int = 0,
) -> CVReport:
    """Return stratified k-fold figures of train() on these texts (each fold refits features)."""
    docs = np.array([normalize(t) for t in texts], dtype=object)
    y = np.array([str(label) for label in labels], dtype=object)
    predicted = np.empty(len(y), dtype=object)
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(
        docs, y
    ):
        model = train(list(docs[train_idx]), list(y[train_idx]), normalized=True)
        proba = model.proba_matrix(model.features.transform(list(docs[test_idx])))
        predicted[test_idx] = np.array(model.classes_, dtype=object)[proba.argmax(axis=1)]
    return score(list(y), list(predicted))


def save_bundle(models: Mapping[str, TextModel], path: str | Path) -> None:
    """Write task -> TextModel to `path` with joblib, with the sklearn version and label sets."""
    payload: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "sklearn_version": sklearn.__version__,
        "labels": {task: model.classes_ for task, model in models.items()},
        "models": dict(models),
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    joblib.dump(payload, tmp, compress=3)
    tmp.replace(target)


def load_bundle(path: str | Path) -> dict[str, TextModel]:
    """Return task -> TextModel from a bundle file.

    Raises InputError when the file is missing, is not a lapor-social model, or was written by
    another scikit-learn version (retrain it with `lapor-social train`)."""
    source = Path(path)
    if not source.is_file():
        raise InputError(f"No model file at {source}.")
    try:
        payload = joblib.load(source)
    except Exception as exc:  # joblib raises many kinds for a file that is not its own
        raise InputError(
            f"{source} is not a model written by `lapor-social train` ({exc})."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != BUNDLE_FORMAT:
        raise InputError(f"{source} is not a model written by `lapor-social train`.")
    if payload["sklearn_version"] != sklearn.__version__:
        raise InputError(
            f"{source} was trained with scikit-learn {payload['sklearn_version']} and this is "
            f"{sklearn.__version__}; train it again with `lapor-social train`."
        )
    return dict(payload["models"])
