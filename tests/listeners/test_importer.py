"""File import: every format lands in the store, bad lines are quarantined, re-runs resume."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import listeners.importer as importer
from core.errors import BadPayloadError, InputError
from core.mentions import load_cursor
from core.models import Mention, QuarantineItem
from listeners.importer import detect_format, import_file, listener_name, reparse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "import"
NOW = datetime(2026, 11, 22, 0, 0, tzinfo=UTC)


def stored(factory) -> dict[str, Mention]:
    with factory() as s:
        return {m.external_id: m for m in s.scalars(select(Mention))}


def quarantined(factory) -> list[QuarantineItem]:
    with factory() as s:
        return list(s.scalars(select(QuarantineItem).order_by(QuarantineItem.id)))


def copy(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copy(FIXTURES / name, tmp_path / name))


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("pages.jsonl", "twarc2-pages"),
        ("flat.jsonl", "twarc2-flat"),
        ("v2_response.json", "x-v2-json"),
        ("tweets.csv", "csv"),
        ("custom.csv", "csv"),
    ],
)
def test_format_is_detected_from_the_first_line(name, fmt):
    assert detect_format(FIXTURES / name) == fmt


def test_twarc2_pages_are_imported_with_their_authors(factory, tmp_path):
    summary = import_file(copy(tmp_path, "pages.jsonl"), factory, now=NOW)
    assert (summary.format, summary.lines, summary.imported, summary.updated) == (
        "twarc2-pages",
        2,
        5,
        0,
    )
    rows = stored(factory)
    first = rows["1861000000000000101"]
    assert first.author_handle == "warga_sby" and first.author_name == "Warga Surabaya"
    assert first.created_at == datetime(2026, 11, 20, 1, 15, 30, tzinfo=UTC)
    assert first.hashtags == ["BeraniLAPOR"] and first.metrics["like_count"] == 4
    assert first.listener == "import:pages.jsonl"
    assert rows["1861000000000000103"].kind == "reply"
    assert "__twarc" not in first.raw


def test_flattened_lines_and_v2_documents_are_imported(factory, tmp_path):
    flat = import_file(copy(tmp_path, "flat.jsonl"), factory, now=NOW)
    doc = import_file(copy(tmp_path, "v2_response.json"), factory, now=NOW)
    assert (flat.format, flat.imported) == ("twarc2-flat", 3)
    assert (doc.format, doc.imported) == ("x-v2-json", 2)
    rows = stored(factory)
    assert len(rows) == 5
    assert rows["1861000000000000102"].author_handle == "ibu_rt05"
    assert rows["1861000000000000105"].author_handle == "warga_sby"


def test_a_json_array_of_pages_is_streamed_page_by_page(factory, tmp_path):
    pages = [json.loads(line) for line in (FIXTURES / "pages.jsonl").read_text().splitlines()]
    path = tmp_path / "pages.json"
    path.write_text(json.dumps(pages, indent=1, ensure_ascii=False))
    summary = import_file(path, factory, now=NOW, batch_size=1)
    assert (summary.format, summary.lines, summary.imported) == ("x-v2-json", 2, 5)
    with factory() as s:
        cursor = load_cursor(s, listener_name(path))
    assert cursor["offset"] == path.read_bytes().rindex(b"}") + 1


def test_an_array_import_resumes_after_its_last_whole_page(factory, tmp_path, monkeypatch):
    pages = [json.loads(line) for line in (FIXTURES / "pages.jsonl").read_text().splitlines()]
    path = tmp_path / "pages.json"
    path.write_text(json.dumps(pages, ensure_ascii=False))  # one line: streamed all the same
    real_save = importer.write_rows

    def crash_after_first(session, prepared):
        if load_cursor(session, listener_name(path)):
            raise RuntimeError("power cut")
        return real_save(session, prepared)

    monkeypatch.setattr(importer, "write_rows", crash_after_first)
    with pytest.raises(RuntimeError):
        import_file(path, factory, now=NOW, batch_size=1)
    monkeypatch.setattr(importer, "write_rows", real_save)
    assert len(stored(factory)) == 3
    resumed = import_file(path, factory, now=NOW)
    assert (resumed.resumed_from_line, resumed.lines, resumed.imported) == (1, 1, 2)
    assert len(stored(factory)) == 5


def test_csv_with_default_columns(factory, tmp_path):
    summary = import_file(copy(tmp_path, "tweets.csv"), factory, now=NOW)
    assert (summary.format, summary.imported, summary.quarantined) == ("csv", 3, 0)
    rows = stored(factory)
    first = rows["1861000000000000201"]
    # 08:15:30 without a zone is WIB (UTC+7)
    assert first.created_at == datetime(2026, 11, 20, 1, 15, 30, tzinfo=UTC)
    assert first.author_handle == "warga_sby" and first.author_name == "Warga Surabaya"
    assert first.hashtags == ["BeraniLAPOR"] and first.mentioned == ["LAPOR1708"]
    assert first.metrics == {"like_count": 4, "retweet_count": 1}
    assert first.url == "https://x.com/warga_sby/status/1861000000000000201"
    second = rows["1861000000000000202"]
    assert second.author_handle == "ibu_rt05"
    assert second.text == "Lampu PJU mati seminggu\ndi depan balai RW #BeraniLAPOR #Bojonegoro"
    assert second.created_at == datetime(2026, 11, 20, 1, 20, tzinfo=UTC)


def test_csv_with_a_custom_mapping(factory, tmp_path):
    mapping = {
        "external_id": "nomor",
        "created_at": "waktu",
        "author_handle": "akun",
        "text": "isi",
    }
    path = copy(tmp_path, "custom.csv")
    summary = import_file(path, factory, mapping=mapping, platform="facebook", now=NOW)
    assert summary.imported == 2
    rows = stored(factory)
    assert rows["9001"].platform == "facebook" and rows["9001"].author_handle == "warga_mlg"
    assert rows["9001"].created_at == datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    assert rows["9001"].hashtags == ["AyokLAPOR"]
    assert rows["9002"].created_at == datetime(2026, 11, 21, 3, 30, tzinfo=UTC)


def test_a_missing_csv_column_is_named_in_one_sentence(factory, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,tweet,user\n1,halo,warga\n")
    with pytest.raises(InputError) as info:
        import_file(path, factory, mapping={"created_at": "date"}, now=NOW)
    assert str(info.value) == (
        "The CSV has no column 'created_at' (mapped from 'date'); its columns are: "
        "id, tweet, user. Pass --map created_at=<column>."
    )
    with pytest.raises(InputError, match=r"no column 'created_at' \(looked for created_at, date"):
        import_file(path, factory, now=NOW)
    assert stored(factory) == {}


def test_bad_lines_are_quarantined_and_the_rest_imports(factory, tmp_path):
    first, second = (FIXTURES / "pages.jsonl").read_text().splitlines()
    page = json.loads(second)
    del page["data"][0]["created_at"]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([first, '{"data": [{"id": "1"', json.dumps(page)]) + "\n")
    summary = import_file(path, factory, now=NOW)
    assert (summary.lines, summary.imported, summary.quarantined) == (3, 4, 2)
    reasons = [item.reason for item in quarantined(factory)]
    assert reasons[0].startswith("line 2: not valid JSON")
    assert (
        reasons[1]
        == "line 3: tweet 1861000000000000104 has no created_at (request tweet.fields=created_at)"
    )
    assert "1861000000000000105" in stored(factory)


def test_a_bad_csv_row_is_quarantined_and_reparses_once_fixed(factory, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,text,date\n1,Jalan rusak,kemarin sore\n2,Lampu mati,2026-11-20 07:00:00\n")
    summary = import_file(path, factory, now=NOW)
    assert (summary.imported, summary.quarantined) == (1, 1)
    item = quarantined(factory)[0]
    assert (
        item.reason
        == "line 2: the time 'kemarin sore' is neither ISO 8601 nor 'YYYY-MM-DD HH:MM:SS'"
    )
    with pytest.raises(BadPayloadError):
        reparse(item.raw)
    fixed = json.loads(item.raw)
    fixed["csv_row"]["date"] = "2026-11-19 17:00:00"
    (mention,) = reparse(json.dumps(fixed)).mentions
    assert (mention.external_id, mention.text) == ("1", "Jalan rusak")
    assert mention.created_at == datetime(2026, 11, 19, 10, 0, tzinfo=UTC)


def test_reparse_reads_a_tweet_line():
    line = (FIXTURES / "flat.jsonl").read_text().splitlines()[0]
    (mention,) = reparse(line).mentions
    assert (mention.external_id, mention.author_handle) == ("1861000000000000101", "warga_sby")


def test_an_interrupted_import_resumes_without_loss_or_duplicates(factory, tmp_path, monkeypatch):
    path = copy(tmp_path, "flat.jsonl")
    real_save = importer.write_rows
    calls = []

    def crash_on_second(session, prepared):
        calls.append(len(prepared.rows))
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_save(session, prepared)

    monkeypatch.setattr(importer, "write_rows", crash_on_second)
    with pytest.raises(RuntimeError, match="power cut"):
        import_file(path, factory, now=NOW, batch_size=1)
    assert list(stored(factory)) == ["1861000000000000101"]
    monkeypatch.setattr(importer, "write_rows", real_save)

    resumed = import_file(path, factory, now=NOW, batch_size=1)
    assert (resumed.resumed_from_line, resumed.lines, resumed.imported) == (1, 2, 2)
    assert resumed.updated == 0
    assert sorted(stored(factory)) == [f"186100000000000010{i}" for i in (1, 2, 3)]

    again = import_file(path, factory, now=NOW)
    assert (again.lines, again.imported, again.updated) == (0, 0, 0)
    restarted = import_file(path, factory, now=NOW, restart=True)
    assert (restarted.lines, restarted.imported, restarted.updated) == (3, 0, 3)
    assert len(stored(factory)) == 3


def test_a_different_file_at_the_same_path_starts_from_the_beginning(factory, tmp_path):
    path = tmp_path / "archive.jsonl"
    shutil.copy(FIXTURES / "flat.jsonl", path)
    import_file(path, factory, now=NOW)
    lines = (FIXTURES / "pages.jsonl").read_text().splitlines()
    path.write_text(lines[1] + "\n")  # new content, shorter than the stored offset
    summary = import_file(path, factory, now=NOW)
    assert (summary.resumed_from_line, summary.imported) == (0, 2)


def test_long_file_names_still_fit_the_listener_column():
    name = listener_name(Path("/data/" + "arsip_twitter_kampanye_berani_lapor_" * 3 + ".jsonl"))
    assert len(name) <= 40 and name.startswith("import:arsip_twitter")


def test_big_files_are_parsed_by_worker_processes_with_the_same_result(
    factory, tmp_path, monkeypatch
):
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 0)
    first, second = (FIXTURES / "pages.jsonl").read_text().splitlines()
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join([first, "{oops", second]) + "\n")
    summary = import_file(path, factory, now=NOW, batch_size=100)
    assert (summary.lines, summary.imported, summary.quarantined) == (3, 5, 1)
    assert quarantined(factory)[0].reason.startswith("line 2: not valid JSON")
    assert stored(factory)["1861000000000000104"].author_handle == "ibu_rt05"
    with factory() as s:
        assert load_cursor(s, listener_name(path))["offset"] == path.stat().st_size
