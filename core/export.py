"""Export stored mentions to JSONL or CSV, streamed so any number of rows fits in memory."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.clock import as_utc
from core.errors import InputError
from core.models import Mention

FIELDS = (
    "platform",
    "external_id",
    "kind",
    "created_at",
    "author_id",
    "author_handle",
    "author_name",
    "text",
    "lang",
    "url",
    "hashtags",
    "mentioned",
    "conversation_id",
    "reply_to_id",
    "metrics",
)
_LIST_FIELDS = ("hashtags", "mentioned")
_YIELD_PER = 2000


def _iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


def _records(session: Session, since: datetime | None) -> Iterator[dict[str, Any]]:
    columns = [getattr(Mention, name) for name in FIELDS]
    stmt = select(*columns).order_by(Mention.id)
    if since is not None:
        stmt = stmt.where(Mention.created_at >= since)
    # yield_per streams (a server-side cursor on PostgreSQL): memory stays flat.
    for row in session.execute(stmt.execution_options(yield_per=_YIELD_PER)):
        record = dict(zip(FIELDS, row, strict=True))
        record["created_at"] = _iso(record["created_at"])
        yield record


def _write_jsonl(handle: Any, records: Iterator[dict[str, Any]]) -> int:
    count = 0
    for record in records:
        handle.write(json.dumps(record, ensure_ascii=False))
        handle.write("\n")
        count += 1
    return count


def _write_csv(handle: Any, records: Iterator[dict[str, Any]]) -> int:
    writer = csv.DictWriter(handle, fieldnames=FIELDS)
    writer.writeheader()
    count = 0
    for record in records:
        for name in _LIST_FIELDS:
            record[name] = " ".join(record[name] or ())
        record["metrics"] = json.dumps(record["metrics"] or {}, ensure_ascii=False)
        writer.writerow(record)
        count += 1
    return count


def export_mentions(
    factory: sessionmaker[Session], out: Path, *, since: datetime | None = None
) -> int:
    """Write every stored mention (created at or after `since`, when given) to `out`.

    The format follows the suffix: `.jsonl` (one JSON object a line; hashtags a list,
    metrics an object) or `.csv` (hashtags and mentioned space-separated, metrics as JSON).
    `created_at` is ISO 8601 UTC. The file appears whole or not at all (written beside it,
    then renamed). Returns the number of mentions written; raises InputError for any other
    suffix.
    """
    out = Path(out)
    suffix = out.suffix.lower()
    writers = {".jsonl": _write_jsonl, ".csv": _write_csv}
    if suffix not in writers:
        raise InputError(
            f"Cannot export to {out.name!r}: the file name must end in .jsonl or .csv."
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="") as handle, factory() as session:
            count = writers[suffix](handle, _records(session, since))
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return count
