"""Evaluation benchmark: a campaign's figures over a million mentions, on SQLite and PostgreSQL.

    python bench/evaluate.py [--backend sqlite|postgresql|both] [--mentions 1000000]
        [--reports 100000] [--runs 7] [--postgres URL] [--rebuild] [--index NAME ...]

Builds a year of data (mentions with their hashtag rows and leads, reports across regions and
sectors, a campaign with published posts and their metric snapshots), then times
`campaigns.figures.campaign_figures` for an 8-week campaign with its baseline, its after window
and a comparison region. The SQLite file is cached under bench/out/evaluate/ (per size);
PostgreSQL gets a fresh schema, dropped afterwards. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from sqlalchemy import text  # noqa: E402

from core.db import SQLITE_PRAGMAS, make_engine, make_sessionmaker, upgrade  # noqa: E402

OUT = ROOT / "bench" / "out" / "evaluate"
YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
STARTS_ON, ENDS_ON = date(2026, 9, 7), date(2026, 11, 1)  # 8 weeks, Monday to Sunday
TODAY = date(2026, 11, 29)  # four weeks after the end: baseline, campaign and after windows
CAMPAIGN_TAGS = ("beranilapor", "ayoklapor")
OTHER_TAGS = ("pelayananpublik", "surabaya", "pln", "bansos")
REGION, COMPARISON = "35", "33"  # Jawa Timur against Jawa Tengah
PROVINCES = {"31": 6, "32": 27, "33": 35, "34": 5, "35": 38, "36": 8}  # regencies each
SECTORS = (
    "infrastruktur", "kependudukan", "sosial", "pendidikan", "kesehatan", "energi",
    "keuangan_aset", "pertanian", "kepegawaian", "lingkungan", "ekonomi_industri", "bencana",
    "pariwisata_budaya", "lainnya",
)  # fmt: skip
PLATFORMS = ("x",) * 12 + ("facebook",) * 5 + ("telegram",) * 2 + ("line",)
USERS = 50_000
POSTS, CHANNELS = 40, ("x", "facebook", "telegram")
INDEXES = {  # candidates, created only with --index NAME
    "leads_mention_score": "CREATE INDEX ix_bench_leads_mention_score "
    "ON leads (mention_id, complaint_score, sector)",
    "mentions_created_id": "CREATE INDEX ix_bench_mentions_created_id ON mentions (created_at, id)",
    "hashtags_cover": "CREATE INDEX ix_bench_hashtags_cover "
    "ON mention_hashtags (tag, created_at, platform, author_handle)",
    "reports_created_cover": "CREATE INDEX ix_bench_reports_created_cover "
    "ON reports (created_at, region_code, sector)",
}
CHUNK = 50_000


def _in_campaign(at: datetime) -> bool:
    day = (at + timedelta(hours=7)).date()
    return STARTS_ON <= day <= ENDS_ON


def mention_chunks(
    count: int, seed: int = 1708
) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
    """Yield (mentions, hashtag rows, leads) in chunks; timestamps aware UTC, JSON as text."""
    rng = random.Random(seed)
    step = YEAR / count
    mentions: list[Any] = []
    tags: list[Any] = []
    leads: list[Any] = []
    for i in range(1, count + 1):
        at = YEAR_START + step * i + timedelta(seconds=rng.random() * 30)
        platform, handle = rng.choice(PLATFORMS), f"warga_{rng.randrange(USERS):05d}"
        # 40 % of mentions carry a campaign tag during the campaign, 10.5 % outside: 15 % in all.
        chosen = [t for t in OTHER_TAGS if rng.random() < 0.08]
        if rng.random() < (0.40 if _in_campaign(at) else 0.105):
            chosen[:0] = CAMPAIGN_TAGS if rng.random() < 0.2 else [rng.choice(CAMPAIGN_TAGS)]
        body = f"Jalan rusak di kelurahan {i % 153} belum diperbaiki, mohon ditindaklanjuti."
        raw = {"id": str(i), "text": body, "author": {"username": handle, "name": f"Warga {i}",
               "description": "Warga biasa yang peduli pelayanan publik di kota sendiri." * 8}}  # fmt: skip
        mentions.append((i, platform, str(i), "post", body + " #" + " #".join(chosen), at, handle,
                         json.dumps(chosen), "[]", "{}", "[]", "bench", at, at, json.dumps(raw)))  # fmt: skip
        tags.extend((platform, str(i), t, at, handle) for t in chosen)
        if rng.random() < 0.30:
            leads.append((i, i, "open", rng.random(), "pengaduan", 0.5, rng.choice(SECTORS), 0.5,
                          "normal", 0.0, "[]", at, at))  # fmt: skip
        if len(mentions) == CHUNK:
            yield mentions, tags, leads
            mentions, tags, leads = [], [], []
    if mentions:
        yield mentions, tags, leads


def _region(rng: random.Random, at: datetime) -> str:
    weights = [n * (1.4 if p == REGION and _in_campaign(at) else 1.0) for p, n in PROVINCES.items()]
    province = rng.choices(list(PROVINCES), weights)[0]
    return f"{province}{rng.randint(1, PROVINCES[province]):02d}{rng.randint(1, 30):02d}"


def report_rows(count: int, seed: int = 62) -> list[Any]:
    """Return `count` reports spread over the year, with 6-digit kecamatan codes and sectors."""
    rng = random.Random(seed)
    rows = []
    for i in range(1, count + 1):
        at = YEAR_START + YEAR * rng.random()
        rows.append((i, f"LPR-2026-{i:06d}", "pengaduan", rng.choice(SECTORS), "Laporan warga",
                     "Isi laporan", _region(rng, at), False, False, False, "submitted", "bench",
                     at, "not_sent", 0, at))  # fmt: skip
    return rows


def post_rows(campaign_id: int) -> tuple[list[Any], list[Any], list[Any]]:
    """Return posts, their published versions and a snapshot every 30 minutes for 30 days."""
    rng = random.Random(5)
    start = datetime(2026, 9, 7, 2, tzinfo=UTC)
    posts, variants, metrics = [], [], []
    for p in range(1, POSTS + 1):
        at = start + timedelta(hours=33 * (p - 1))
        posts.append((p, campaign_id, f"Ajakan {p}", "published", at, 1, "sari", "sari", at, at))
        for c, channel in enumerate(CHANNELS):
            v = (p - 1) * len(CHANNELS) + c + 1
            variants.append(
                (v, p, channel, "#BeraniLAPOR", "published", 1, 1, f"{channel}-{v}", at)
            )
            seen = 0
            for k in range(1, 30 * 48 + 1):
                seen += rng.randint(0, 40)
                impressions = None if channel == "telegram" else seen
                metrics.append((v, at + timedelta(minutes=30 * k), impressions, seen * 3 // 4,
                                seen // 50, seen // 400, seen // 300, seen // 200, channel, "{}"))  # fmt: skip
    return posts, variants, metrics


COLUMNS = {
    "mentions": "id, platform, external_id, kind, text, created_at, author_handle, hashtags, "
    "mentioned, metrics, media_urls, listener, retrieved_at, first_seen_at, raw",
    "mention_hashtags": "platform, external_id, tag, created_at, author_handle",
    "leads": "id, mention_id, state, complaint_score, kind, kind_confidence, sector, "
    "sector_confidence, urgency, rank, pii, triaged_at, updated_at",
    "reports": "id, tracking_id, kind, sector, title, description, region_code, anonim, rahasia, "
    "priority, status, created_by, created_at, forward_state, forward_attempts, updated_at",
    "campaigns": "id, name, region_code, starts_on, ends_on, hashtags, is_template, plan, "
    "created_by, created_at, updated_at",
    "posts": "id, campaign_id, title, state, scheduled_at, version, author, edited_by, "
    "created_at, updated_at",
    "post_variants": "id, post_id, channel, text, state, attempts, round_attempts, external_id, "
    "published_at",
    "post_metrics": "variant_id, collected_at, impressions, reach, reactions, comments, shares, "
    "clicks, source, raw",
}


def campaign_row() -> tuple[Any, ...]:
    at = datetime(2026, 8, 1, tzinfo=UTC)
    return (1, "Berani LAPOR! Jawa Timur", REGION, STARTS_ON, ENDS_ON, json.dumps(CAMPAIGN_TAGS),
            False, "{}", "sari", at, at)  # fmt: skip


def all_rows(mentions: int, reports: int) -> Iterator[tuple[str, list[Any]]]:
    """Yield (table, rows) in foreign-key order."""
    for chunk, tags, leads in mention_chunks(mentions):
        yield "mentions", chunk
        yield "mention_hashtags", tags
        yield "leads", leads
    yield "reports", report_rows(reports)
    yield "campaigns", [campaign_row()]
    posts, variants, metrics = post_rows(1)
    yield "posts", posts
    yield "post_variants", variants
    yield "post_metrics", metrics


def _sqlite_value(value: Any) -> Any:
    # What UtcDateTime writes on SQLite: naive UTC text, lexically ordered.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def build_sqlite(path: Path, mentions: int, reports: int) -> None:
    """Migrate a new SQLite file at `path` and fill it with the stdlib driver's executemany."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for stale in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        stale.unlink(missing_ok=True)
    upgrade(f"sqlite:///{tmp}")
    conn = sqlite3.connect(tmp, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    for table, rows in all_rows(mentions, reports):
        cols = COLUMNS[table]
        marks = ", ".join("?" * len(cols.split(",")))
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                         [tuple(map(_sqlite_value, r)) for r in rows])  # fmt: skip
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    tmp.rename(path)


