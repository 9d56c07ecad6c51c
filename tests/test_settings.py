"""Settings come from HOMECOMING_* variables; a bad one stops start-up with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAHomecomingTestTokenForTheFakeServer0"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("HOMECOMING_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_keep_everything_under_var() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/homecoming.db"
    assert settings.default_locale == "en"
    assert settings.telegram_token is None
    assert settings.redis_url is None


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMECOMING_DATA_DIR", "/srv/homecoming")
    monkeypatch.setenv("HOMECOMING_DEFAULT_LOCALE", "fr")
    monkeypatch.setenv("HOMECOMING_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("HOMECOMING_REDIS_URL", "redis://127.0.0.1:6379/0")
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:////srv/homecoming/homecoming.db"
    assert settings.default_locale == "fr"
    assert settings.telegram_token is not None
    assert settings.telegram_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings)  # the token never shows in logs or tracebacks
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("HOMECOMING_DEFAULT_LOCALE", "xx_YY", "HOMECOMING_DEFAULT_LOCALE: 'xx_YY' is not a"),
        ("HOMECOMING_DATABASE_URL", "mysql://x/y", "HOMECOMING_DATABASE_URL: driver 'mysql'"),
        ("HOMECOMING_DATABASE_URL", "not a url", "HOMECOMING_DATABASE_URL: not a database URL"),
        ("HOMECOMING_REDIS_URL", "localhost:6379", "HOMECOMING_REDIS_URL: must start with"),
        ("HOMECOMING_CONVERSATION_TIMEOUT_HOURS", "-1", "HOMECOMING_CONVERSATION_TIMEOUT_HOURS:"),
        ("HOMECOMING_CONVERSATION_TIMEOUT_HOURS", "soon", "HOMECOMING_CONVERSATION_TIMEOUT_HOURS:"),
        ("HOMECOMING_LOG_LEVEL", "LOUD", "HOMECOMING_LOG_LEVEL: must be one of"),
        ("HOMECOMING_TELEGRAM_TOKEN", "123:abc", "HOMECOMING_TELEGRAM_TOKEN: does not look"),
        ("HOMECOMING_TELEGRAM_API_URL", "localhost:8081", "HOMECOMING_TELEGRAM_API_URL: must"),
        ("HOMECOMING_WEBHOOK_LISTEN", "8080", "HOMECOMING_WEBHOOK_LISTEN: use HOST:PORT"),
        ("HOMECOMING_WEBHOOK_SECRET", "a b", "HOMECOMING_WEBHOOK_SECRET: use 1 to 256"),
        ("HOMECOMING_TELEGRAM_RATE_PER_SECOND", "0", "HOMECOMING_TELEGRAM_RATE_PER_SECOND:"),
        ("HOMECOMING_DATA_KEY", "secret", "HOMECOMING_DATA_KEY: not a Fernet key"),
        ("HOMECOMING_EVENT_LOOP", "trio", "HOMECOMING_EVENT_LOOP:"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_cli_stops_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMECOMING_")}
    env["HOMECOMING_DEFAULT_LOCALE"] = "klingon"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "HOMECOMING_DEFAULT_LOCALE: 'klingon' is not a known locale (e.g. en, fr, ar)"
    ]
    assert "Traceback" not in result.stderr


def test_env_example_documents_every_setting() -> None:
    from bot.settings import Settings

    example = (ROOT / ".env.example").read_text()
    for name in Settings.model_fields:
        assert f"HOMECOMING_{name.upper()}=" in example, name


def test_survey_window_and_weights_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_settings().survey_window_days == 7
    monkeypatch.setenv("HOMECOMING_SURVEY_WINDOW_DAYS", "0")
    with pytest.raises(SettingsError, match="HOMECOMING_SURVEY_WINDOW_DAYS"):
        load_settings()
    monkeypatch.setenv("HOMECOMING_SURVEY_WINDOW_DAYS", "14")
    monkeypatch.setenv("HOMECOMING_RSS_WEIGHTS", str(tmp_path / "missing.yaml"))
    with pytest.raises(SettingsError, match=r"HOMECOMING_RSS_WEIGHTS: .*no weights file"):
        load_settings()
    weights = tmp_path / "weights.yaml"
    weights.write_text("version: x\n")
    monkeypatch.setenv("HOMECOMING_RSS_WEIGHTS", str(weights))
    settings = load_settings()
    assert settings.survey_window_days == 14 and settings.rss_weights == weights


async def test_production_refuses_to_start_without_any_staff(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An alert must always reach a person: with no staff at all, production mode stops,
    and otherwise every start says so loudly."""
    from bot.runtime import NO_STAFF, ContentRefused, start

    monkeypatch.setenv("HOMECOMING_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HOMECOMING_TRIAGE_SEMANTIC", "false")
    monkeypatch.setenv("HOMECOMING_PRODUCTION", "true")
    with pytest.raises(ContentRefused, match="no staff member is active"):
        await start(load_settings(), {})
    monkeypatch.setenv("HOMECOMING_PRODUCTION", "false")
    runtime = await start(load_settings(), {})
    try:
        assert NO_STAFF in caplog.text
    finally:
        await runtime.database.dispose()


def test_a_short_webhook_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMECOMING_WEBHOOK_SECRET", "short-secret")
    with pytest.raises(SettingsError, match=r"HOMECOMING_WEBHOOK_SECRET.*at least 32"):
        load_settings()
    monkeypatch.setenv("HOMECOMING_WEBHOOK_SECRET", "a" * 32)
    assert load_settings().webhook_secret is not None


def test_the_event_loop_is_uvloops_unless_asyncios_is_asked_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import builtins

    import uvloop

    from bot.run import StartupError, loop_factory

    assert loop_factory("auto") is uvloop.new_event_loop
    assert loop_factory("uvloop") is uvloop.new_event_loop
    assert loop_factory("asyncio") is None
    with asyncio.Runner(loop_factory=loop_factory("auto")) as runner:
        assert isinstance(runner.get_loop(), uvloop.Loop)
    real_import = builtins.__import__

    def without_uvloop(name: str, *args: object, **kwargs: object) -> object:
        if name == "uvloop":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", without_uvloop)
    assert loop_factory("auto") is None  # where it cannot be installed: asyncio's
    with pytest.raises(StartupError, match="uvloop is not installed"):
        loop_factory("uvloop")
