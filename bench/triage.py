"""Triage benchmark: sector quality of the shipped default and of a trained model, and speed.

    python bench/triage.py [--data ../shared/data/surabaya_complaints.csv] [--folds 5]

Nothing trained on the data is kept: the trained model lives in a temporary directory.
See bench/TRIAGE.md for the figures and what they mean.
"""

from __future__ import annotations

import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core, as the target says

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from handler.model import score  # noqa: E402
from handler.training import train_from_csv  # noqa: E402
from handler.triage import Triager  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "surabaya_complaints.csv"
HELD_MONTHS = ("2023-04", "2023-05", "2023-06")
MIN_TEST_ROWS = 20


def held_out_districts(districts: list[str], every: int = 5, count: int = 6) -> list[str]:
    """Return every 5th district in name order, the first 6 of them: deterministic."""
    return sorted(set(districts))[::every][:count]


def sector_figures(truth: list[str], predicted: list[str], min_rows: int = 1) -> dict[str, float]:
    """Return macro-F1 and accuracy over the sectors with at least `min_rows` true rows."""
    counts = Counter(truth)
    keep = [i for i, t in enumerate(truth) if counts[t] >= min_rows]
    report = score([truth[i] for i in keep], [predicted[i] for i in keep])
    return {
        "macro_f1": report.macro_f1,
        "accuracy": report.accuracy,
        "sectors": len(report.classes),
        "rows": len(keep),
        "per_sector": report.f1,
    }


def trained_split(
    name: str, train: pd.DataFrame, test: pd.DataFrame, folds: int, tmp: Path
) -> dict:
    """Train with train_from_csv on `train`, classify `test`; return the figures."""
    train_csv, bundle = tmp / f"{name}-train.csv", tmp / f"{name}.joblib"
    train[["id", "text", "sector"]].to_csv(train_csv, index=False)
    started = time.perf_counter()
    report = train_from_csv(
        train_csv,
        text_column="text",
        label_column="sector",
        task="sector",
        out_path=bundle,
        folds=folds,
    )
    seconds = time.perf_counter() - started
    triager = Triager.load(bundle, cache_dir=tmp / "models")
    predicted = [t.sector for t in triager.triage(test.text.tolist())]
    figures = sector_figures(test.sector.tolist(), predicted, MIN_TEST_ROWS)
    figures.update(
        train_rows=len(train),
        test_rows=len(test),
        cv_macro_f1=report.macro_f1,
        train_seconds=seconds,
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--skip-trained", action="store_true", help="only the default model and speed"
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (pass --data PATH to the Surabaya complaints CSV)")
        return 0
    data = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    texts = data.text.tolist()

    started = time.perf_counter()
    default = Triager.default()
    load_seconds = time.perf_counter() - started
    # Speed on texts the process has not seen: "cold" on one half with empty token caches,
    # "steady" on the other half once the first half warmed the caches (a running process).
    first, second = texts[::2], texts[1::2]
    wall, cpu = time.perf_counter(), time.process_time()
    default.triage(first)
    cold = (len(first) / (time.perf_counter() - wall), len(first) / (time.process_time() - cpu))
    wall, cpu = time.perf_counter(), time.process_time()
    default.triage(second)
    warm = (len(second) / (time.perf_counter() - wall), len(second) / (time.process_time() - cpu))
    result = default.triage(texts)
    whole = sector_figures(data.sector.tolist(), [t.sector for t in result])
    leads = sum(t.complaint_score >= 0.5 for t in result) / len(result)
    kinds = Counter(t.kind for t in result)

    print(
        f"data: {args.data} ({len(data):,} rows); default model {default.version} "
        f"(ready in {load_seconds:.1f} s)\n"
    )
    print("| measurement | test rows | sectors | macro-F1 | accuracy | target |")
    print("|---|---:|---:|---:|---:|---|")
    print(
        f"| default model, whole file | {whole['rows']:,} | {whole['sectors']} | "
        f"{whole['macro_f1']:.3f} | {whole['accuracy']:.3f} | macro-F1 >= 0.60 |"
    )
    splits = {}
    if not args.skip_trained:
        month = data.reported_at.str[:7]
        held = held_out_districts(data.district.tolist())
        by_district = data.district.isin(held)
        by_month = month.isin(HELD_MONTHS)
        with tempfile.TemporaryDirectory(prefix="lapor-bench-") as tmp:
            splits["districts"] = trained_split(
                "districts", data[~by_district], data[by_district], args.folds, Path(tmp)
            )
            splits["months"] = trained_split(
                "months", data[~by_month], data[by_month], args.folds, Path(tmp)
            )
        for name, label in (
            ("districts", f"held-out districts ({', '.join(held)})"),
            ("months", f"held-out months {HELD_MONTHS[0]}..{HELD_MONTHS[-1]}"),
        ):
            f = splits[name]
            print(
                f"| trained (`train`), {label} | {f['rows']:,} | {f['sectors']} | "
                f"{f['macro_f1']:.3f} | {f['accuracy']:.3f} | macro-F1 >= 0.70 |"
            )
    print(
        f"\nspeed, one core, default model, unseen texts ({len(first):,} each): cold {cold[0]:,.0f} texts/s wall "
        f"({cold[1]:,.0f} per CPU second), steady {warm[0]:,.0f} texts/s wall ({warm[1]:,.0f} per CPU "
        "second); target >= 5,000"
    )
    print(
        f"default model: {leads:.1%} of these complaints score >= 0.5 as a lead; kinds {dict(kinds)}"
    )
    print(
        "\nper-sector F1 (default, whole file):",
        ", ".join(f"{s} {v:.2f}" for s, v in sorted(whole["per_sector"].items())),
    )
    for name, f in splits.items():
        print(
            f"per-sector F1 (trained, {name}; sectors with >= {MIN_TEST_ROWS} test rows):",
            ", ".join(f"{s} {v:.2f}" for s, v in sorted(f["per_sector"].items())),
            f"| train rows {f['train_rows']:,}, cross-validated macro-F1 {f['cv_macro_f1']:.3f}, "
            f"train+CV {f['train_seconds']:.0f} s",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
