"""Import tweet archives (twarc2 JSONL, X API v2 JSON, CSV) into the store: streamed, resumable.

Re-running the same file resumes: the cursor (byte offset and line, written in the same
transaction as the mentions it covers) says where the last run stopped, so an interrupted
import goes on from there and never stores a row twice. `restart=True` reads from the start
(the store is idempotent, so known tweets are counted as updated). A different file at the
same path (its first bytes changed) starts from the beginning.

CSV times without a zone ("2026-11-20 08:15:30") are taken as Asia/Jakarta (WIB).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from core.bulk import PreparedRows, prepare_rows, write_rows
from core.clock import utcnow
from core.db import transaction
from core.errors import BadPayloadError, InputError
from core.mentions import (
    BadItem,
    Batch,
    MentionIn,
    SaveResult,
    dump_raw,
    load_cursor,
    quarantine,
    store_cursor,
)
from listeners.tabular import REQUIRED, csv_mention, resolve_mapping
from listeners.xparse import parse_flat_tweet, parse_v2_page
from listeners.xparse import reparse as reparse_x

FORMATS = ("twarc2-pages", "twarc2-flat", "x-v2-json", "csv")
_HEAD_BYTES = 4096
_MAX_LISTENER = 40  # listener_cursors.listener is VARCHAR(40)
_CHUNK = 1 << 20
PARALLEL_BYTES = 32 << 20  # JSON lines files this big are parsed by worker processes
WORKERS = 2  # at most this many (never more than the CPUs)
_MAX_PAGE_CHARS = 64 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportSummary:
    """What one import did: lines read, mentions new and already known, items quarantined."""

    lines: int
    imported: int
    updated: int
    quarantined: int
    format: str
    resumed_from_line: int = 0


@dataclass(frozen=True, slots=True)
class _Record:
    """What one line, page or row gave: its number, the byte offset after it, the results."""

    line: int
    offset: int
    mentions: list[MentionIn]
    bad: list[BadItem]


def detect_format(path: Path) -> str:
    """Return the format of the file at `path`, one of FORMATS, judged by its first line.

    Raises InputError when the file is empty or its first line fits none of them.
    """
    path = Path(path)
    with path.open("rb") as handle:
        first = b""
        while not first.strip():
            first = handle.readline()
            if not first:
                raise InputError(f"The file {path} is empty: there is nothing to import.")
    first = first.removeprefix(codecs.BOM_UTF8).strip()
    if first.startswith(b"["):
        return "x-v2-json"
    if first.startswith(b"{"):
        try:
            obj = json.loads(first)
        except ValueError:
            return "x-v2-json"  # pretty-printed: its first line is not whole JSON
        if isinstance(obj, dict) and {"data", "includes", "meta"} & obj.keys():
            return "twarc2-pages"
        if isinstance(obj, dict) and "id" in obj:
            return "twarc2-flat"
        raise InputError(
            f"The first line of {path} is JSON but neither an X API page (with 'data') nor a "
            "tweet (with 'id'); pass --format to say what it is."
        )
    if path.suffix.lower() in (".csv", ".tsv") or any(c in first for c in b",;\t"):
        return "csv"
    raise InputError(
        f"Cannot tell the format of {path}: it is neither JSON lines, an X API JSON document "
        f"nor a CSV with a header; pass --format ({', '.join(FORMATS)})."
    )


def listener_name(path: Path) -> str:
    """Return the listener name that an import of `path` stores its cursor and mentions under."""
    name = f"import:{Path(path).name}"
    if len(name) <= _MAX_LISTENER:
        return name
    return f"{name[: _MAX_LISTENER - 9]}~{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _head(path: Path, length: int) -> str:
    with path.open("rb") as handle:
        return hashlib.sha1(handle.read(length)).hexdigest()


def _start(factory: sessionmaker[Session], listener: str, path: Path, fmt: str) -> dict[str, Any]:
    """Return the stored cursor when it is this file's, else a cursor at the start."""
    size = path.stat().st_size
    head_len = min(size, _HEAD_BYTES)
    with factory() as session:
        stored = load_cursor(session, listener) or {}
    if (
        stored.get("path") == str(path)
        and stored.get("format") == fmt
        and stored.get("offset", 0) <= size
        and stored.get("head_len", size + 1) <= size
        and stored.get("head") == _head(path, stored["head_len"])
    ):
        return stored
    head = _head(path, head_len)
    return {
        "path": str(path),
        "offset": 0,
        "line": 0,
        "format": fmt,
        "head_len": head_len,
        "head": head,
    }


