"""The demo stream: deterministic, varied Indonesian items on every channel, through the store."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core.clock import local
from core.db import transaction
from core.errors import BadPayloadError, FatalSourceError
from core.mentions import MentionIn, load_cursor, save_batch
from core.models import Mention, QuarantineItem
from core.settings import DEFAULT_HASHTAGS, Settings
from listeners.demo import HISTORY_BASE, DemoListener, generate, history, reparse
from listeners.demo_text import load

SEED = 1708
DAY = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Jakarta
NIGHT = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 03:00 in Jakarta
KEYWORDS = {
    "infrastruktur": r"jalan|jl\.|pju|lampu|drainase|air|angkot|parkir|jembatan|trotoar|gorong|halte|pipa",
    "kependudukan": r"ktp|\bkk\b|akta|disdukcapil|kia|nik|surat pindah|petugas",
    "sosial": r"bansos|pkh|bpnt|blt|dtks|thr|umk|phk|dinsos|disnaker|kks|ppa|lansia|sembako",
    "pendidikan": r"ppdb|zonasi|sekolah|sdn|smpn|sman|smkn|pip|kip|ijazah",
    "kesehatan": r"bpjs|puskesmas|rsud|rumah sakit|rs daerah|igd|dbd|posyandu|ambulans|obat",
    "energi": r"listrik|pln|lpg|solar|pertalite|spbu|token",
    "keuangan_aset": r"pajak|samsat|pbb|bbnkb|aset",
    "pertanian": r"pupuk|gabah|irigasi|kartu tani|petani|wereng|poktan",
    "kepegawaian": r"honorer|pppk|asn|bkd|pegawai",
    "lingkungan": r"sampah|limbah|pohon|asap|bau|sungai|bising",
    "ekonomi_industri": r"harga|beras|pasar|nib|oss|minyakita|kur|timbangan",
    "bencana": r"banjir|longsor|gempa|kebakaran|tanggul|puting beliung|pengungsi",
    "pariwisata_budaya": r"wisata|museum|cagar budaya|taman kota",
    "lainnya": r"pkl|balap liar|karaoke|pengamen|baliho|anjing liar",
}
PHONE = re.compile(r"(?:\+62 ?|0)8\d{2}[- ]?1708[- ]?\d{4}")
NIK = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(99\d{2})(?!\d)")
EMAIL = re.compile(r"[\w.]+@(?:example\.(?:com|net|org)|mail\.example)")


def settings(**values) -> Settings:
    defaults = {"demo_seed": SEED, "demo_per_poll": 6, "demo_poll_seconds": 20}
    return Settings(_env_file=None, **(defaults | values))


@pytest.fixture(scope="module")
def stream() -> dict[int, MentionIn | None]:
    """5,000 live items by seq; None for the deliberately broken ones."""
    items: dict[int, MentionIn | None] = {}
    for seq in range(5000):
        try:
            items[seq] = generate(seq, SEED, DAY)
        except BadPayloadError:
            items[seq] = None
    return items


def good(stream) -> list[MentionIn]:
    return [m for m in stream.values() if m is not None]


def label(m: MentionIn) -> dict:
    return m.raw["demo"]


def test_the_same_seq_always_gives_the_same_item():
    for seq in (0, 7, 149, 4321):
        assert generate(seq, SEED, DAY) == generate(seq, SEED, DAY)
    texts = [generate(seq, SEED, DAY).text for seq in range(1, 40) if seq != 23]
    assert len(set(texts)) > 35  # a varied stream, not one item on repeat
    other = [generate(seq, SEED + 1, DAY).text for seq in range(1, 40)]
    assert sum(a != b for a, b in zip(texts, other, strict=False)) > 30


def test_poll_numbers_items_from_the_cursor_and_advances_it():
    listener = DemoListener(settings(), now=lambda: DAY)
    first = listener.poll(None)
    assert first.next_cursor == {"seq": 6}
    second = listener.poll(first.next_cursor)
    assert second.next_cursor == {"seq": 12}
    ids = [m.external_id for m in second.mentions]
    ids += [json.loads(b.raw)["external_id"] for b in second.quarantined]
    assert sorted(ids) == sorted(f"demo-{SEED}-{seq}" for seq in range(6, 12))
    for m in second.mentions:
        assert DAY - timedelta(seconds=20) <= m.created_at <= DAY


def test_replaying_a_cursor_regenerates_the_same_items_so_a_restart_has_no_gap_or_duplicate():
    early = DemoListener(settings(), now=lambda: DAY).poll({"seq": 300})
    later = DemoListener(settings(), now=lambda: DAY + timedelta(minutes=7)).poll({"seq": 300})
    assert [(m.platform, m.external_id, m.text) for m in early.mentions] == [
        (m.platform, m.external_id, m.text) for m in later.mentions
    ]
    assert early.next_cursor == later.next_cursor == {"seq": 306}


def test_fewer_items_at_night_in_jakarta():
    def total(now: datetime) -> int:
        listener = DemoListener(settings(), now=lambda: now)
        cursor, count = {"seq": 0}, 0
        for _ in range(50):
            batch = listener.poll(cursor)
            count += len(batch.mentions) + len(batch.quarantined)
            cursor = batch.next_cursor
        assert cursor == {"seq": count}
        return count

    assert total(DAY) == 300
    assert total(NIGHT) < 60


def test_a_bad_cursor_stops_the_listener_with_a_clear_reason():
    with pytest.raises(FatalSourceError, match="seq"):
        DemoListener(settings(), now=lambda: DAY).poll({"seq": "abc"})


def test_every_sector_appears_and_reads_like_its_sector(stream):
    by_sector: dict[str, list[str]] = {}
    for m in good(stream):
        if label(m)["intent"] == "pengaduan" and not (label(m)["duplicate_of"] or m.reply_to_id):
            by_sector.setdefault(label(m)["sector"], []).append(m.text.lower())
    assert set(by_sector) == set(KEYWORDS)
    for sector, texts in by_sector.items():
        hits = sum(bool(re.search(KEYWORDS[sector], text)) for text in texts)
        assert hits >= 0.9 * len(texts), sector
    intents = Counter(label(m)["intent"] for m in good(stream))
    for intent in ("pengaduan", "aspirasi", "permintaan_informasi", "status", "apresiasi"):
        assert intents[intent] > 50, intent
    for intent in ("berita", "kampanye", "promosi", "obrolan"):
        assert intents[intent] > 50, intent
    disasters = [m for m in good(stream) if label(m)["intent"] == "pengaduan"]
    assert all(label(m)["urgent"] for m in disasters if label(m)["sector"] == "bencana")


def test_the_stream_speaks_like_indonesian_social_media(stream):
    texts = [m.text for m in good(stream)]
    joined = "\n".join(texts)
    for word in (
        "gak",
        "udh",
        "bgt",
        "tolonggg",
        "min",
        "Sugeng",
        "Nyuwun sewu",
        "Yth.",
        "lapor.go.id",
    ):
        assert word in joined, word
    assert any(len(t) > 450 for t in texts) and any(len(t) < 80 for t in texts)
    assert all(len(m.text) <= 280 for m in good(stream) if m.platform == "x")
    x_items = [m for m in good(stream) if m.platform == "x"]
    tagged = sum("LAPOR1708" in m.mentioned for m in x_items)
    assert tagged > 0.5 * len(x_items)


def test_campaign_hashtags_appear(stream):
    tags = Counter(tag for m in good(stream) for tag in m.hashtags)
    for tag in DEFAULT_HASHTAGS:
        assert tags[tag] > 5, tag


def test_some_items_carry_invented_personal_data(stream):
    texts = [m.text for m in good(stream)]
    assert sum(bool(PHONE.search(t)) for t in texts) > 50
    assert sum(bool(EMAIL.search(t)) for t in texts) > 20
    niks = [match for t in texts for match in NIK.findall(t)]
    assert len(niks) > 20
    regions = {city["kode"] for city in load("places")["cities"]}
    for region, district, day, month, year, _serial in niks:
        assert region in regions and int(district) >= 1
        date(1900 + int(year), int(month), int(day) % 40 or 40)  # a real calendar date
    flagged = Counter(kind for m in good(stream) for kind in label(m)["pii"])
    assert flagged["phone"] and flagged["nik"] and flagged["email"]


def test_near_duplicates_retweets_and_me_too_replies(stream):
    by_id = {m.external_id: m for m in good(stream)}
    retweets = copies = replies = 0
    for m in good(stream):
        source = by_id.get(label(m)["duplicate_of"] or m.reply_to_id or "")
        if source is None:
            continue
        assert int(source.external_id.rsplit("-", 1)[1]) < label(m)["seq"]
        if m.text.startswith("RT @"):
            assert m.text.startswith(f"RT @{source.author_handle}: ")
            assert source.text.startswith(m.text.split(": ", 1)[1].rstrip("…"))
            retweets += 1
        elif m.kind == "reply":
            assert m.text.startswith(f"@{source.author_handle} ")
            assert source.author_handle in m.mentioned
            replies += 1
        else:
            words, theirs = set(m.text.lower().split()), set(source.text.lower().split())
            assert len(words & theirs) / min(len(words), len(theirs)) > 0.6  # mostly the same
            assert m.author_name != source.author_name or m.platform != source.platform
            copies += 1
    assert retweets > 50 and copies > 50 and replies > 30


def test_every_platform_with_its_own_fields(stream):
    platforms = Counter(m.platform for m in good(stream))
    assert set(platforms) == {"x", "facebook", "telegram", "line", "messenger"}
    assert platforms["x"] == max(platforms.values())
    for m in good(stream):
        assert m.external_id.startswith("demo-")
        if m.platform == "x":
            assert re.fullmatch(rf"https://x\.com/{m.author_handle}/status/\d+", m.url)
            assert {"like_count", "retweet_count", "reply_count"} <= set(m.metrics)
            assert m.lang == "in" and m.kind in ("post", "reply")
        elif m.platform == "facebook":
            assert m.kind in ("comment", "post") and m.conversation_id
        else:
            assert m.kind == "message" and m.url is None and m.author_id
    fb_threads = Counter(m.conversation_id for m in good(stream) if m.kind == "comment")
    assert fb_threads.most_common(1)[0][1] > 10  # comments gather under the page's posts


def test_ids_are_unique_per_platform_and_authors_follow_a_long_tail(stream):
    keys = [(m.platform, m.external_id) for m in good(stream)]
    assert len(keys) == len(set(keys))
    authors = Counter(m.author_handle for m in good(stream) if m.platform == "x")
    assert len(authors) > 200
    top10 = sum(count for _, count in authors.most_common(10))
    assert top10 > 0.15 * sum(authors.values())


def test_about_one_item_in_150_is_quarantined_and_stays_broken(stream):
    broken = [seq for seq, m in stream.items() if m is None]
    assert 5000 / 300 < len(broken) < 5000 / 75
    seq = broken[0]
    listener = DemoListener(settings(demo_per_poll=1), now=lambda: DAY)
    batch = listener.poll({"seq": seq})
    assert batch.mentions == [] and len(batch.quarantined) == 1
    bad = batch.quarantined[0]
    assert "no text" in bad.reason
    with pytest.raises(BadPayloadError, match="no text"):
        reparse(bad.raw)
    fixed = json.loads(bad.raw) | {"text": "Jalan rusak di Jl. Kenjeran @LAPOR1708 #BeraniLAPOR"}
    (mention,) = reparse(json.dumps(fixed)).mentions
    assert mention.external_id == f"demo-{SEED}-{seq}"
    assert mention.hashtags == ("BeraniLAPOR",) and mention.mentioned == ("LAPOR1708",)
    with pytest.raises(BadPayloadError):
        reparse("not json")


def test_history_spans_the_days_with_a_daily_rhythm_and_a_campaign_peak():
    batch = history(7, SEED, DAY, per_day=150)
    assert batch.next_cursor is None and not batch.quarantined
    today = local(DAY).date()
    dates = Counter(local(m.created_at).date() for m in batch.mentions)
    assert set(dates) == {today - timedelta(days=d) for d in range(7)}
    assert all(m.created_at < DAY for m in batch.mentions)
    assert all(label(m)["seq"] >= HISTORY_BASE for m in batch.mentions)
    hours = Counter(local(m.created_at).hour for m in batch.mentions)
    assert sum(hours[h] for h in range(9, 18)) / 9 > 4 * sum(hours[h] for h in range(1, 4)) / 3
    campaign = Counter(
        local(m.created_at).date()
        for m in batch.mentions
        if set(m.hashtags) & set(DEFAULT_HASHTAGS)
    )
    assert campaign.most_common(1)[0][0] == today - timedelta(days=2)
    # The same call a day later (as `make run` again) gives the same ids: the store adds nothing.
    again = {m.external_id for m in history(7, SEED, DAY + timedelta(days=1), per_day=150).mentions}
    before_today = {m.external_id for m in batch.mentions if local(m.created_at).date() < today}
    assert before_today <= again


def test_batches_save_through_the_store(factory):
    listener = DemoListener(settings(demo_per_poll=50), now=lambda: DAY)
    live = listener.poll(None)
    past = history(2, SEED, DAY, per_day=40)
    with transaction(factory) as s:
        saved = save_batch(s, "demo", live, DAY)
        seeded = save_batch(s, "demo", past, DAY)
    with transaction(factory) as s:
        replay = save_batch(s, "demo", past, DAY)
    assert saved.inserted == len(live.mentions) and saved.quarantined == len(live.quarantined)
    assert seeded.inserted == len(past.mentions) and replay.inserted == 0
    with factory() as s:
        assert (
            s.scalar(select(func.count()).select_from(Mention)) == saved.inserted + seeded.inserted
        )
        assert s.scalar(select(func.count()).select_from(QuarantineItem)) == saved.quarantined
        assert load_cursor(s, "demo") == {"seq": 50}
        platforms = set(s.scalars(select(Mention.platform).where(Mention.listener == "demo")))
    assert {"x", "facebook"} <= platforms
