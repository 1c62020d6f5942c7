"""Ingest benchmark: import N generated tweets, against the raw sqlite3 executemany ceiling.

    python bench/ingest.py --count 1000000 [--postgres URL] [--keep] [--batch-size 5000]

Each measurement runs in its own process, so peak RSS figures do not mix. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGE = 100
USERS = 20_000
PLACES = (
    "Jl. Darmo Surabaya",
    "Kec. Bojonegoro",
    "Pasar Besar Malang",
    "Kel. Cempaka Putih",
    "Terminal Purabaya",
    "RSUD dr. Soetomo",
    "SDN 3 Sidoarjo",
    "Desa Sukamaju, Garut",
    "Jl. Ahmad Yani Semarang",
    "Puskesmas Kedungkandang",
    "Kantor Dukcapil Kab. Bekasi",
)
ISSUES = (
    "jalan berlubang besar dan sudah makan korban motor",
    "lampu PJU mati sudah dua minggu",
    "air PDAM keruh dan bau sejak kemarin",
    "sampah menumpuk tidak diangkut seminggu",
    "bansos PKH bulan ini belum cair padahal sudah terdaftar",
    "antrean perekaman e-KTP sangat lama",
    "listrik PLN padam berjam-jam tanpa pemberitahuan",
    "gas LPG 3 kg langka dan harganya naik",
    "ada pungli saat mengurus surat pindah",
    "banjir setinggi lutut setiap hujan deras",
    "drainase mampet sehingga air meluber ke jalan",
    "guru honorer belum menerima gaji tiga bulan",
)
PLEAS = (
    "Mohon segera ditindaklanjuti.",
    "Tolong dicek ya min.",
    "Sudah lapor berkali-kali belum ada respon.",
    "Warga sangat terganggu.",
    "Kapan diperbaiki?",
    "Terima kasih atas perhatiannya.",
    "",
)
TAGS = (
    "BeraniLAPOR",
    "AyokLAPOR",
    "AyoKenalLAPOR",
    "GerakanSadarLAPOR",
    "PelayananPublik",
    "Surabaya",
)
HANDLES = ("LAPOR1708", "KemenPANRB", "ombudsmanri137", "pemkotsurabaya", "PLN_123")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _user(i: int) -> dict[str, Any]:
    return {
        "id": str(1_400_000_000_000_000_000 + i),
        "username": f"warga_{i:05d}",
        "name": f"Warga Nomor {i}",
        "created_at": "2019-04-02T10:00:00.000Z",
        "description": "Warga biasa yang peduli pelayanan publik di kota sendiri.",
        "location": PLACES[i % len(PLACES)].split()[-1],
        "verified": False,
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{i}/foto_normal.jpg",
        "public_metrics": {
            "followers_count": i % 997,
            "following_count": i % 451,
            "tweet_count": i % 9973,
            "listed_count": 0,
        },
    }


def _tweet(n: int, rng: random.Random, author: dict[str, Any]) -> dict[str, Any]:
    tid = str(1_861_000_000_000_000_000 + n)
    tags = rng.sample(TAGS, rng.randint(0, 3))
    mentions = rng.sample(HANDLES, rng.randint(0, 2))
    head = " ".join(f"@{m}" for m in mentions)
    body = f"{rng.choice(ISSUES).capitalize()} di {rng.choice(PLACES)}. {rng.choice(PLEAS)}"
    text = " ".join(p for p in (head, body, " ".join(f"#{t}" for t in tags)) if p)[:280]
    entities: dict[str, Any] = {}
    if tags:
        entities["hashtags"] = [
            {"start": text.find("#" + t), "end": text.find("#" + t) + len(t) + 1, "tag": t}
            for t in tags
            if ("#" + t) in text
        ]
    if mentions:
        entities["mentions"] = [
            {
                "start": text.find("@" + m),
                "end": text.find("@" + m) + len(m) + 1,
                "username": m,
                "id": str(95_000_000 + len(m)),
            }
            for m in mentions
        ]
    tweet: dict[str, Any] = {
        "id": tid,
        "text": text,
        "created_at": (T0 + timedelta(seconds=n * 7)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "author_id": author["id"],
        "conversation_id": tid,
        "lang": "in",
        "edit_history_tweet_ids": [tid],
        "possibly_sensitive": False,
        "reply_settings": "everyone",
        "public_metrics": {
            "retweet_count": rng.randint(0, 20),
            "reply_count": rng.randint(0, 9),
            "like_count": rng.randint(0, 200),
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": rng.randint(10, 5000),
        },
    }
    if entities:
        tweet["entities"] = entities
    if n % 5 == 0 and n:
        parent = str(1_861_000_000_000_000_000 + n - 1)
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
        tweet["conversation_id"] = parent
    return tweet


def generate(path: Path, count: int, seed: int = 1708) -> int:
    """Write `count` tweets as twarc2 page lines to `path`, streamed; return the byte size."""
    rng = random.Random(seed)
    users = [_user(i) for i in range(USERS)]
    with path.open("w", encoding="utf-8") as out:
        for start in range(0, count, PAGE):
            authors = [users[rng.randrange(USERS)] for _ in range(min(PAGE, count - start))]
            data = [_tweet(start + i, rng, a) for i, a in enumerate(authors)]
            unique = list({a["id"]: a for a in authors}.values())
            page = {
                "data": data,
                "includes": {"users": unique},
                "meta": {
                    "newest_id": data[0]["id"],
                    "oldest_id": data[-1]["id"],
                    "result_count": len(data),
                    "next_token": f"b26v89c19zqg8o{start:x}",
                },
                "__twarc": {
                    "url": "https://api.x.com/2/tweets/search/all?max_results=100",
                    "version": "2.14.0",
                    "retrieved_at": "2026-11-20T03:00:05+00:00",
                },
            }
            out.write(json.dumps(page, ensure_ascii=False))
            out.write("\n")
    return path.stat().st_size


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sqlite_time(value: datetime) -> str:
    # what SQLAlchemy's SQLite DateTime writes for UtcDateTime (naive UTC text)
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def child_raw(src: Path, db: Path, batch_size: int) -> dict[str, Any]:
    """The ceiling: sqlite3 executemany of pre-built rows (parse and row building untimed)."""
    from core.db import SQLITE_PRAGMAS, upgrade
    from listeners.xparse import parse_v2_page

    upgrade(f"sqlite:///{db}")
    conn = sqlite3.connect(db, isolation_level=None)
    for pragma in SQLITE_PRAGMAS:  # the same connection settings as the store's
        conn.execute(f"PRAGMA {pragma}")
    cols = (
        "platform, external_id, kind, conversation_id, reply_to_id, author_id, author_handle, "
        "author_name, text, lang, created_at, url, hashtags, mentioned, metrics, media_urls, "
        "listener, retrieved_at, first_seen_at, raw"
    )
    ins = f"INSERT INTO mentions ({cols}) VALUES ({', '.join('?' * 20)})"
    tag_ins = "INSERT INTO mention_hashtags VALUES (?, ?, ?, ?, ?)"
    now = _sqlite_time(datetime.now(UTC))
    timed, rows = 0.0, 0
    pending: list[Any] = []

    def flush() -> float:
        built = [
            (
                m.platform,
                m.external_id,
                m.kind,
                m.conversation_id,
                m.reply_to_id,
                m.author_id,
                m.author_handle,
                m.author_name,
                m.text,
                m.lang,
                _sqlite_time(m.created_at),
                m.url,
                json.dumps(list(m.hashtags)),
                json.dumps(list(m.mentioned)),
                json.dumps(dict(m.metrics)),
                json.dumps(list(m.media_urls)),
                "bench",
                now,
                now,
                json.dumps(dict(m.raw)),
            )
            for m in pending
        ]
        tags = [
            (m.platform, m.external_id, t.lower(), _sqlite_time(m.created_at), m.author_handle)
            for m in pending
            for t in dict.fromkeys(h.lower() for h in m.hashtags)
        ]
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(ins, built)
        conn.executemany(tag_ins, tags)
        conn.execute("COMMIT")
        return time.perf_counter() - t0

    with src.open("rb") as handle:
        for line in handle:
            mentions, _ = parse_v2_page(json.loads(line))
            pending.extend(mentions)
            if len(pending) >= batch_size:
                timed += flush()
                rows += len(pending)
                pending.clear()
    if pending:
        timed += flush()
        rows += len(pending)
    return {"rows": rows, "seconds": timed, "peak_mb": _peak_mb()}


def child_parse(src: Path) -> dict[str, Any]:
    """Parse only: read lines, the importer's JSON loader, parse_v2_page; nothing stored."""
    from listeners.importer import _loads
    from listeners.xparse import parse_v2_page

    t0, rows = time.perf_counter(), 0
    with src.open("rb") as handle:
        for line in handle:
            rows += len(parse_v2_page(_loads(line))[0])
    return {"rows": rows, "seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def child_import(src: Path, url: str, batch_size: int) -> dict[str, Any]:
    """The real thing: listeners.importer.import_file into a migrated store at `url`."""
    from sqlalchemy import func, select

    from core.db import make_engine, make_sessionmaker, upgrade
    from core.models import Mention
    from listeners.importer import import_file

    upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    t0 = time.perf_counter()
    summary = import_file(src, factory, batch_size=batch_size)
    seconds = time.perf_counter() - t0
    with factory() as session:
        stored = session.scalar(select(func.count()).select_from(Mention))
    engine.dispose()
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "rows": summary.imported,
        "stored": stored,
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "worker_peak_mb": workers,
    }


