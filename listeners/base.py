"""The Listener interface: a tap with an explicit cursor (see STYLE.md §2)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from core.mentions import Batch, Cursor
from core.settings import Settings


class Listener(Protocol):
    """Polls one source. `poll` returns the next batch and the cursor that covers it.

    Raises RetriableSourceError (429, 5xx, timeouts) or FatalSourceError (401/403, bad config);
    an item it cannot parse goes into `Batch.quarantined`, never an exception.
    """

    name: ClassVar[str]

    def poll(self, cursor: Cursor | None) -> Batch: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenerSpec:
    """How the registry knows a listener: build it, say why it is off, how often to poll."""

    name: str
    label: str
    build: Callable[[Settings], Listener] | None  # None: webhook-only channel
    missing: Callable[[Settings], str | None]  # reason it is off, or None when configured
    interval: Callable[[Settings], int]

    def off_reason(self, settings: Settings) -> str | None:
        """Return why this listener is off under `settings`, or None when it is on."""
        return self.missing(settings)
