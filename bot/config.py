"""Every knob of the bot, read from the environment and `.env` (see .env.example)."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///data/bot.db"


def _grant_targets() -> dict[str, int]:
    """The grant application's targets, defined once in services.report (imported when first needed)."""
    from services.report import DEFAULT_TARGETS

    return dict(DEFAULT_TARGETS)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Telegram
    bot_token: SecretStr | None = None
    telegram_api_url: str | None = None
    admin_chat_id: int | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    staff_cache_seconds: int = 300

    # The staff workspace in the admin chat
    staff_forum_threads: dict[str, int] = Field(default_factory=dict)
    """Forum admin chat: feature -> message_thread_id, as JSON (consultations, bookings, ideas,
    catalogue, events, broadcasts, errors)."""
    staff_forum_create: bool = True
    """Forum admin chat: the bot creates a topic for each feature not mapped above (needs the right)."""
    error_chat_id: int | None = None
    """A separate chat for technical error alerts (else the errors topic, or the admin chat)."""
    # MAX (optional): the same bot for residents in the MAX messenger (bot/max.py)
    max_bot_token: SecretStr | None = None
    max_api_url: str | None = None
    """Base URL of the MAX Bot API (default aiogram-max's, https://platform-api.max.ru); tests set a fake."""
    max_rate: float = Field(default=25.0, gt=0, le=30)
    """Messages a second the outbox sends through MAX (MAX allows 30 requests a second per bot)."""

    # Storage
    database_url: str = DEFAULT_SQLITE_URL
    redis_url: str | None = None

    # Locale and time
    timezone: str = "Asia/Krasnoyarsk"
    default_locale: str = "ru"

    # The Center (shown in «О Центре»)
    center_name: str = "Центр местного сообщества"
    center_address: str = "662660, Красноярский край, Краснотуранский р-н, с. Краснотуранск, ул. Ленина, 22А"
    center_latitude: float = 54.3176
    center_longitude: float = 91.5662
    center_phone: str = ""  # empty: not shown
    center_email: str = ""  # empty: not shown
    center_hours: str = "Пн–Пт 9:00–18:00, Сб 10:00–15:00"
    policy_version: str = "1.0"
    policy_changes: str = ""
    """What changed in the latest policy version, in one sentence: shown when people are asked again."""

    # The personal-data operator (152-ФЗ): the legal entity named in the consent text
    operator_name: str = "ММООПСИКР «Перспектива»"
    operator_inn: str = ""
    operator_address: str = (
        "662660, Красноярский край, Краснотуранский р-н, с. Краснотуранск, ул. Ленина, 22А"
    )

    # Webhook mode (polling when WEBHOOK_URL is empty)
    webhook_url: str | None = None
    """Public HTTPS base URL Telegram posts to, e.g. https://bot.example.org"""
    webhook_path: str = "/telegram/webhook"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8080
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, le=600)
    """On SIGTERM (polling or webhook), how long the updates in flight may take to finish."""

    # Runtime
    log_level: str = "INFO"
    log_format: Literal["plain", "json"] = "plain"
    """plain: readable lines; json: one JSON object a line (for a log collector)."""
    throttle_rate: int = 5
    """Updates a person may send per second before the excess is dropped."""
    tasks_concurrency_limit: int = 40
    error_alert_interval: int = 60

    # Notifications (outbox)
    outbox_tick_seconds: int = 15
    """How often due notices are looked for; an idle look is one indexed read."""
    quiet_hours_start: time = time(22, 0)
    quiet_hours_end: time = time(8, 0)
    digest_day: str = "mon"
    digest_time: time = time(10, 0)
    outbox_rate: float = Field(default=28.0, gt=0, le=30)
    """Notifications a second the outbox sender sends at most (Telegram allows about 30)."""
    send_rate: float = Field(default=28.0, gt=0, le=30)
    """With REDIS_URL: messages a second the whole bot sends, every sender of every instance together."""
    outbox_claim_seconds: int = Field(default=300, ge=5)
    """A claimed notice not marked within this time (the process died) is taken again."""
    outbox_max_attempts: int = Field(default=5, ge=1, le=20)
    """Tries per notice on ordinary errors before it is recorded as failed."""
    digest_catch_up_hours: int = Field(default=24, ge=0)
    """A bot that was down at the digest time queues that week's digest on start within this many hours."""

    # Services showcase (ЭКСПО услуг)
    showcase_answer_hours: int = Field(default=24, ge=1)
    """Hours a provider has to accept or decline a resident's request before staff are alerted."""

    # Broadcasts
    broadcast_rate: float = Field(default=25.0, gt=0, le=30)
    """Messages a second the broadcast sender sends (Telegram allows about 30)."""
    broadcast_concurrency: int = Field(default=6, ge=1, le=30)
    """Broadcast requests in flight at once."""
    broadcast_max_attempts: int = Field(default=3, ge=1, le=10)
    """Tries per recipient on errors other than «blocked» (those are never retried)."""
    broadcast_progress_seconds: float = Field(default=5.0, ge=1)
    """How often the progress message in the admin chat is edited."""
    broadcast_poll_seconds: float = Field(default=10.0, ge=0.5)
    """How often the sender looks for scheduled broadcasts that became due."""
    broadcast_lease_seconds: float = Field(default=30.0, ge=2)
    """A running broadcast belongs to one bot process while it renews this lease; after a crash another
    process (or the restarted one) takes it over once the lease has run out."""

    # Retention of personal data (152-ФЗ)
    guest_retention_days: int = Field(default=90, ge=1)
    """Guests booked by staff (name, phone) are erased this many days after their booking."""
    draft_retention_days: int = Field(default=30, ge=1)
    """Dialog state and drafts nobody touched for this many days expire (SQL rows by a job, Redis by TTL)."""

    # Limits against flooding the staff
    consult_open_limit: int = Field(default=3, ge=1)
    """Consultation requests one person may have open at once."""
    showcase_pending_limit: int = Field(default=5, ge=1)
    """Showcase cards of one provider that may wait for moderation at once."""
    approval_pending_limit: int = Field(default=1, ge=1)
    """Requests one person may have waiting for staff approval per resource (EXPO hall, trial office)."""

    # Consultations
    consult_response_hours: int = 24
    """Working hours (Saturday and Sunday skipped) staff have to take a new request before it is raised again."""
    consult_forum_threads: dict[str, int] = Field(default_factory=dict)
    """Forum admin chat: topic code (or "*" for any) -> message_thread_id, as JSON."""
    consult_forum_create: bool = False
    """Forum admin chat: create a forum topic per consultation topic when none is mapped."""

    # Project ideas
    ideas_daily_limit: int = 3
    """Ideas a person may send to moderation within 24 hours."""
    ideas_support_threshold: int = 10
    """Supports after which an idea is raised in the admin chat (once)."""
    ideas_support_milestones: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [1, 5, 10, 25, 50, 100, 250, 500, 1000]
    )
    """Support counts at which the author is told."""
    ideas_update_interval_days: int = 3
    """An author may write to the supporters of an idea at most once in this many days."""
    ideas_page_size: int = 5

    # Events
    event_offer_hours: float = Field(default=12, gt=0, le=168)
    """Hours a person offered a freed place from the wait-list has to confirm it before it passes on."""
    events_page_size: int = Field(default=5, ge=1, le=10)
    """Events shown per page in /events."""

    # Reach report for the funder
    report_targets: dict[str, int] = Field(default_factory=_grant_targets)
    """The grant's targets: people reached per target group, as JSON {group code: number}; groups left
    out keep their default."""
    report_monthly_post: bool = False
    """Post last month's report to the admin chat on the 1st of each month."""
    report_offline_remind_days: int = Field(default=3, ge=1, le=20)
    """Days after the monthly question about offline recipients before providers are reminded (once)."""

    @field_validator("admin_ids", "ideas_support_milestones", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator(
        "bot_token",
        "telegram_api_url",
        "max_bot_token",
        "max_api_url",
        "redis_url",
        "admin_chat_id",
        "error_chat_id",
        "webhook_url",
        "webhook_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        """Without a secret aiogram accepts any POST as an update from Telegram: refuse to run so."""
        if not self.webhook_url:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if len(secret) < 32 or not re.fullmatch(r"[A-Za-z0-9_-]+", secret):
            raise ValueError(
                "webhook mode needs WEBHOOK_SECRET of at least 32 characters (letters, digits, _ and -); "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str:
        return self.bot_token.get_secret_value() if self.bot_token else ""

    @property
    def max_token(self) -> str:
        return self.max_bot_token.get_secret_value() if self.max_bot_token else ""
