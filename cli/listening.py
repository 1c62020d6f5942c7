"""Listening commands: listen, import, export, quarantine, status."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from cli.common import parse_date, session_factory, where
from core.clock import local
from core.errors import InputError
from core.models import QuarantineItem
from core.settings import Settings


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
    factory = session_factory(settings)
    for name in names:
        out = poll_once(name, settings, factory)
        r = out.result
        print(
            f"{name}: {out.status} — {r.inserted} new, {r.updated} updated, "
            f"{r.quarantined} quarantined{(' — ' + out.detail) if out.detail else ''}"
        )
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
        session_factory(settings),
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

    since = parse_date(args.since) if args.since else None
    count = export_mentions(session_factory(settings), Path(args.out), since=since)
    print(f"wrote {count} mentions to {args.out}")
    return 0


def cmd_quarantine(args: argparse.Namespace, settings: Settings) -> int:
    factory = session_factory(settings)
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
    print(f"{'Store':22} {where(settings)}")
    return 0
