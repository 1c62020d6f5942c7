"""Handling commands: triage, train, classify, agencies, forward."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cli.common import session_factory
from core.clock import utcnow
from core.settings import Settings


def _triager(settings: Settings, model: str | None = None) -> Any:
    from handler.triage import Triager

    path = model or settings.triage_model_path
    return Triager.load(path) if path else Triager.default()


def cmd_triage(args: argparse.Namespace, settings: Settings) -> int:
    from handler.service import triage_new_mentions

    made = triage_new_mentions(
        session_factory(settings), _triager(settings).triage, utcnow(), limit=args.limit
    )
    print(f"triage: {made} new leads")
    return 0


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from handler.training import train_from_csv

    report = train_from_csv(
        args.input, text_column=args.text_column, label_column=args.label_column,
        task=args.task, out_path=args.out, folds=args.folds,
    )  # fmt: skip
    print(
        f"trained {report.task} on {report.rows} rows ({report.skipped} skipped), "
        f"{len(report.classes)} classes; {report.folds}-fold cross-validation: "
        f"macro-F1 {report.macro_f1:.3f}, accuracy {report.accuracy:.3f}"
    )
    for label in report.classes:
        print(
            f"  {label:24} {report.counts.get(label, 0):6} rows  F1 {report.f1.get(label, 0):.3f}"
        )
    print(
        f"model written to {report.out_path}; use it with LAPOR_TRIAGE_MODEL_PATH={report.out_path}"
    )
    return 0


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from handler.training import classify_csv

    count = classify_csv(
        args.input, text_column=args.text_column, out_path=args.out,
        triager=_triager(settings, args.model),
    )  # fmt: skip
    print(f"classified {count} rows into {args.out}")
    return 0


def cmd_agencies(args: argparse.Namespace, settings: Settings) -> int:
    from handler.routing import import_agencies

    agencies, rules = import_agencies(session_factory(settings), Path(args.file))
    print(f"routing table replaced: {agencies} agencies, {rules} rules")
    return 0


def cmd_forward(args: argparse.Namespace, settings: Settings) -> int:
    from handler.forward import forward_pending

    if not settings.lapor_core_url:
        print("LAPOR_CORE_URL is not set: reports stay in this queue, which is the core")
        return 0
    result = forward_pending(session_factory(settings), settings, utcnow())
    print(f"forwarded: {result.sent} sent, {result.retry} to retry, {result.failed} failed")
    return 0
