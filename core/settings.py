"""One Settings object for the whole tool: `LAPOR_` environment variables and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_X_QUERY = (
    "#BeraniLAPOR OR #AyoKenalLAPOR OR #GerakanSadarLAPOR OR #AyokLAPOR "
    "OR @LAPOR1708 OR lapor.go.id -is:retweet"
)
DEFAULT_HASHTAGS = (
    "BeraniLAPOR",
    "AyoKenalLAPOR",
    "GerakanSadarLAPOR",
    "AyokLAPOR",
    "KenalLAPORsaatMudik",
)

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Everything configurable; secrets are `SecretStr` and never leave this object in clear."""

    model_config = SettingsConfigDict(
        env_prefix="LAPOR_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite:///data/lapor.db"
    timezone: str = "Asia/Jakarta"

    # Hashtags the tool watches on every channel (without '#').
    watched_hashtags: CommaList = list(DEFAULT_HASHTAGS)

    # X (tweepy, API v2)
    x_bearer_token: SecretStr | None = None
    x_consumer_key: SecretStr | None = None
    x_consumer_secret: SecretStr | None = None
    x_access_token: SecretStr | None = None
    x_access_token_secret: SecretStr | None = None
    x_queries: CommaList = [DEFAULT_X_QUERY]
    x_username: str = "LAPOR1708"
    x_user_id: str | None = None
    x_poll_seconds: int = 60
    x_max_pages: int = 10

    # Facebook Page (Graph API via python-facebook-api)
    facebook_page_id: str | None = None
    facebook_page_token: SecretStr | None = None
    facebook_app_secret: SecretStr | None = None  # optional: adds appsecret_proof to calls
    facebook_graph_version: str = "v25.0"
    facebook_poll_seconds: int = 120
    facebook_max_posts: int = 25

    # Telegram (python-telegram-bot)
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_bot_username: str | None = None
    telegram_poll_seconds: int = 10
    telegram_base_url: str = "https://api.telegram.org/bot"

    # LINE and Messenger (webhooks)
    line_channel_secret: SecretStr | None = None
    line_channel_access_token: SecretStr | None = None
    line_api_host: str = "https://api.line.me"  # LINE Messaging API base (a local fake in tests)
    messenger_app_secret: SecretStr | None = None
    messenger_verify_token: SecretStr | None = None
    messenger_page_token: SecretStr | None = None

    # Demo stream: on by default when no platform is configured.
    demo_enabled: bool | None = None
    demo_seed: int = 1708
    demo_per_poll: int = 6
    demo_poll_seconds: int = 20

    # Handling (issue 3): queue, reports, deadlines in working days (Permen PANRB 62/2018,
    # updated by 5/2025; Perpres 76/2013). Every limit is configurable; these are the defaults.
    lease_minutes: int = 15
    tracking_prefix: str = "LPR"
    verify_working_days: int = 3
    followup_working_days: int = 5
    close_after_silent_working_days: int = 10
    resolve_working_days_pengaduan: int = 14
    resolve_working_days_pengaduan_supervised: int = 60
    resolve_working_days_aspirasi: int = 5
    resolve_working_days_permintaan_informasi: int = 5
    priority_calendar_days: int = 3  # Covid-like priority reports: calendar days
    triage_model_path: str | None = None  # a model from `lapor-social train`; default: shipped
    routing_file: str | None = None  # YAML/CSV routing table loaded by `agencies import`
    reply_templates_file: str | None = None  # YAML overriding the Indonesian reply templates
    lapor_core_url: str | None = (
        None  # forward submitted reports here (JSON); unset: we are the core
    )
    lapor_core_token: SecretStr | None = None
    handler_name: str = "handler"  # the console's actor name until sign-in exists

    # Campaigns (issue 4): publishing, metrics, media.
    telegram_channel_id: str | None = None  # "@channel" or "-100…": where campaign posts go
    publish_poll_seconds: float = 1.0  # how often the scheduler looks for due posts
    publish_workers: int = 4  # platform calls in flight at once
    publish_max_attempts: int = 5  # then the channel version fails, loudly
    publish_retry_base_seconds: float = 60.0  # backoff: base × 2^(n-1), capped by retry_max
    publish_misfire_grace_minutes: int = 60  # later than this after its time: not posted, failed
    console_publish_latency_ms: int = 0  # the console publisher's simulated round trip
    metrics_poll_minutes: int = 30
    metrics_days: int = 30  # collect snapshots of posts published this recently
    media_dir: str = "data/media"
    infographic_font: str | None = None  # a TTF for text; default: DejaVu Sans (Indonesian)
    infographic_font_bold: str | None = None
    infographic_logo: str | None = None  # a PNG for the logo slot of every infographic

    # Retries: exponential backoff with jitter, capped.
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 900.0

    # Processes started by `lapor-social run`.
    console_port: int = 8501
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080

    @field_validator("watched_hashtags", "x_queries", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            sep = "\n" if "\n" in value else ","
            return [part.strip() for part in value.split(sep) if part.strip()]
        return value

    @field_validator("watched_hashtags")
    @classmethod
    def _strip_hash(cls, value: list[str]) -> list[str]:
        return [tag.lstrip("#") for tag in value]

    def any_platform_configured(self) -> bool:
        """Return True when at least one real platform has its credentials set."""
        return any(
            (
                self.x_bearer_token,
                self.facebook_page_id and self.facebook_page_token,
                self.telegram_bot_token,
                self.line_channel_secret,
                self.messenger_app_secret,
            )
        )

    def demo_on(self) -> bool:
        """Return whether the demo stream runs: as set, or on when no platform is configured."""
        if self.demo_enabled is not None:
            return self.demo_enabled
        return not self.any_platform_configured()

    def secret_values(self) -> list[str]:
        """Return every secret that is set, longest first (for redaction only)."""
        values = [
            value.get_secret_value()
            for value in self.__dict__.values()
            if isinstance(value, SecretStr) and value.get_secret_value()
        ]
        return sorted(values, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """Return `text` with every configured secret replaced by '***'."""
        for secret in self.secret_values():
            text = text.replace(secret, "***")
        return text

    def sqlite_path(self) -> Path | None:
        """Return the SQLite file path when the store is SQLite on disk, else None."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None
