"""Campaign commands: publish, metrics, campaigns list/report, and the demo campaigns."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cli.common import parse_date, session_factory
from core.clock import local, utcnow
from core.errors import InputError
from core.settings import Settings


def seed_demo_campaigns(settings: Settings, now: datetime) -> int:
    """Seed the demo campaigns, with a data-driven infographic in the media library."""
    from campaigns import demo
    from content import figures, media
    from content.infographic import Figure, InfographicSpec, assets_from_settings, render

    factory = session_factory(settings)
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


def cmd_publish(args: argparse.Namespace, settings: Settings) -> int:
    from campaigns.publishers.registry import Publishers
    from campaigns.schedule import run_due

    factory = session_factory(settings)
    result = run_due(factory, Publishers(settings, factory), settings, utcnow)
    print(
        f"published {result.published}, to retry {result.retry}, failed {result.failed}, "
        f"unknown {result.unknown}, missed {result.missed}, looked up {result.reconciled}"
    )
    return 0


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:

    from campaigns.metrics import collect
    from campaigns.publishers.registry import Publishers

    factory = session_factory(settings)
    stored = collect(factory, Publishers(settings, factory), utcnow(), days=settings.metrics_days,
                     every=timedelta(minutes=args.every))  # fmt: skip
    print(f"stored {stored} metrics snapshots")
    return 0


def cmd_campaigns(args: argparse.Namespace, settings: Settings) -> int:
    from campaigns.views import campaign_rows

    factory = session_factory(settings)
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
    as_of = parse_date(args.as_of).date() if args.as_of else today
    with factory() as session:
        result = evaluate(session, args.id, as_of, comparison_region=args.compare)
    for path in report.write_all(result, Path(args.out)):
        print(f"wrote {path}")
    print(result.verdict)
    return 0
