"""Train a triage model on an instansi's own CSV history, and classify a CSV in bulk."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.errors import InputError
from handler import model
from handler.triage import LEAD, Triager

TASKS = ("sector", "kind", "complaint")
OUTPUT_COLUMNS = ("id", "sector", "sector_confidence", "kind", "is_complaint", "urgency")
CHUNK_ROWS = 5_000
# Labels a "complaint" training file may use for leads and for everything else.
POSITIVE = frozenset(
    {"1", "true", "ya", "yes", "y", "lead", "complaint", "aduan", "pengaduan", "keluhan"}
)
NEGATIVE = frozenset({"0", "false", "tidak", "no", "n", "bukan", "noise", "not_complaint", "lain"})


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainReport:
    """What `lapor-social train` did: rows used and skipped, cross-validated figures, output."""

    task: str
    rows: int
    skipped: int
    folds: int
    macro_f1: float
    accuracy: float
    classes: tuple[str, ...]
    counts: dict[str, int]
    f1: dict[str, float]
    out_path: str


def _columns(path: Path) -> list[str]:
    """Return the header of a CSV file; raise InputError when it is missing, empty or unreadable."""
    if not path.is_file():
        raise InputError(f"There is no file at {path}.")
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text; save it as CSV UTF-8 and try again.") from exc
    if not header or not any(h.strip() for h in header):
        raise InputError(f"{path} is empty; it needs a header row and at least one data row.")
    return header


def _require(path: Path, header: list[str], *names: str) -> None:
    for name in names:
        if name not in header:
            raise InputError(
                f"{path.name} has no column '{name}'; its columns are: {', '.join(header)}."
            )


def _chunks(path: Path, columns: list[str]) -> Iterator[pd.DataFrame]:
    try:
        yield from pd.read_csv(
            path,
            usecols=columns,
            dtype=str,
            keep_default_na=False,
            encoding="utf-8-sig",
            chunksize=CHUNK_ROWS,
        )
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name} is not a readable CSV file ({exc}).") from exc


def _labels_for(task: str, labels: list[str], label_column: str) -> list[str]:
    if task != "complaint":
        return labels
    out = []
    for label in labels:
        low = label.strip().lower()
        if low not in POSITIVE | NEGATIVE:
            raise InputError(
                f"Column '{label_column}' holds '{label}', which is not a complaint label; use 1/0, "
                "ya/tidak or lead/bukan."
            )
        out.append(LEAD if low in POSITIVE else "bukan")
    return out


def train_from_csv(
    in_path: str | Path,
    *,
    text_column: str,
    label_column: str,
    task: str = "sector",
    out_path: str | Path,
    folds: int = 5,
) -> TrainReport:
    """Train the `task` model on a CSV's text and label columns, cross-validate it with
    `folds` stratified folds, write a model bundle to `out_path` and return the figures.
    Rows with an empty text or label are skipped.

    Raises InputError (one sentence) for a missing file or column, an empty file, a single
    class, or a class with fewer rows than folds."""
    if task not in TASKS:
        raise InputError(f"Unknown task '{task}'; use one of: {', '.join(TASKS)}.")
    if folds < 2:
        raise InputError("Cross-validation needs at least 2 folds.")
    path = Path(in_path)
    header = _columns(path)
    _require(path, header, text_column, label_column)
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for chunk in _chunks(path, list(dict.fromkeys([text_column, label_column]))):
        for text, label in zip(chunk[text_column], chunk[label_column], strict=True):
            if text.strip() and label.strip():
                texts.append(text)
                labels.append(label.strip())
            else:
                skipped += 1
    if not texts:
        raise InputError(
            f"{path.name} has no row with both '{text_column}' and '{label_column}' filled in."
        )
    labels = _labels_for(task, labels, label_column)
    counts = Counter(labels)
    if len(counts) < 2:
        only = next(iter(counts))
        raise InputError(
            f"Training needs at least two classes; column '{label_column}' holds only '{only}'."
        )
    rare = sorted((c, n) for c, n in counts.items() if n < folds)
    if rare:
        listed = ", ".join(f"'{c}' has {n}" for c, n in rare)
        raise InputError(
            f"Each class needs at least {folds} rows for {folds}-fold cross-validation; {listed}: "
            "add rows, merge them into another class, or drop them."
        )
    report = model.cross_validate(texts, labels, folds=folds)
    trained = model.train(texts, labels, task=task)
    model.save_bundle({task: trained}, out_path)
    return TrainReport(
        task=task,
        rows=len(texts),
        skipped=skipped,
        folds=folds,
        macro_f1=report.macro_f1,
        accuracy=report.accuracy,
        classes=report.classes,
        counts=dict(counts),
        f1=report.f1,
        out_path=str(out_path),
    )


def classify_csv(
    in_path: str | Path, *, text_column: str, out_path: str | Path, triager: Triager
) -> int:
    """Triage every row of a CSV, streamed in chunks, and write OUTPUT_COLUMNS to `out_path`:
    id (the input's `id` column when present, else the 1-based row number), sector,
    sector_confidence, kind, is_complaint (probability), urgency. Returns rows written.

    Raises InputError for a missing or empty file or a missing text column."""
    path = Path(in_path)
    header = _columns(path)
    _require(path, header, text_column)
    has_id = "id" in header
    columns = list(dict.fromkeys([text_column, "id"] if has_id else [text_column]))
    written = 0
    target = Path(out_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(OUTPUT_COLUMNS)
        for chunk in _chunks(path, columns):
            ids = list(chunk["id"]) if has_id else range(written + 1, written + len(chunk) + 1)
            for row_id, t in zip(ids, triager.triage(list(chunk[text_column])), strict=True):
                out.writerow(
                    (
                        row_id,
                        t.sector,
                        f"{t.sector_confidence:.4f}",
                        t.kind,
                        f"{t.complaint_score:.4f}",
                        t.urgency,
                    )
                )
            written += len(chunk)
    return written