def _run(*args: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "_child", *args]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _pg_schema(admin_url: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in admin_url else "?"
    return schema, f"{admin_url}{sep}options=-csearch_path%3D{schema}"


def _drop_pg_schema(admin_url: str, schema: str) -> None:
    from sqlalchemy import text

    from core.db import make_engine

    engine = make_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="tweets to generate")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LAPOR_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default: $LAPOR_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the files and the PG schema")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="lapor-bench-"))
    src = work / "tweets.jsonl"
    t0 = time.perf_counter()
    size = generate(src, args.count)
    print(
        f"generated {args.count:,} tweets ({size / 2**20:,.0f} MB) in "
        f"{time.perf_counter() - t0:.1f} s: {src}",
        flush=True,
    )
    bs = str(args.batch_size)
    results: list[tuple[str, dict[str, Any]]] = []
    results.append(
        ("raw ceiling: sqlite3 executemany", _run("raw", str(src), str(work / "raw.db"), bs))
    )
    results.append(("parse only (orjson + xparse)", _run("parse", str(src))))
    db = f"sqlite:///{work / 'import.db'}"
    results.append(("import_file, SQLite", _run("import", str(src), db, bs)))
    schema = None
    if args.postgres:
        schema, url = _pg_schema(args.postgres)
        try:
            results.append(("import_file, PostgreSQL", _run("import", str(src), url, bs)))
        finally:
            if not args.keep:
                _drop_pg_schema(args.postgres, schema)
    ceiling = results[0][1]["rows"] / results[0][1]["seconds"]
    print(
        f"\n{'measurement':34} {'rows':>10} {'seconds':>8} {'rows/s':>9} {'% ceiling':>9} {'peak MB':>8}"
    )
    for label, r in results:
        rate = r["rows"] / r["seconds"]
        share = f"{100 * rate / ceiling:.0f}%" if label.startswith("import") else ""
        workers = (
            f"  (+{r['worker_peak_mb']:.0f} MB per parse worker)" if r.get("worker_peak_mb") else ""
        )
        print(
            f"{label:34} {r['rows']:>10,} {r['seconds']:>8.1f} {rate:>9,.0f} {share:>9} "
            f"{r['peak_mb']:>8.0f}{workers}"
        )
        if "stored" in r and r["stored"] != args.count:
            print(f"  !! {r['stored']:,} rows stored, {args.count:,} expected")
    if args.keep:
        print(f"\nkept: {work}" + (f" and PostgreSQL schema {schema}" if schema else ""))
    else:
        for path in work.iterdir():
            path.unlink()
        work.rmdir()
    return 0


def _child(argv: list[str]) -> int:
    kind, rest = argv[0], argv[1:]
    if kind == "raw":
        result = child_raw(Path(rest[0]), Path(rest[1]), int(rest[2]))
    elif kind == "parse":
        result = child_parse(Path(rest[0]))
    else:
        result = child_import(Path(rest[0]), rest[1], int(rest[2]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_child":
        raise SystemExit(_child(sys.argv[2:]))
    raise SystemExit(main())