def _loads(raw: bytes | str) -> Any:
    """Parse JSON with orjson (twice as fast on tweets), or json where orjson is stricter."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)  # raises ValueError when it really is not JSON


def _jsonl_records(
    lines: Iterable[bytes], line: int, offset: int, pages: bool
) -> Iterator[_Record]:
    """Yield the record of each JSON line; `line` and `offset` are where `lines` start."""
    for raw in lines:
        line += 1
        offset += len(raw)
        if raw.isspace():
            continue
        try:
            obj = _loads(raw)
            if pages:
                mentions, bad = parse_v2_page(obj)
                if bad:
                    bad = [BadItem(raw=b.raw, reason=f"line {line}: {b.reason}") for b in bad]
                yield _Record(line, offset, mentions, bad)
            else:
                yield _Record(line, offset, [parse_flat_tweet(obj)], [])
        except (ValueError, BadPayloadError) as exc:
            why = exc.reason if isinstance(exc, BadPayloadError) else f"not valid JSON ({exc})"
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            yield _Record(line, offset, [], [BadItem(raw=text, reason=f"line {line}: {why}")])


def _json_values(handle: IO[bytes], offset: int) -> Iterator[tuple[int, Any, str | None]]:
    """Yield (byte offset after it, value, error) per page of a JSON document or array."""
    handle.seek(0)
    lead = handle.read(_HEAD_BYTES)
    bom = len(codecs.BOM_UTF8) if lead.startswith(codecs.BOM_UTF8) else 0
    in_array = lead[bom:].lstrip().startswith(b"[")
    pos = max(offset, bom)
    handle.seek(pos)
    opened = offset > 0  # a resumed run starts past the opening '['
    decode = codecs.getincrementaldecoder("utf-8")().decode
    decoder = json.JSONDecoder()
    text, eof = "", False
    while True:
        rest = text.lstrip(" \t\r\n," if opened else " \t\r\n")
        pos += len(text) - len(rest)  # whitespace and commas are one byte each
        text = rest
        if not text or (in_array and not opened):
            if not text:
                if eof:
                    return
                chunk = handle.read(_CHUNK)
                eof = not chunk
                text = decode(chunk, final=eof)
                continue
            if text[0] != "[":
                yield pos, text[:_HEAD_BYTES], "the JSON array does not start with '['"
                return
            text, pos, opened = text[1:], pos + 1, True
            continue
        if in_array and text[0] == "]":
            return
        try:
            value, end = decoder.raw_decode(text)
        except ValueError as exc:
            if not eof and len(text) < _MAX_PAGE_CHARS:
                chunk = handle.read(max(_CHUNK, len(text)))
                eof = not chunk
                text += decode(chunk, final=eof)
                continue
            end_of_file = handle.seek(0, 2)
            yield (
                end_of_file,
                text[:65536],
                f"not valid JSON ({exc}); the rest of the file was skipped",
            )
            return
        pos += len(text[:end].encode("utf-8"))
        text = text[end:]
        opened = True
        yield pos, value, None


def _json_doc_records(handle: IO[bytes], start: dict[str, Any]) -> Iterator[_Record]:
    page = start["line"]
    for offset, value, error in _json_values(handle, start["offset"]):
        page += 1
        if error is not None:
            yield _Record(page, offset, [], [BadItem(raw=value, reason=f"page {page}: {error}")])
            continue
        mentions, bad = parse_v2_page(value)
        bad = [BadItem(raw=b.raw, reason=f"page {page}: {b.reason}") for b in bad]
        yield _Record(page, offset, mentions, bad)


def _csv_records(
    handle: IO[bytes],
    start: dict[str, Any],
    mapping: Mapping[str, str] | None,
    platform: str,
) -> Iterator[_Record]:
    """Read the header and resolve the mapping now (InputError), then return the rows' reader."""
    state = [0, 0]  # byte offset after the last physical line read, lines read

    def lines() -> Iterator[str]:
        for raw in iter(handle.readline, b""):
            state[0] += len(raw)
            state[1] += 1
            try:
                yield raw.decode("utf-8-sig" if state[1] == 1 else "utf-8")
            except UnicodeDecodeError:
                yield raw.decode("cp1252", errors="replace")  # an Excel export

    first = handle.readline().decode("utf-8-sig", errors="replace")
    handle.seek(0)
    delimiter = max(",;\t|", key=first.count)
    reader = csv.reader(lines(), delimiter=delimiter)
    header = next(reader, None) or []
    resolved = resolve_mapping(header, mapping)
    if start["offset"] > state[0]:
        handle.seek(start["offset"])
        state[:] = [start["offset"], start["line"]]
    return _csv_rows(reader, state, header, resolved, platform)


