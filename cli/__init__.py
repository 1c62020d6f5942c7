"""The command line, installed as `lapor-social`: wires settings, store and services together."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cli.campaigns import cmd_campaigns, cmd_metrics, cmd_publish
from cli.handling import cmd_agencies, cmd_classify, cmd_forward, cmd_train, cmd_triage
from cli.listening import cmd_export, cmd_import, cmd_listen, cmd_quarantine, cmd_status
from cli.run import cmd_run, cmd_scheduler
from cli.store import cmd_db, cmd_demo_seed
from core.errors import LaporError
from core.logs import configure_logging
from core.settings import Settings


def parser() -> argparse.ArgumentParser:
    """Return the argument parser of `lapor-social`."""
    p = argparse.ArgumentParser(prog="lapor-social", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade"])
    db.set_defaults(func=cmd_db)

    demo = sub.add_parser("demo", help="demo data")
    demo.add_argument("action", choices=["seed"])
    demo.add_argument("--days", type=int, default=7)
    demo.set_defaults(func=cmd_demo_seed)

    sub.add_parser("run", help="start console, scheduler and webhooks").set_defaults(func=cmd_run)
    sub.add_parser("scheduler", help="the one scheduler process").set_defaults(func=cmd_scheduler)
    sub.add_parser("status", help="which channels are on").set_defaults(func=cmd_status)

    listen = sub.add_parser("listen", help="poll the enabled listeners")
    listen.add_argument("--once", action="store_true", help="poll each listener once and exit")
    listen.add_argument("--only", action="append", metavar="NAME", help="only this listener")
    listen.set_defaults(func=cmd_listen)

    imp = sub.add_parser("import", help="import a twarc2 JSONL, X API v2 JSON or CSV file")
    imp.add_argument("file")
    imp.add_argument(
        "--format", choices=["twarc2-pages", "twarc2-flat", "x-v2-json", "csv"], default=None
    )
    imp.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN")
    imp.add_argument("--platform", default="x", help="platform of CSV rows (default x)")
    imp.add_argument("--restart", action="store_true", help="read from the start, not resume")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export", help="export mentions to JSONL or CSV")
    exp.add_argument("what", choices=["mentions"])
    exp.add_argument("--out", required=True)
    exp.add_argument("--since", help="YYYY-MM-DD (Asia/Jakarta) or ISO timestamp")
    exp.set_defaults(func=cmd_export)

    tri = sub.add_parser("triage", help="triage stored mentions into leads once")
    tri.add_argument("--limit", type=int, default=2000)
    tri.set_defaults(func=cmd_triage)

    train = sub.add_parser("train", help="train a triage model on your own report history")
    train.add_argument("--in", dest="input", required=True, metavar="FILE.csv")
    train.add_argument("--text-column", required=True)
    train.add_argument("--label-column", required=True)
    train.add_argument("--task", choices=["sector", "kind", "complaint"], default="sector")
    train.add_argument("--folds", type=int, default=5)
    train.add_argument("--out", required=True, metavar="MODEL")
    train.set_defaults(func=cmd_train)

    cls = sub.add_parser("classify", help="classify every row of a CSV")
    cls.add_argument("--in", dest="input", required=True, metavar="FILE.csv")
    cls.add_argument("--text-column", required=True)
    cls.add_argument("--out", required=True, metavar="OUT.csv")
    cls.add_argument("--model", help="a model from `lapor-social train` (default: shipped)")
    cls.set_defaults(func=cmd_classify)

    ag = sub.add_parser("agencies", help="the routing table")
    ag.add_argument("action", choices=["import"])
    ag.add_argument("file", help="YAML or CSV routing table")
    ag.set_defaults(func=cmd_agencies)

    sub.add_parser("forward", help="forward reports to the LAPOR! core once").set_defaults(
        func=cmd_forward
    )

    sub.add_parser(
        "publish", help="publish the posts due now, each once (the scheduler does it every second)"
    ).set_defaults(func=cmd_publish)
    met = sub.add_parser("metrics", help="snapshot the figures of our recent posts once")
    met.add_argument(
        "--every", type=int, default=30, help="skip posts snapshotted this recently (minutes)"
    )
    met.set_defaults(func=cmd_metrics)

    camp = sub.add_parser("campaigns", help="list campaigns, or export a campaign's report")
    camp.add_argument("action", choices=["list", "report"])
    camp.add_argument("id", nargs="?", type=int)
    camp.add_argument("--out", help="folder for report.pdf, report.html, charts and CSV")
    camp.add_argument("--as-of", help="YYYY-MM-DD (Asia/Jakarta); default today")
    camp.add_argument("--compare", help="a comparison region code outside the campaign's")
    camp.set_defaults(func=cmd_campaigns)

    q = sub.add_parser("quarantine", help="items that could not be parsed")
    q.add_argument("action", choices=["list", "retry"])
    q.add_argument("ids", nargs="*", type=int)
    q.add_argument("--all", action="store_true", help="include resolved items")
    q.add_argument("--limit", type=int, default=50)
    q.set_defaults(func=cmd_quarantine)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run `lapor-social`; a person's mistake prints one sentence and exits 2."""
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValueError as exc:
        print(f"lapor-social: a setting is wrong: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        return int(args.func(args, settings) or 0)
    except LaporError as exc:
        print(f"lapor-social: {settings.redact(str(exc))}", file=sys.stderr)
        return 2
