"""The media library: rendered and uploaded images, stored once by sha256, always with alt text."""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from content.infographic import ALT_TEXT_MAX, Rendered
from core import audit
from core.db import transaction
from core.errors import InputError
from core.outreach import Campaign, MediaAsset, Post

# The strictest image limits of the channels we publish to (core.outreach.PUBLISH_CHANNELS):
# - X: "Image: 5 MB", GIF 15 MB (docs.x.com/x-api/media, media upload size restrictions).
# - Facebook: "We recommend uploading photos under 4MB", and a PNG over 1 MB may look
#   pixelated (developers.facebook.com/docs/graph-api/photo-uploads); its upload error reads
#   "Photos should be less than 4 MB". Decimal megabytes, to stay on the safe side.
# - Telegram sendPhoto: at most 10 MB, width + height at most 10000, sides at most 20:1
#   (core.telegram.org/bots/api#sendphoto; python-telegram-bot's PHOTOSIZE_UPLOAD = 10e6).
MAX_BYTES = 4_000_000
MAX_SIDES = 10_000
MAX_RATIO = 20
# Pillow format -> (MIME type, file extension). Facebook's guide lists JPEG, PNG, GIF (and BMP,
# TIFF, which X refuses); X takes WebP, and Facebook's own upload error names WebP too.
FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
           "GIF": ("image/gif", "gif"), "WEBP": ("image/webp", "webp")}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageInfo:
    """What an image file is: its format, MIME type, file extension and size in pixels."""

    format: str
    mime: str
    ext: str
    width: int
    height: int


