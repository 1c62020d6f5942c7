"""`db upgrade` and `demo seed`: the store made ready, and the demo loaded into it."""

from __future__ import annotations

import argparse

from cli.campaigns import seed_demo_campaigns
from cli.common import session_factory, where
from core.clock import utcnow
from core.db import transaction, upgrade
from core.mentions import save_batch
from core.settings import Settings


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from handler.routing import load_default

    upgrade(settings.database_url)
    print(f"database is up to date ({where(settings)})")
    loaded = load_default(session_factory(settings))
    if loaded:
        print(f"routing: loaded the default table ({loaded[0]} agencies, {loaded[1]} rules)")
    return 0


def cmd_demo_seed(args: argparse.Namespace, settings: Settings) -> int:
    from listeners.demo import history

    if not settings.demo_on():
        print("demo stream is off (a platform is configured); nothing loaded")
        return 0
    now = utcnow()
    batch = history(days=args.days, seed=settings.demo_seed, now=now)
    with transaction(session_factory(settings)) as session:
        result = save_batch(session, "demo", batch, now)
    print(
        f"demo history: {result.inserted} new mentions, {result.updated} already there, "
        f"{result.quarantined} quarantined"
    )
    made = seed_demo_campaigns(settings, now)
    print(f"demo campaigns: {made} posts" if made else "demo campaigns: already there")
    return 0
