"""Kill -9 the scheduler while it publishes: every post goes out exactly once after restarts."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from core.clock import utcnow
from core.db import transaction
from core.outreach import Campaign, ConsolePost, Post, PostVariant

pytestmark = pytest.mark.slow
CHANNELS = ("x", "facebook", "telegram")


def schedule_many(factory, count: int, first_at, spread: float) -> list[str]:
    """Store `count` approved posts due over `spread` seconds; return their version keys."""
    rng = random.Random(11)
    with transaction(factory) as s:
        campaign = Campaign(name="restart", hashtags=[], plan={}, created_by="t",
                            created_at=first_at, updated_at=first_at)  # fmt: skip
        s.add(campaign)
        s.flush()
        s.execute(insert(Post), [
            {"campaign_id": campaign.id, "title": f"p{i}", "state": "scheduled",
             "scheduled_at": first_at + timedelta(seconds=rng.uniform(0, spread)),
             "author": "sari", "edited_by": "sari", "approved_by": "budi", "approved_at": first_at,
             "approved_version": 1, "version": 1, "created_at": first_at, "updated_at": first_at}
            for i in range(count)
        ])  # fmt: skip
        ids = s.scalars(select(Post.id)).all()
        rows = [{"post_id": p, "channel": ch, "text": f"Ajakan {p} #BeraniLAPOR", "state": "pending",
                 "attempts": 0, "round_attempts": 0} for p in ids for ch in CHANNELS]  # fmt: skip
        s.execute(insert(PostVariant), rows)
    return sorted(f"post:{r['post_id']}:{r['channel']}" for r in rows)


def test_killing_the_scheduler_mid_publish_posts_each_version_exactly_once(factory, db_url, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")},
        "LAPOR_DATABASE_URL": db_url,
        "LAPOR_DEMO_ENABLED": "false",
        "LAPOR_CONSOLE_PUBLISH_LATENCY_MS": "40",  # wide windows between claim and settle
    }
    keys = schedule_many(factory, 120, utcnow() + timedelta(seconds=2), spread=6)
    tool = str(Path(sys.executable).parent / "lapor-social")
    rng = random.Random(5)

    def start():
        return subprocess.Popen([tool, "scheduler"], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    for _ in range(3):
        proc = start()
        time.sleep(rng.uniform(2.5, 4.5))
        proc.send_signal(signal.SIGKILL)  # mid-call, mid-commit: no clean shutdown
        proc.wait()
    proc = start()
    try:
        deadline = time.monotonic() + 90  # lookups of killed calls wait 30 s before asking
        while time.monotonic() < deadline:
            with factory() as s:
                open_posts = s.scalars(
                    select(Post.id).where(Post.state.not_in(("published", "failed")))
                ).all()
            if not open_posts:
                break
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    with factory() as s:
        posted = Counter(s.scalars(select(ConsolePost.variant_key)))
        states = Counter(s.scalars(select(Post.state)))
    assert [k for k, n in posted.items() if n > 1] == [], "no version was posted twice"
    assert sorted(posted) == keys, "every version was posted"
    assert states == {"published": 120}
