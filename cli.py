"""The command line, installed as `lapor-social`: wires settings, store and services together."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import local, parse_iso, utcnow
from core.db import make_engine, make_sessionmaker, transaction, upgrade
from core.errors import InputError, LaporError
from core.logs import configure_logging
from core.mentions import save_batch
from core.models import QuarantineItem
from core.settings import Settings

log = logging.getLogger("lapor.cli")


def _factory(settings: Settings) -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(settings.database_url))


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from handler.routing import load_default

    upgrade(settings.database_url)
    print(f"database is up to date ({_where(settings)})")
    loaded = load_default(_factory(settings))
    if loaded:
        print(f"routing: loaded the default table ({loaded[0]} agencies, {loaded[1]} rules)")
    return 0


def _where(settings: Settings) -> str:
    path = settings.sqlite_path()
    if path is not None:
        return f"SQLite {path}"
    return "PostgreSQL" if settings.database_url.startswith("postgresql") else "database"


def cmd_demo_seed(args: argparse.Namespace, settings: Settings) -> int:
    from listeners.demo import history

    if not settings.demo_on():
        print("demo stream is off (a platform is configured); nothing loaded")
        return 0
    now = utcnow()
    batch = history(days=args.days, seed=settings.demo_seed, now=now)
    with transaction(_factory(settings)) as session:
        result = save_batch(session, "demo", batch, now)
    print(
        f"demo history: {result.inserted} new mentions, {result.updated} already there, "
        f"{result.quarantined} quarantined"
    )
    made = _seed_demo_campaigns(settings, now)
    print(f"demo campaigns: {made} posts" if made else "demo campaigns: already there")
    return 0


def _seed_demo_campaigns(settings: Settings, now: datetime) -> int:
    """Seed the demo campaigns, with a data-driven infographic in the media library."""
    from campaigns import demo
    from content import figures, media
    from content.infographic import Figure, InfographicSpec, assets_from_settings, render

    factory = _factory(settings)
    with factory() as session:
        if demo.exists(session):
            return 0
    shares = figures.sector_shares(factory, now=now, days=7)
    spec: Any = InfographicSpec(  # before the first triage there are no figures to chart
        title="Laporanmu ditindaklanjuti",
        subtitle="Batas waktu menurut Permen PANRB",
        figures=(Figure(value=settings.verify_working_days, label="verifikasi", unit="hari kerja"),
                 Figure(value=settings.followup_working_days, label="tindak lanjut instansi",
                        unit="hari kerja")),
        footer="lapor.go.id · SMS 1708",
    )  # fmt: skip
    if shares.sectors:
        spec = shares.chart(title="Laporan terbanyak minggu ini", hashtags=("BeraniLAPOR",))
    rendered = render(spec, "x", assets=assets_from_settings(settings))
    asset = media.save_rendered(factory, Path(settings.media_dir), rendered, actor=demo.CHAMPION,
                                now=now, title="Laporan terbanyak minggu ini (demo)")  # fmt: skip
    return demo.seed(factory, settings, now, media_id=asset.id)


def cmd_listen(args: argparse.Namespace, settings: Settings) -> int:
    from listeners.registry import REGISTRY, polled
    from listeners.service import poll_once

    enabled = {spec.name for spec in polled(settings)}
    for name in args.only or []:
        if name not in REGISTRY:
            raise InputError(f"There is no listener {name!r}; choose from {', '.join(REGISTRY)}.")
        if name not in enabled:
            raise InputError(f"Listener {name!r} is off: {REGISTRY[name].off_reason(settings)}.")
    names = args.only or sorted(enabled)
    if not names:
        raise InputError(
            "No listener is enabled; set a platform's keys or LAPOR_DEMO_ENABLED=true."
        )
    if not args.once:
        import scheduler

        scheduler.run(settings, persistent=False, only=names)
        return 0
    factory = _factory(settings)
    for name in names:
        out = poll_once(name, settings, factory)
        r = out.result
        print(
            f"{name}: {out.status} — {r.inserted} new, {r.updated} updated, "
            f"{r.quarantined} quarantined{(' — ' + out.detail) if out.detail else ''}"
        )
    return 0


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    import scheduler

    scheduler.run(settings, persistent=True)
    return 0


def _mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise InputError(f"--map takes FIELD=COLUMN (e.g. text=tweet), not {pair!r}.")
        mapping[field.strip()] = column.strip()
    return mapping


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from listeners.importer import import_file

    path = Path(args.file)
    if not path.is_file():
        raise InputError(f"There is no file {path}.")
    summary = import_file(
        path,
        _factory(settings),
        fmt=args.format,
        mapping=_mapping(args.map) or None,
        platform=args.platform,
        progress=not args.quiet,
        restart=args.restart,
    )
    if summary.resumed_from_line:
        print(f"resumed after line {summary.resumed_from_line} (use --restart to read it all)")
    print(
        f"{path.name} ({summary.format}): {summary.lines} lines — {summary.imported} imported, "
        f"{summary.updated} updated, {summary.quarantined} quarantined"
    )
    if summary.quarantined:
        print("see them with: lapor-social quarantine list")
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from core.export import export_mentions

    since = _parse_date(args.since) if args.since else None
    count = export_mentions(_factory(settings), Path(args.out), since=since)
    print(f"wrote {count} mentions to {args.out}")
    return 0


def _parse_date(text: str) -> datetime:
    try:
        return parse_iso(text if "T" in text or " " in text else f"{text}T00:00:00+07:00")
    except ValueError:
        raise InputError(f"{text!r} is not a date; use YYYY-MM-DD or an ISO timestamp.") from None


def cmd_quarantine(args: argparse.Namespace, settings: Settings) -> int:
    factory = _factory(settings)
    if args.action == "retry":
        from listeners.service import retry_quarantine

        result = retry_quarantine(factory, args.ids or None)
        print(f"retried {result.retried}: {result.resolved} stored, {result.still_bad} still bad")
        return 0
    with factory() as session:
        stmt = select(QuarantineItem).order_by(QuarantineItem.id.desc()).limit(args.limit)
        if not args.all:
            stmt = stmt.where(QuarantineItem.resolved_at.is_(None))
        rows = list(session.scalars(stmt))
    if not rows:
        print("quarantine is empty")
    for row in rows:
        when = local(row.received_at, settings.timezone).strftime("%Y-%m-%d %H:%M")
        state = "resolved" if row.resolved_at else f"open, {row.attempts} retries"
        raw = row.raw.replace("\n", " ")
        print(f"#{row.id} {when} {row.listener} ({state}): {row.reason}\n    {raw[:160]}")
    return 0


def _triager(settings: Settings, model: str | None = None) -> Any:
    from handler.triage import Triager

    path = model or settings.triage_model_path
    return Triager.load(path) if path else Triager.default()


def cmd_triage(args: argparse.Namespace, settings: Settings) -> int:
    from handler.service import triage_new_mentions

    made = triage_new_mentions(
        _factory(settings), _triager(settings).triage, utcnow(), limit=args.limit
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

    agencies, rules = import_agencies(_factory(settings), Path(args.file))
    print(f"routing table replaced: {agencies} agencies, {rules} rules")
    return 0


def cmd_forward(args: argparse.Namespace, settings: Settings) -> int:
    from handler.forward import forward_pending

    if not settings.lapor_core_url:
        print("LAPOR_CORE_URL is not set: reports stay in this queue, which is the core")
        return 0
    result = forward_pending(_factory(settings), settings, utcnow())
    print(f"forwarded: {result.sent} sent, {result.retry} to retry, {result.failed} failed")
    return 0


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from campaigns.publishers.registry import Publishers
    from campaigns.schedule import run_due

    factory = _factory(settings)
    result = run_due(factory, Publishers(settings, factory), settings, utcnow)
    print(
        f"published {result.published}, to retry {result.retry}, failed {result.failed}, "
        f"unknown {result.unknown}, missed {result.missed}, looked up {result.reconciled}"
    )
    return 0


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from campaigns.metrics import collect
    from campaigns.publishers.registry import Publishers

    factory = _factory(settings)
    stored = collect(factory, Publishers(settings, factory), utcnow(), days=settings.metrics_days,
                     every=timedelta(minutes=args.every))  # fmt: skip
    print(f"stored {stored} metrics snapshots")
    return 0


def cmd_campaigns(args: argparse.Namespace, settings: Settings) -> int:
    from campaigns.views import campaign_rows

    factory = _factory(settings)
    today = local(utcnow(), settings.timezone).date()
    if args.action == "list":
        with factory() as session:
            rows = campaign_rows(session, today)
        for c in rows:
            tags = " ".join(f"#{t}" for t in c.hashtags)
            print(f"{c.id:4} {c.phase:9} {c.starts_on} – {c.ends_on}  {c.name}  {tags}  "
                  f"({c.published}/{c.posts} posts published)")  # fmt: skip
        if not rows:
            print("no campaigns yet")
        return 0
    from campaigns import report
    from campaigns.evaluate import evaluate

    if args.id is None or not args.out:
        raise InputError("campaigns report needs the campaign id and --out FOLDER.")
    as_of = _parse_date(args.as_of).date() if args.as_of else today
    with factory() as session:
        result = evaluate(session, args.id, as_of, comparison_region=args.compare)
    for path in report.write_all(result, Path(args.out)):
        print(f"wrote {path}")
    print(result.verdict)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from campaigns.publishers.registry import missing
    from core.outreach import PUBLISH_CHANNELS
    from listeners.registry import REGISTRY

    for spec in REGISTRY.values():
        reason = spec.off_reason(settings)
        print(f"{spec.label:22} {'off — ' + reason if reason else 'on'}")
    for channel in PUBLISH_CHANNELS:
        why = missing(channel, settings)
        print(f"{'Publishing on ' + channel:22} {'console — ' + why if why else 'live'}")
    print(f"{'Store':22} {_where(settings)}")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the console, the scheduler and the webhook receiver; stop all when one stops."""
    bin_dir = Path(sys.executable).parent
    here = Path(__file__).resolve().parent
    commands = {
        "scheduler": [str(bin_dir / "lapor-social"), "scheduler"],
        "webhooks": [
            str(bin_dir / "uvicorn"),
            "listeners.webhooks:app",
            "--host",
            settings.webhook_host,
            "--port",
            str(settings.webhook_port),
            "--no-access-log",
        ],
        "console": [
            str(bin_dir / "streamlit"),
            "run",
            str(here / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(settings.console_port),
            "--browser.gatherUsageStats",
            "false",
        ],
    }
    procs = {name: subprocess.Popen(cmd, cwd=os.getcwd()) for name, cmd in commands.items()}
    print(
        f"console  http://localhost:{settings.console_port}\n"
        f"webhooks http://{settings.webhook_host}:{settings.webhook_port}/webhooks/(line|messenger|telegram)\n"
        "Ctrl-C stops everything."
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with code {proc.returncode}; stopping the others")
                code, stopping = proc.returncode or 1, True
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return code


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


if __name__ == "__main__":
    sys.exit(main())
