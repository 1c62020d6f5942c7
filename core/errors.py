"""The tool's error hierarchy: one root, then what a listener or a person must do about it."""

from __future__ import annotations

from datetime import datetime


class LaporError(Exception):
    """Root of every error lapor-social raises on purpose."""


class ConfigError(LaporError):
    """A setting is missing or wrong; the message says which and how to fix it."""


class SourceError(LaporError):
    """A platform call failed."""

    def __init__(self, source: str, detail: str) -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"{source}: {detail}")


class RetriableSourceError(SourceError):
    """429, 5xx or a timeout: back off (until `retry_at` when the platform says) and try again."""

    def __init__(self, source: str, detail: str, retry_at: datetime | None = None) -> None:
        self.retry_at = retry_at
        super().__init__(source, detail)


class UncertainDeliveryError(RetriableSourceError):
    """The request left but no answer came back: the platform may or may not have posted it."""


class FatalSourceError(SourceError):
    """401/403 or bad configuration: stop this listener and tell the console."""


class BadPayloadError(LaporError):
    """One item could not be understood; it is quarantined with `reason` and the batch goes on."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class InputError(LaporError):
    """A person gave input we cannot use; the message is a sentence that says what to fix."""
