"""The media library on SQLite and PostgreSQL: files by sha256, alt text, uploads checked, deletes."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from content import media
from content.infographic import Figure, InfographicSpec, Rendered, render
from core.casework import AuditEntry
from core.db import transaction
from core.errors import InputError
from core.outreach import Campaign, MediaAsset, Post

NOW = datetime(2026, 6, 8, 3, 0, tzinfo=UTC)
SPEC = InfographicSpec(
    title="1.607 laporan selama libur Lebaran",
    figures=(Figure(value=1607, label="laporan masuk", unit="laporan"),),
)


@pytest.fixture(scope="module")
def rendered() -> Rendered:
    return render(SPEC, "x")


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """The media folder (the SQLite store lives beside it in tmp_path)."""
    return tmp_path / "media"


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), **params: object) -> bytes:
    buffer = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new(mode, size, 120).save(buffer, fmt, **params)
    return buffer.getvalue()


def campaign(factory: sessionmaker[Session], name: str = "Mudik 2026") -> int:
    with transaction(factory) as session:
        row = Campaign(name=name, created_by="champion", created_at=NOW, updated_at=NOW)
        session.add(row)
        session.flush()
        return row.id


def post_using(factory: sessionmaker[Session], campaign_id: int, media_id: int | None) -> int:
    with transaction(factory) as session:
        row = Post(campaign_id=campaign_id, title="Ayo lapor saat mudik", media_id=media_id,
                   author="champion", edited_by="champion", created_at=NOW, updated_at=NOW)  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.exists() else []


def count_assets(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(MediaAsset)) or 0)


# Rendered images -----------------------------------------------------------------------------


def test_a_rendered_image_is_stored_by_its_sha256_with_what_made_it(
    factory: sessionmaker[Session], media_dir: Path, rendered: Rendered
) -> None:
    cid = campaign(factory)

    asset = media.save_rendered(factory, media_dir, rendered, actor="champion", now=NOW,
                                campaign_id=cid)  # fmt: skip

    digest = hashlib.sha256(rendered.png).hexdigest()
    path = media.asset_path(media_dir, asset)
    assert path == (media_dir / digest[:2] / f"{digest}.png").resolve()
    assert path.read_bytes() == rendered.png
    with factory() as session:
        row = session.get(MediaAsset, asset.id)
        assert row is not None
        assert (row.kind, row.template, row.campaign_id) == ("rendered", "x", cid)
        assert (row.sha256, row.mime, row.bytes) == (digest, "image/png", len(rendered.png))
        assert (row.width, row.height) == (1200, 675)
        assert row.title == SPEC.title
        assert row.alt_text == rendered.alt_text
        assert row.spec["title"] == SPEC.title and row.spec["template"] == "x"
        assert row.spec["figures"][0]["value"] == 1607
        assert (row.created_by, row.created_at) == ("champion", NOW)
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "media"))
        assert list(actions) == ["create"]


def test_the_person_may_replace_the_suggested_alt_text(
    factory: sessionmaker[Session], media_dir: Path, rendered: Rendered
) -> None:
    alt = "Infografik LAPOR!: 1.607 laporan masuk selama libur Lebaran."
    asset = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW, alt_text=alt)
    assert asset.alt_text == alt

    with pytest.raises(InputError, match="needs alt text"):
        media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW, alt_text="  ")


def test_the_same_image_twice_reuses_its_file_and_its_entry(
    factory: sessionmaker[Session], media_dir: Path, rendered: Rendered
) -> None:
    cid, other = campaign(factory), campaign(factory, "Car Free Day")

    first = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW, campaign_id=cid)
    again = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW, campaign_id=cid)
    elsewhere = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW,
                                    campaign_id=other)  # fmt: skip

    assert again.id == first.id
    assert elsewhere.id != first.id and elsewhere.path == first.path
    assert len(files(media_dir)) == 1
    assert count_assets(factory) == 2


# Uploads -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime", "ext"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("GIF", "image/gif", "gif"),
     ("WEBP", "image/webp", "webp")],
)  # fmt: skip
def test_an_upload_in_a_format_every_channel_takes_is_stored(
    factory: sessionmaker[Session], media_dir: Path, fmt: str, mime: str, ext: str
) -> None:
    data = image_bytes(fmt)

    asset = media.save_upload(factory, media_dir, data, title="Poster", alt_text="Poster LAPOR!",
                              actor="champion", now=NOW)  # fmt: skip

    assert (asset.kind, asset.mime, asset.width, asset.height) == ("uploaded", mime, 64, 48)
    assert asset.path.endswith(f".{ext}")
    assert media.asset_path(media_dir, asset).read_bytes() == data


def test_the_same_upload_twice_is_one_file(factory: sessionmaker[Session], media_dir: Path) -> None:
    data = image_bytes("JPEG")
    a = media.save_upload(
        factory, media_dir, data, title="A", alt_text="Poster", actor="c", now=NOW
    )
    b = media.save_upload(
        factory, media_dir, data, title="B", alt_text="Poster", actor="c", now=NOW
    )

    assert a.id == b.id
    assert len(files(media_dir)) == 1


def truncated_png() -> bytes:
    data = image_bytes("PNG", (200, 200))
    return data[: len(data) // 2]


def bad_checksum_png() -> bytes:
    data = bytearray(image_bytes("PNG"))
    data[-20] ^= 0xFF  # inside the image data or its CRC
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "The file is empty"),
        (b"%PDF-1.7 not an image", "not a PNG, JPEG, GIF or WebP image"),
        (image_bytes("BMP"), "not a PNG, JPEG, GIF or WebP image"),
        (truncated_png(), "The image file is damaged"),
        (bad_checksum_png(), "The image file is damaged"),
        (image_bytes("JPEG", (64, 48))[:300], "The image file is damaged"),
        (b"\x89PNG" + b"\0" * 4_000_000, "Facebook takes images up to 4 MB"),
        (image_bytes("PNG", (2100, 100)), "longer than 20:1, which Telegram refuses"),
        (image_bytes("PNG", (6000, 4100)), "Telegram takes at most 10000 px"),
    ],
    ids=["empty", "pdf", "bmp", "truncated", "checksum", "cut-jpeg", "too-big", "ratio", "sides"],
)
def test_a_file_no_channel_would_take_is_refused_in_a_sentence(
    factory: sessionmaker[Session], media_dir: Path, data: bytes, said: str
) -> None:
    with pytest.raises(InputError, match=said):
        media.save_upload(factory, media_dir, data, title="Poster", alt_text="Poster", actor="c",
                          now=NOW)  # fmt: skip

    assert files(media_dir) == []
    assert count_assets(factory) == 0


@pytest.mark.parametrize("alt", ["", "   \n"])
def test_an_image_without_alt_text_is_refused(
    factory: sessionmaker[Session], media_dir: Path, alt: str
) -> None:
    with pytest.raises(InputError, match="An image needs alt text"):
        media.save_upload(factory, media_dir, image_bytes("PNG"), title="Poster", alt_text=alt,
                          actor="c", now=NOW)  # fmt: skip

    assert files(media_dir) == []
    assert count_assets(factory) == 0


def test_alt_text_longer_than_x_takes_is_refused() -> None:
    with pytest.raises(InputError, match="1001 characters; X takes at most 1000"):
        media.clean_alt_text("a" * 1001)


def test_an_unknown_campaign_is_refused(factory: sessionmaker[Session], media_dir: Path) -> None:
    with pytest.raises(InputError, match="no campaign 99"):
        media.save_upload(factory, media_dir, image_bytes("PNG"), title="P", alt_text="Poster",
                          actor="c", now=NOW, campaign_id=99)  # fmt: skip


# Listing, editing, paths ---------------------------------------------------------------------


def test_assets_are_listed_newest_first_per_campaign(
    factory: sessionmaker[Session], media_dir: Path
) -> None:
    cid = campaign(factory)
    ids = []
    for i, colour in enumerate((10, 20, 30)):
        data = io.BytesIO()
        Image.new("RGB", (40, 40), (colour, 0, 0)).save(data, "PNG")
        asset = media.save_upload(factory, media_dir, data.getvalue(), title=f"P{i}",
                                  alt_text="Poster", actor="c", now=NOW + timedelta(minutes=i),
                                  campaign_id=cid if i != 1 else None)  # fmt: skip
        ids.append(asset.id)

    assert [a.id for a in media.list_assets(factory)] == ids[::-1]
    assert [a.id for a in media.list_assets(factory, campaign_id=cid)] == [ids[2], ids[0]]


def test_alt_text_can_be_edited_but_not_emptied(
    factory: sessionmaker[Session], media_dir: Path, rendered: Rendered
) -> None:
    asset = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW)

    edited = media.edit_alt_text(
        factory, asset.id, "  Grafik laporan  Lebaran ", actor="e", now=NOW
    )

    assert edited.alt_text == "Grafik laporan Lebaran"
    assert media.list_assets(factory)[0].alt_text == "Grafik laporan Lebaran"
    with pytest.raises(InputError, match="needs alt text"):
        media.edit_alt_text(factory, asset.id, "", actor="e", now=NOW)
    with pytest.raises(InputError, match="no image 999"):
        media.edit_alt_text(factory, 999, "Grafik", actor="e", now=NOW)


def test_a_path_outside_the_media_folder_is_refused(
    factory: sessionmaker[Session], media_dir: Path, rendered: Rendered
) -> None:
    asset = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW)
    (media_dir.parent / "secret.png").write_bytes(b"x")
    asset.path = "../secret.png"

    with pytest.raises(InputError, match="outside the media folder"):
        media.asset_path(media_dir, asset)


# Deleting ------------------------------------------------------------------------------------


def test_an_image_a_post_uses_cannot_be_deleted(
    factory: sessionmaker[Session], media_dir: Path, rendered: Rendered
) -> None:
    cid = campaign(factory)
    asset = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW, campaign_id=cid)
    post_id = post_using(factory, cid, asset.id)

    with pytest.raises(InputError, match=f"used by post {post_id} \\('Ayo lapor saat mudik'\\)"):
        media.delete_asset(factory, media_dir, asset.id, actor="c", now=NOW)

    assert count_assets(factory) == 1
    assert media.asset_path(media_dir, asset).is_file()


def test_deleting_removes_the_file_once_no_entry_shares_it(
    factory: sessionmaker[Session], media_dir: Path, rendered: Rendered
) -> None:
    cid, other = campaign(factory), campaign(factory, "Car Free Day")
    a = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW, campaign_id=cid)
    b = media.save_rendered(factory, media_dir, rendered, actor="c", now=NOW, campaign_id=other)
    path = media.asset_path(media_dir, a)

    media.delete_asset(factory, media_dir, a.id, actor="c", now=NOW)
    assert path.is_file()  # b still shows it
    media.delete_asset(factory, media_dir, b.id, actor="c", now=NOW)

    assert not path.exists()
    assert count_assets(factory) == 0
    with pytest.raises(InputError, match=f"no image {a.id}"):
        media.delete_asset(factory, media_dir, a.id, actor="c", now=NOW)
