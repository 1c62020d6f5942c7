"""Logging for the entry points: one format, and every configured secret redacted."""

from __future__ import annotations

import logging

from core.settings import Settings


class RedactSecrets(logging.Filter):
    """Replace configured secrets in every record's message (a library may log a token URL)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._settings.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self._settings.redact(text)
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
            record.exc_text = None
        return True


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    """Send logs to stderr with timestamps; secrets never reach the output."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


_HIDDEN: set[tuple[str, str]] = set()


def hide_in_logs(secret: str, loggers: tuple[str, ...], label: str = "<secret>") -> None:
    """Replace `secret` by `label` in every record of `loggers`, once per (secret, logger).

    For libraries that log request URLs with a token in them (the Telegram Bot API does), in
    processes where configure_logging's redaction is not installed (tests, library use).
    """

    def redact(record: logging.LogRecord) -> bool:
        if secret in (text := record.getMessage()):
            record.msg, record.args = text.replace(secret, label), None
        return True

    for name in loggers:
        if (secret, name) not in _HIDDEN:
            _HIDDEN.add((secret, name))
            logging.getLogger(name).addFilter(redact)
