"""Lead-queue benchmark: claims/s with N worker threads draining a queue, on SQLite and PostgreSQL.

    python bench/lead_queue.py [--leads 10000] [--workers 8] [--postgres URL] [--no-postgres]

Each worker has its own engine and sessions (as a separate process would) and calls
`SqlLeadQueue.claim_next` until the queue is empty; a claim is one transaction (pick the lead,
conditional UPDATE, audit entry, commit). Checks every lead was claimed exactly once.
See bench/QUEUE.md for the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

from sqlalchemy import insert, select, text, update  # noqa: E402

from core.casework import Lead  # noqa: E402
from core.db import make_engine, make_sessionmaker, transaction, upgrade  # noqa: E402
from core.models import Mention  # noqa: E402
from handler.queue import SqlLeadQueue  # noqa: E402

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def fill(url: str, count: int) -> None:
    """Store `count` mentions with one open lead each (random ranks, each its own group)."""
    rng = random.Random(7)
    engine = make_engine(url)
    with transaction(make_sessionmaker(engine)) as s:
        s.execute(
            insert(Mention.__table__),
            [
                {"platform": "x", "external_id": str(i), "kind": "post",
                 "text": f"Jalan rusak nomor {i}, mohon diperbaiki", "created_at": NOW,
                 "listener": "bench", "retrieved_at": NOW, "first_seen_at": NOW,
                 "hashtags": [], "mentioned": [], "metrics": {}, "media_urls": [], "raw": {}}
                for i in range(count)
            ],
        )  # fmt: skip
        ids = s.scalars(select(Mention.id).order_by(Mention.id)).all()
        s.execute(
            insert(Lead.__table__),
            [
                {"mention_id": mid, "state": "open", "complaint_score": 0.5,
                 "kind_confidence": 0.5, "sector_confidence": 0.5, "urgency": "normal",
                 "rank": rng.random(), "pii": [], "triaged_at": NOW, "updated_at": NOW}
                for mid in ids
            ],
        )  # fmt: skip
        # as triage stores them: each lead its own group (so every claim probes the group index)
        s.execute(update(Lead).values(cluster_id=Lead.id))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # what autovacuum / a migrated store has: planner statistics
    engine.dispose()


def drain(url: str, workers: int) -> tuple[float, list[list[int]]]:
    """Run `workers` threads claiming until the queue is empty; return (seconds, ids per worker)."""
    claimed: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers + 1)

    def work(n: int) -> None:
        engine = make_engine(url, pool_size=1)
        queue = SqlLeadQueue(make_sessionmaker(engine))
        try:
            barrier.wait()
            while (lead := queue.claim_next(f"handler{n}", NOW)) is not None:
                claimed[n].append(lead.id)
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    if errors:
        raise errors[0]
    return seconds, claimed


def measure(name: str, url: str, leads: int, workers: int) -> dict[str, object]:
    fill(url, leads)
    seconds, claimed = drain(url, workers)
    every = [i for part in claimed for i in part]
    return {
        "store": name,
        "workers": workers,
        "leads": leads,
        "claimed": len(every),
        "twice": len(every) - len(set(every)),
        "lost": leads - len(set(every)),
        "s": seconds,
        "per_s": len(every) / seconds,
        "spread": f"{min(map(len, claimed))}-{max(map(len, claimed))}",
    }


def sqlite_run(leads: int, workers: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/queue.db"
        upgrade(url)
        return measure("SQLite", url, leads, workers)


def postgres_run(base: str, leads: int, workers: int) -> dict[str, object]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        url = f"{base}{sep}options=-csearch_path%3D{schema}"
        upgrade(url)
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one().split()[0]
        return measure(f"PostgreSQL {version}", url, leads, workers)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--postgres", default=os.environ.get("LAPOR_TEST_POSTGRES_URL"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    rows = []
    for workers in args.workers:
        rows.append(sqlite_run(args.leads, workers))
        if args.postgres and not args.no_postgres:
            rows.append(postgres_run(args.postgres, args.leads, workers))
    print(f"{os.cpu_count()} CPUs; {args.leads:,} leads; threads with their own engines\n")
    print("| store | workers | claims | twice | lost | s | claims/s | per worker |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['store']} | {r['workers']} | {r['claimed']:,} | {r['twice']} | {r['lost']} "
            f"| {r['s']:.1f} | **{r['per_s']:,.0f}** | {r['spread']} |"
        )
    if any(r["twice"] or r["lost"] for r in rows):
        sys.exit("a lead was claimed twice or lost")


if __name__ == "__main__":
    main()