def _csv_rows(
    reader: Any, state: list[int], header: list[str], resolved: dict[str, str], platform: str
) -> Iterator[_Record]:
    for values in reader:
        if not any(values):
            continue
        row = dict(zip(header, values, strict=False))
        try:
            yield _Record(state[1], state[0], [csv_mention(row, resolved, platform)], [])
        except BadPayloadError as exc:
            raw = dump_raw({"csv_row": row, "mapping": resolved, "platform": platform})
            bad = BadItem(raw=raw, reason=f"line {state[1]}: {exc.reason}")
            yield _Record(state[1], state[0], [], [bad])


@dataclass(frozen=True, slots=True)
class _Chunk:
    """One transaction's worth: rows ready for the store, bad items, where the file stands."""

    line: int
    offset: int
    prepared: PreparedRows
    bad: list[BadItem]


@dataclass(frozen=True, slots=True)
class _Task:
    """JSON lines for a worker to parse, with what it needs to prepare their rows."""

    pages: bool
    line: int
    offset: int
    lines: list[bytes]
    listener: str
    now: datetime
    dialect: str


def _parse_task(task: _Task) -> _Chunk:
    """Parse JSON lines and prepare their rows (runs in a worker process for big files)."""
    mentions: list[MentionIn] = []
    bad: list[BadItem] = []
    for record in _jsonl_records(task.lines, task.line, task.offset, task.pages):
        mentions.extend(record.mentions)
        bad.extend(record.bad)
    prepared = prepare_rows(mentions, task.listener, task.now, task.dialect)
    end = task.offset + sum(map(len, task.lines))
    return _Chunk(task.line + len(task.lines), end, prepared, bad)


def _tasks(
    handle: IO[bytes], cursor: dict[str, Any], per_task: int, **common: Any
) -> Iterator[_Task]:
    handle.seek(cursor["offset"])
    line, offset, lines = cursor["line"], cursor["offset"], []
    for raw in handle:
        lines.append(raw)
        if len(lines) >= per_task:
            yield _Task(line=line, offset=offset, lines=lines, **common)
            line, offset, lines = line + len(lines), offset + sum(map(len, lines)), []
    if lines:
        yield _Task(line=line, offset=offset, lines=lines, **common)


def _in_workers(tasks: Iterator[_Task]) -> Iterator[_Chunk]:
    """Yield the chunks of `tasks` in order, parsed by worker processes a few tasks ahead."""
    workers = max(1, min(WORKERS, os.cpu_count() or 1))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        pending: deque[Future[_Chunk]] = deque()
        for task in tasks:
            pending.append(pool.submit(_parse_task, task))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(
    records: Iterator[_Record], size: int, listener: str, now: datetime, dialect: str
) -> Iterator[_Chunk]:
    mentions: list[MentionIn] = []
    bad: list[BadItem] = []
    last = None
    for last in records:
        mentions.extend(last.mentions)
        bad.extend(last.bad)
        if len(mentions) + len(bad) >= size:
            yield _Chunk(
                last.line, last.offset, prepare_rows(mentions, listener, now, dialect), bad
            )
            mentions, bad = [], []
    if last is not None and (mentions or bad):
        yield _Chunk(last.line, last.offset, prepare_rows(mentions, listener, now, dialect), bad)