def build_postgres(url: str, mentions: int, reports: int) -> None:
    """Migrate the schema at `url` and fill it with COPY, then ANALYZE as autovacuum would."""
    upgrade(url)
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, rows in all_rows(mentions, reports):
            with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        for table in ("mentions", "leads", "reports", "campaigns", "posts", "post_variants"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")  # fmt: skip
        raw.commit()
        driver = raw.driver_connection
        assert driver is not None
        driver.autocommit = True  # VACUUM refuses to run inside a transaction
        driver.execute("VACUUM ANALYZE")
        driver.autocommit = False
    finally:
        raw.close()
        engine.dispose()


def set_indexes(url: str, names: list[str]) -> None:
    """Create the candidate indexes `names` (see INDEXES) and drop the others, if present."""
    engine = make_engine(url)
    with engine.begin() as conn:
        for name, ddl in INDEXES.items():
            if name in names:
                conn.execute(text(ddl.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS")))
            else:
                conn.execute(text(f"DROP INDEX IF EXISTS ix_bench_{name}"))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    engine.dispose()


def measure(url: str, runs: int) -> dict[str, Any]:
    """Time campaign_figures `runs` times (each in a new session) and each query once apart."""
    from campaigns import figures, performance, windows

    engine = make_engine(url, readonly=True)
    factory = make_sessionmaker(engine)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        with factory() as s:
            result = figures.campaign_figures(s, 1, today=TODAY, comparison_region=COMPARISON)
        times.append(time.perf_counter() - t0)
    w = windows.campaign_windows(STARTS_ON, ENDS_ON, TODAY)
    assert w.after is not None
    parts_of = [w.baseline, w.campaign, w.after]
    span = windows.Window(start=w.baseline.start, end=w.after.end)
    shown = windows.Window(start=w.campaign.start, end=w.after.end)
    parts: dict[str, float] = {}
    with factory() as s:
        for name, call in (  # the steps of campaign_figures, one at a time
            ("uptake", lambda: figures._uptakes(s, parts_of, CAMPAIGN_TAGS)),
            ("leads", lambda: figures._lead_cells(s, span, 0.5)),
            ("reports", lambda: figures._report_cells(s, span, REGION)),
            ("comparison", lambda: figures._region_totals(s, parts_of[1::-1], COMPARISON)),
            ("posts", lambda: performance.performance(s, 1, shown)),
        ):
            t0 = time.perf_counter()
            call()
            parts[name] = time.perf_counter() - t0
    engine.dispose()
    overall = next(
        r.ratio for r in result.uplift
        if (r.measure, r.group, r.window) == ("reports", "all", "campaign")
    )  # fmt: skip
    return {"times": times, "parts": parts, "uses": result.campaign.uptake.uses,
            "leads": result.campaign.leads.total, "reports": overall,
            "comparison": result.comparison}  # fmt: skip


def _report(label: str, m: dict[str, Any]) -> None:
    t = m["times"]
    parts = "  ".join(f"{k} {v:.3f}" for k, v in m["parts"].items())
    print(f"{label:28} median {statistics.median(t):.3f} s  max {max(t):.3f} s  "
          f"first {t[0]:.3f} s  ({len(t)} runs)\n{'':28} one by one: {parts}")  # fmt: skip
    r, c = m["reports"], m["comparison"]
    print(f"{'':28} campaign window: {m['uses']:,} hashtag uses, {m['leads']:,} leads, "
          f"reports {r.a:,} vs {r.b:,} (ratio {r.estimate:.3f}, {r.low:.3f}-{r.high:.3f}: "
          f"{r.verdict}); vs {COMPARISON}: {c.estimate:.3f} ({c.verdict})")  # fmt: skip


def run_sqlite(args: argparse.Namespace) -> None:
    path = OUT / f"evaluate-{args.mentions}-{args.reports}.db"
    if args.rebuild or not path.exists():
        t0 = time.perf_counter()
        build_sqlite(path, args.mentions, args.reports)
        print(f"built {path} in {time.perf_counter() - t0:.0f} s", flush=True)
    url = f"sqlite:///{path}"
    set_indexes(url, args.index)
    _report("SQLite " + sqlite3.sqlite_version, measure(url, args.runs))


def run_postgres(args: argparse.Namespace) -> None:
    if not args.postgres:
        print("PostgreSQL skipped: give --postgres URL or set LAPOR_TEST_POSTGRES_URL")
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(args.postgres)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        version = conn.execute(text("SHOW server_version")).scalar_one().split()[0]
    sep = "&" if "?" in args.postgres else "?"
    url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
    try:
        t0 = time.perf_counter()
        build_postgres(url, args.mentions, args.reports)
        print(f"built PostgreSQL schema {schema} in {time.perf_counter() - t0:.0f} s", flush=True)
        if args.index:
            set_indexes(url, args.index)
        _report(f"PostgreSQL {version}", measure(url, args.runs))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--postgres", default=os.environ.get("LAPOR_TEST_POSTGRES_URL"))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite file")
    parser.add_argument("--index", action="append", choices=sorted(INDEXES), default=[],
                        help="create a candidate index before measuring (repeatable)")  # fmt: skip
    args = parser.parse_args(argv)
    if args.backend in ("sqlite", "both"):
        run_sqlite(args)
    if args.backend in ("postgresql", "both"):
        run_postgres(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
