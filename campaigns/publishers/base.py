"""What every channel publisher does: post one version, look it up after a crash, read its figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from core.errors import LaporError


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishRequest:
    """One channel version to post, as the publish service hands it to a publisher."""

    key: str  # the attempt: "post:<post id>:<channel>:<attempt number>"
    variant_key: str  # the version: "post:<post id>:<channel>"
    channel: str
    text: str
    media_path: Path | None = None  # an image from the media library
    alt_text: str | None = None  # always set when media_path is
    since: datetime  # when the first attempt of this version started (lookups search from here)


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    """What the platform made: its id for the post and, when known, a link to it."""

    external_id: str
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Figures:
    """One post's figures at one moment; None where the platform does not give that figure."""

    impressions: int | None = None
    reach: int | None = None
    reactions: int | None = None  # likes on X, all reactions on Facebook
    comments: int | None = None  # replies on X
    shares: int | None = None  # reposts + quotes on X
    clicks: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


class CannotTellError(LaporError):
    """The platform offers no way to see whether a post went out (Telegram: bots cannot read)."""

    def __init__(self, channel: str, why: str) -> None:
        self.channel = channel
        super().__init__(f"{channel}: cannot tell whether the post went out ({why})")


class Publisher(Protocol):
    """Posts on one channel.

    `publish` returns what the platform made. It raises RetriableSourceError when nothing was
    posted and a later try may work (429, 5xx, no connection), UncertainDeliveryError when the
    request left but no answer came (it may be posted), FatalSourceError when the platform
    refused (keys, permissions, the content itself).

    `lookup` returns what was posted for `request.variant_key` since `request.since`, or None
    when the platform shows nothing was. Raises CannotTellError when the platform cannot be
    asked, RetriableSourceError when asking failed.

    `metrics` returns the figures of the given external ids (ids the platform no longer knows
    are left out). Raises RetriableSourceError or FatalSourceError like `publish`.
    """

    @property
    def channel(self) -> str: ...

    def publish(self, request: PublishRequest) -> Published: ...

    def lookup(self, request: PublishRequest) -> Published | None: ...

    def metrics(self, external_ids: Sequence[str]) -> dict[str, Figures]: ...