def import_file(
    path: Path,
    factory: sessionmaker[Session],
    *,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    platform: str = "x",
    progress: bool = False,
    now: datetime | None = None,
    batch_size: int = 5000,
    restart: bool = False,
) -> ImportSummary:
    """Import the tweets of the file at `path` into the store; return what this run did.

    `fmt` is one of FORMATS (detected when None). `mapping` maps MentionIn fields (and
    `metrics.<name>`) to CSV columns, over DEFAULT_COLUMNS; `platform` is that of CSV rows.
    About `batch_size` mentions are committed per transaction together with the cursor; a
    bad line is quarantined ("line N: why") and the import goes on. JSON lines files of
    PARALLEL_BYTES or more are parsed by worker processes while the store writes. Resumes
    where the last run on this file stopped unless `restart`. Raises InputError when the
    file is missing, its format unknown or a CSV column missing.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(f"There is no file at {path}.")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"Unknown format {fmt!r}; use one of: {', '.join(FORMATS)}.")
    now = now or utcnow()
    listener = listener_name(path)
    cursor = _start(factory, listener, path, fmt)
    if restart:
        cursor = {**cursor, "offset": 0, "line": 0}
    with factory() as session:
        dialect = session.get_bind().dialect.name
    total = SaveResult()
    line = cursor["line"]
    size = path.stat().st_size
    bar = tqdm(
        total=size, initial=cursor["offset"], unit="B", unit_scale=True, disable=not progress
    )
    with path.open("rb") as handle, bar:
        if fmt in ("twarc2-pages", "twarc2-flat"):
            pages = fmt == "twarc2-pages"
            per_task = max(1, batch_size // 100) if pages else batch_size
            tasks = _tasks(
                handle, cursor, per_task, pages=pages, listener=listener, now=now, dialect=dialect
            )
            big = size - cursor["offset"] >= PARALLEL_BYTES
            chunks = _in_workers(tasks) if big else map(_parse_task, tasks)
        elif fmt == "csv":
            records = _csv_records(handle, cursor, mapping, platform)
            chunks = _chunks(records, batch_size, listener, now, dialect)
        else:
            records = _json_doc_records(handle, cursor)
            chunks = _chunks(records, batch_size, listener, now, dialect)
        for chunk in chunks:
            next_cursor = {**cursor, "offset": chunk.offset, "line": chunk.line}
            with transaction(factory) as session:
                total += write_rows(session, chunk.prepared)
                quarantined = quarantine(session, listener, chunk.bad, now)
                total += SaveResult(quarantined=quarantined)
                store_cursor(session, listener, next_cursor, now)
            line = chunk.line
            bar.update(chunk.offset - bar.n)
    return ImportSummary(
        lines=line - cursor["line"],
        imported=total.inserted,
        updated=total.updated,
        quarantined=total.quarantined,
        format=fmt,
        resumed_from_line=cursor["line"],
    )


def reparse(raw: str) -> Batch:
    """Return a Batch with the mention(s) of one quarantined import item.

    The item is a tweet or page (JSON, as X or twarc2 wrote it) or a CSV row stored as
    {"csv_row", "mapping", "platform"}. Raises BadPayloadError when it still cannot be parsed.
    """
    try:
        item = json.loads(raw)
    except ValueError as exc:
        raise BadPayloadError(f"the quarantined line is not valid JSON ({exc})") from None
    if isinstance(item, dict) and "csv_row" in item:
        row, resolved = item["csv_row"], item.get("mapping") or {}
        if not isinstance(row, dict) or not all(k in resolved for k in REQUIRED):
            raise BadPayloadError("the quarantined CSV row has no row or no mapping")
        return Batch(mentions=(csv_mention(row, resolved, item.get("platform") or "x"),))
    return reparse_x(raw)