def check_image(data: bytes) -> ImageInfo:
    """Return what `data` is when every channel we publish to can take it.

    Raises InputError, in a sentence saying what to do, for an empty, too large, damaged or
    oversized image, or one that is not PNG, JPEG, GIF or WebP.
    """
    if not data:
        raise InputError("The file is empty; choose the image again.")
    if len(data) > MAX_BYTES:
        raise InputError(
            f"The file is {len(data) / 1e6:.1f} MB, and Facebook takes images up to "
            f"{MAX_BYTES / 1e6:.0f} MB: export it smaller (JPEG, or fewer pixels)."
        )
    try:
        with warnings.catch_warnings():
            # A file that unpacks to a giant bitmap is refused, not decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
                fmt, (width, height) = str(probe.format), probe.size
                probe.verify()  # PNG: every chunk's checksum
            with Image.open(io.BytesIO(data), formats=[fmt]) as image:
                for frame in range(getattr(image, "n_frames", 1)):  # every frame of a GIF/WebP
                    image.seek(frame)
                    image.load()
    except UnidentifiedImageError:
        raise InputError(
            "This file is not a PNG, JPEG, GIF or WebP image; export it as one of "
            "those (PNG or JPEG is safest)."
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            "The image has far too many pixels; export it at most 4096 px wide."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(
            f"The image file is damaged ({exc}); export or download it again."
        ) from None
    if width + height > MAX_SIDES:
        raise InputError(
            f"The image is {width}×{height} px; Telegram takes at most {MAX_SIDES} px "
            "for width and height together: make it smaller."
        )
    if max(width, height) > MAX_RATIO * min(width, height):
        raise InputError(
            f"The image is {width}×{height} px, longer than {MAX_RATIO}:1, which "
            "Telegram refuses: crop it."
        )
    mime, ext = FORMATS[fmt]
    return ImageInfo(format=fmt, mime=mime, ext=ext, width=width, height=height)


def clean_alt_text(alt_text: str | None) -> str:
    """Return the alt text trimmed. Raises InputError when it is empty or longer than X takes."""
    text = " ".join((alt_text or "").split())
    if not text:
        raise InputError(
            "An image needs alt text: describe what it shows, and any text in it, "
            "for people who use a screen reader."
        )
    if len(text) > ALT_TEXT_MAX:
        raise InputError(
            f"The alt text has {len(text)} characters; X takes at most {ALT_TEXT_MAX}: shorten it."
        )
    return text


def _write(media_dir: Path, relative: str, data: bytes) -> None:
    target = media_dir / relative
    if target.is_file() and target.stat().st_size == len(data):
        return  # the name is the content's hash: the same bytes are already there
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then renamed: a reader never sees half a file, even during a crash.
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    os.replace(partial, target)


def _store(
    factory: sessionmaker[Session],
    media_dir: Path,
    data: bytes,
    info: ImageInfo,
    *,
    kind: str,
    title: str,
    alt_text: str,
    campaign_id: int | None,
    actor: str,
    now: datetime,
    template: str | None = None,
    spec: dict[str, Any] | None = None,
) -> MediaAsset:
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{digest[:2]}/{digest}.{info.ext}"
    _write(media_dir, relative, data)
    with transaction(factory) as session:
        if campaign_id is not None and session.get(Campaign, campaign_id) is None:
            raise InputError(f"There is no campaign {campaign_id}.")
        same = select(MediaAsset).where(
            MediaAsset.sha256 == digest,
            MediaAsset.campaign_id.is_(None)
            if campaign_id is None
            else MediaAsset.campaign_id == campaign_id,
        )
        existing = session.scalars(same.order_by(MediaAsset.id).limit(1)).first()
        if existing is not None:
            return existing  # the same image twice in one campaign is one library entry
        asset = MediaAsset(
            campaign_id=campaign_id,
            kind=kind,
            title=title[:300],
            path=relative,
            sha256=digest,
            mime=info.mime,
            width=info.width,
            height=info.height,
            bytes=len(data),
            alt_text=alt_text,
            template=template,
            spec=spec or {},
            created_by=actor,
            created_at=now,
        )
        session.add(asset)
        session.flush()
        audit.record(
            session,
            entity="media",
            entity_id=asset.id,
            action="create",
            actor=actor,
            at=now,
            before={},
            after={"kind": kind, "path": relative, "title": asset.title},
        )
        return asset


def save_rendered(
    factory: sessionmaker[Session],
    media_dir: Path,
    rendered: Rendered,
    *,
    actor: str,
    now: datetime,
    alt_text: str | None = None,
    title: str | None = None,
    campaign_id: int | None = None,
) -> MediaAsset:
    """Store a rendered infographic and return its library row (kind "rendered").

    The PNG goes under `media_dir` named by its sha256; `alt_text` replaces the suggested one
    when given. The same image saved again for the same campaign returns the first row.
    Raises InputError for empty alt text or an unknown campaign.
    """
    alt = clean_alt_text(rendered.alt_text if alt_text is None else alt_text)
    info = ImageInfo(
        format="PNG", mime="image/png", ext="png", width=rendered.width, height=rendered.height
    )
    if len(rendered.png) > MAX_BYTES:
        raise InputError("This infographic is too large a file to publish; use fewer words.")
    name = (title or str(rendered.spec.get("title", "")) or "Infografik").strip()
    return _store(
        factory,
        media_dir,
        rendered.png,
        info,
        kind="rendered",
        title=name,
        alt_text=alt,
        campaign_id=campaign_id,
        actor=actor,
        now=now,
        template=rendered.template,
        spec={**rendered.spec, "template": rendered.template},
    )


def save_upload(
    factory: sessionmaker[Session],
    media_dir: Path,
    data: bytes,
    *,
    title: str,
    alt_text: str,
    actor: str,
    now: datetime,
    campaign_id: int | None = None,
) -> MediaAsset:
    """Store an uploaded image and return its library row (kind "uploaded").

    Raises InputError, before anything is written, when the alt text or title is empty, or
    the file is not an image every channel takes (see check_image).
    """
    alt = clean_alt_text(alt_text)
    if not title.strip():
        raise InputError("Give the image a title, so the library can show which one it is.")
    info = check_image(data)
    return _store(
        factory,
        media_dir,
        data,
        info,
        kind="uploaded",
        title=title.strip(),
        alt_text=alt,
        campaign_id=campaign_id,
        actor=actor,
        now=now,
    )


def list_assets(
    factory: sessionmaker[Session], *, campaign_id: int | None = None, limit: int = 200
) -> list[MediaAsset]:
    """Return the library's images, newest first: all of them, or one campaign's."""
    stmt = select(MediaAsset).order_by(MediaAsset.created_at.desc(), MediaAsset.id.desc())
    if campaign_id is not None:
        stmt = stmt.where(MediaAsset.campaign_id == campaign_id)
    with factory() as session:
        return list(session.scalars(stmt.limit(limit)))


def _load(session: Session, asset_id: int) -> MediaAsset:
    asset = session.get(MediaAsset, asset_id)
    if asset is None:
        raise InputError(f"There is no image {asset_id} in the media library.")
    return asset


def edit_alt_text(
    factory: sessionmaker[Session], asset_id: int, alt_text: str, *, actor: str, now: datetime
) -> MediaAsset:
    """Replace an image's alt text and return the row. Raises InputError for empty text."""
    text = clean_alt_text(alt_text)
    with transaction(factory) as session:
        asset = _load(session, asset_id)
        before, asset.alt_text = asset.alt_text, text
        audit.record(
            session,
            entity="media",
            entity_id=asset_id,
            action="edit_alt_text",
            actor=actor,
            at=now,
            before={"alt_text": before},
            after={"alt_text": text},
        )
        return asset


class StoredImage(Protocol):
    """Anything that names a stored image: a MediaAsset row, or a console view of one."""

    @property
    def id(self) -> int: ...

    @property
    def path(self) -> str: ...


def asset_path(media_dir: Path, asset: StoredImage) -> Path:
    """Return the absolute path of an image's file.

    Raises InputError when the stored path leads outside `media_dir` or the file is missing.
    """
    root = media_dir.resolve()
    path = (root / asset.path).resolve()
    if not path.is_relative_to(root):
        raise InputError(f"Image {asset.id} points outside the media folder; upload it again.")
    if not path.is_file():
        raise InputError(f"The file of image {asset.id} ({asset.path}) is missing from {root}.")
    return path


def delete_asset(
    factory: sessionmaker[Session], media_dir: Path, asset_id: int, *, actor: str, now: datetime
) -> None:
    """Remove an image from the library, and its file when no other entry shares it.

    Raises InputError when a post uses the image (take it off the post first).
    """
    try:
        with transaction(factory) as session:
            asset = _load(session, asset_id)
            used = session.execute(
                select(Post.id, Post.title)
                .where(Post.media_id == asset_id)
                .order_by(Post.id)
                .limit(3)
            ).all()
            if used:
                posts = ", ".join(f"{pid} ('{title}')" for pid, title in used)
                raise InputError(
                    f"Image '{asset.title}' is used by post {posts}; take it off "
                    "the post before deleting it."
                )
            digest, relative = asset.sha256, asset.path
            session.delete(asset)
            audit.record(
                session,
                entity="media",
                entity_id=asset_id,
                action="delete",
                actor=actor,
                at=now,
                before={"path": relative, "title": asset.title},
                after={},
            )
    except IntegrityError:
        # A post took the image between our check and the delete.
        raise InputError(
            f"Image {asset_id} was just attached to a post; take it off first."
        ) from None
    with factory() as session:
        shared = session.scalar(select(func.count()).where(MediaAsset.sha256 == digest))
    if not shared:
        (media_dir / relative).unlink(missing_ok=True)
