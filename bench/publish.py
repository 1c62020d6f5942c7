"""Publishing benchmark: a day of scheduled posts, the scheduler killed mid-run, each post once.

    python bench/publish.py [--posts 10000] [--span 600] [--latency-ms 20] [--kill-at 0.4]
                            [--postgres URL | --sqlite]

1. Stores `--posts` approved, scheduled posts (1-3 channel versions each) whose times follow a
   communication office's day in Asia/Jakarta (morning, noon and evening peaks, times on
   5-minute marks as people pick them), with that day compressed into `--span` real seconds:
   bursts of posts fall due at the same instant, harder than the real day.
2. Starts the real scheduler process (`lapor-social scheduler`, the console publisher with a
   simulated round trip of `--latency-ms`), SIGKILLs it at `--kill-at` of the span (calls in
   flight), restarts it at once, and waits until every post has settled.
3. Counts the console timeline: every version published exactly once; lateness = the
   console's publish time - the post's time, p50/p95/p99/max, overall and for posts not due
   during the outage.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from sqlalchemy import func, insert, select, text  # noqa: E402

from core.clock import utcnow  # noqa: E402
from core.db import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from core.outreach import Campaign, ConsolePost, Post, PostVariant, PublishAttempt  # noqa: E402

# Relative posting activity per hour of an office day (WIB): morning, noon and evening peaks.
HOURS = (0, 0, 0, 0, 0, 1, 3, 8, 6, 4, 4, 5, 8, 5, 3, 3, 5, 4, 6, 8, 6, 3, 1, 0)
CHANNELS = ("x", "facebook", "telegram")
FINAL = ("published", "failed", "cancelled")
RECOVERY = 30  # seconds after the kill reported apart: the restart and its catch-up


def day_offsets(count: int, rng: random.Random) -> list[float]:
    """Return `count` seconds-into-the-day on 5-minute marks, following HOURS."""
    hours = rng.choices(range(24), weights=HOURS, k=count)
    return sorted(h * 3600 + rng.randrange(12) * 300 for h in hours)


def fill(url: str, count: int, start: datetime, span: float, seed: int = 7) -> int:
    """Store `count` scheduled posts over [start, start + span); return the versions stored."""
    rng = random.Random(seed)
    factory = make_sessionmaker(make_engine(url))
    offsets = day_offsets(count, rng)
    scale = span / 86400
    with transaction(factory) as s:
        campaign = Campaign(name="bench", hashtags=["beranilapor"], plan={}, created_by="bench",
                            created_at=start, updated_at=start)  # fmt: skip
        s.add(campaign)
        s.flush()
        s.execute(
            insert(Post),
            [
                {"campaign_id": campaign.id, "title": f"post {i}", "state": "scheduled",
                 "scheduled_at": start + timedelta(seconds=off * scale), "version": 1,
                 "author": "sari", "edited_by": "sari", "approved_by": "budi",
                 "approved_at": start, "approved_version": 1, "created_at": start,
                 "updated_at": start}
                for i, off in enumerate(offsets)
            ],
        )  # fmt: skip
        post_ids = s.scalars(select(Post.id).order_by(Post.id)).all()
        versions = [
            {"post_id": pid, "channel": ch, "text": f"Ajakan {pid} #BeraniLAPOR lapor.go.id",
             "state": "pending", "attempts": 0, "round_attempts": 0}
            for pid in post_ids
            for ch in rng.sample(CHANNELS, rng.randint(1, 3))
        ]  # fmt: skip
        s.execute(insert(PostVariant), versions)
    return len(versions)


def start_scheduler(url: str, latency_ms: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")}
    env |= {
        "LAPOR_DATABASE_URL": url,
        "LAPOR_DEMO_ENABLED": "false",
        "LAPOR_CONSOLE_PUBLISH_LATENCY_MS": str(latency_ms),
        "LAPOR_PUBLISH_MISFIRE_GRACE_MINUTES": "60",
    }
    tool = str(Path(sys.executable).parent / "lapor-social")
    log = open(workdir / "scheduler.log", "ab")  # noqa: SIM115 (the child keeps it)
    return subprocess.Popen([tool, "scheduler"], env=env, cwd=workdir, stdout=log, stderr=log)


def settled(url: str) -> tuple[int, int]:
    factory = make_sessionmaker(make_engine(url))
    with factory() as s:
        total = s.scalar(select(func.count()).select_from(Post)) or 0
        done = s.scalar(select(func.count()).select_from(Post).where(Post.state.in_(FINAL))) or 0
    return done, total


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def report(url: str, kill: datetime | None) -> dict[str, object]:
    """Count each version's console posts and its lateness, overall and by phase: before the
    kill, in the RECOVERY seconds after it, later. The versions whose call was in flight at the
    kill wait 30 s for their lookup and are counted apart."""
    factory = make_sessionmaker(make_engine(url))
    with factory() as s:
        rows = s.execute(
            select(PostVariant.id, PostVariant.post_id, PostVariant.channel, PostVariant.state,
                   Post.scheduled_at).join(Post, Post.id == PostVariant.post_id)
        ).all()  # fmt: skip
        console = s.execute(select(ConsolePost.variant_key, ConsolePost.published_at)).all()
        in_flight = set(
            s.scalars(
                select(PublishAttempt.variant_id)
                .where(PublishAttempt.error == "the publishing process stopped during the call")
            )
        )  # fmt: skip
    times: dict[str, list[datetime]] = {}
    for key, at in console:
        times.setdefault(key, []).append(at)
    late_by = [
        (vid, due, (min(got) - due).total_seconds())
        for vid, pid, ch, _state, due in rows
        if (got := times.get(f"post:{pid}:{ch}"))
    ]
    lateness = [late for _, _, late in late_by]
    steady = [late for vid, _, late in late_by if vid not in in_flight]
    copies = Counter(len(times.get(f"post:{pid}:{ch}", [])) for _, pid, ch, _, _ in rows)
    out: dict[str, object] = {
        "versions": len(rows),
        "published once": copies.get(1, 0),
        "published twice or more": sum(n for k, n in copies.items() if k > 1),
        "never published": copies.get(0, 0),
        "states": dict(Counter(state for *_, state, _ in rows)),
        "calls in flight at the kill (settled by lookup)": len(in_flight),
        "lateness s p50/p95/p99/max, all": _quantiles(lateness),
        "  without the calls in flight at the kill": _quantiles(steady),
    }
    if kill is not None:
        after = kill + timedelta(seconds=RECOVERY)
        phases = {
            "  due before the kill": lambda due: due < kill,
            f"  due in the {RECOVERY} s after the kill (restart, catch-up)": (
                lambda due: kill <= due < after
            ),
            "  due later": lambda due: due >= after,
        }
        for name, test in phases.items():
            chosen = [late for vid, due, late in late_by if vid not in in_flight and test(due)]
            out[f"{name} ({len(chosen)})"] = _quantiles(chosen)
    return out


def _quantiles(values: list[float]) -> list[float]:
    return [round(pct(values, q), 3) for q in (0.5, 0.95, 0.99, 1)]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--posts", type=int, default=10_000)
    p.add_argument(
        "--span", type=float, default=600.0, help="real seconds the day is compressed into"
    )
    p.add_argument("--latency-ms", type=int, default=20)
    p.add_argument("--kill-at", type=float, default=0.4, help="fraction of the span; 0: no kill")
    p.add_argument("--lead", type=float, default=20.0, help="seconds before the first post")
    p.add_argument("--postgres", default=None, help="PostgreSQL URL (default: SQLite)")
    args = p.parse_args()

    workdir = ROOT / "bench" / "out" / "publish"
    workdir.mkdir(parents=True, exist_ok=True)
    schema = None
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.postgres)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = (
            f"{args.postgres}{'&' if '?' in args.postgres else '?'}options=-csearch_path%3D{schema}"
        )
    else:
        db = workdir / "publish.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{db}"
    try:
        upgrade(url)
        start = utcnow() + timedelta(seconds=args.lead)
        versions = fill(url, args.posts, start, args.span)
        print(
            f"{args.posts} posts, {versions} versions due over {args.span:.0f} s from {start:%H:%M:%S} UTC"
        )
        proc = start_scheduler(url, args.latency_ms, workdir)
        down = None
        if args.kill_at > 0:
            kill_at = start + timedelta(seconds=args.span * args.kill_at)
            while utcnow() < kill_at:
                time.sleep(0.05)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            down = utcnow()
            print(f"killed the scheduler at {down:%H:%M:%S.%f} UTC; restarting")
            proc = start_scheduler(url, args.latency_ms, workdir)
        deadline = start + timedelta(seconds=args.span + 600)
        while utcnow() < deadline:
            done, total = settled(url)
            if done == total and utcnow() > start + timedelta(seconds=args.span):
                break
            time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        for name, value in report(url, down).items():
            print(f"{name:64} {value}")
    finally:
        if schema:
            with make_engine(args.postgres).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


if __name__ == "__main__":
    main()
