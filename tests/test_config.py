"""Settings: SPEC §2 names and defaults, and errors that name the variable."""

import subprocess
import sys

import pytest

from bot.channels.telegram.settings import telegram_config
from bot.channels.zalo.settings import zalo_config
from bot.config import ConfigError, QuietHours, load_settings
from handlers.messages import Target


def test_defaults_match_the_spec():
    s = load_settings(_env_file=None)
    assert s.database_url == "sqlite+aiosqlite:///./data/khuyencong.db"
    assert str(s.data_dir) == "data"
    assert s.timezone == "Asia/Ho_Chi_Minh"
    # Unset: the window of knowledge/reminders/policy.yaml, shipped as SPEC §2's 21-7
    # (tests/test_reminder_policy.py); the setting overrides it.
    assert s.quiet_hours is None
    assert s.telegram_base_url == "https://api.telegram.org/bot"
    assert (s.http_host, s.http_port) == ("0.0.0.0", 8080)
    assert s.zalo_api_base == "https://openapi.zalo.me"
    assert s.zalo_oauth_base == "https://oauth.zaloapp.com"
    # No channel but the console until its settings are given (each channel decides).
    assert telegram_config(s) is None
    assert zalo_config(s) is None


def test_environment_values_are_parsed(monkeypatch):
    monkeypatch.setenv("BOT_OFFICER_IDS", "telegram:12345, zalo:678")
    monkeypatch.setenv("BOT_OFFICER_CHAT", "telegram:-100200")
    monkeypatch.setenv("BOT_QUIET_HOURS", "22-6")
    monkeypatch.setenv("BOT_HTTP_PORT", "9090")
    monkeypatch.setenv("BOT_TELEGRAM_TOKEN", "123:abc")
    s = load_settings(_env_file=None)
    assert s.officer_ids == frozenset({"telegram:12345", "zalo:678"})
    assert s.officer_chat == Target("telegram", "-100200")
    assert s.quiet_hours == QuietHours(22, 6)
    assert s.http_port == 9090
    assert s.telegram_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(s)


def test_dotenv_file_is_read(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("BOT_PROVINCE=quang_ninh\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().province == "quang_ninh"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOT_HTTP_PORT", "abc"),
        ("BOT_HTTP_PORT", "70000"),
        ("BOT_QUIET_HOURS", "21h-7h"),
        ("BOT_QUIET_HOURS", "25-7"),
        ("BOT_TIMEZONE", "Mars/Olympus"),
        ("BOT_OFFICER_IDS", "12345"),
        ("BOT_OFFICER_CHAT", "telegram"),
        ("BOT_OFFICER_CHAT", "telegram:-100123:chung"),
        ("BOT_OFFICER_CHAT", "telegram:-100123:"),
        ("BOT_OFFICER_CHAT", "telegram:nhom-can-bo"),
        ("BOT_OFFICER_CHAT", "zalo:123:45"),
        ("BOT_TELEGRAM_WEBHOOK_SECRET", "has space"),
        ("BOT_TELEGRAM_WEBHOOK_SECRET", "bí-mật"),
        ("BOT_TELEGRAM_WEBHOOK_SECRET", "a" * 257),
        ("BOT_TELEGRAM_WEBHOOK_SECRET", "semi;colon"),
        ("BOT_TELEGRAM_WEBHOOK_SECRET", ""),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings(_env_file=None)


@pytest.mark.parametrize(
    ("value", "chat_id"),
    [("telegram:-100123", "-100123"), ("telegram:-100123:45", "-100123:45"), ("zalo:678", "678")],
)
def test_officer_chat_may_name_a_telegram_topic(monkeypatch, value, chat_id):
    monkeypatch.setenv("BOT_OFFICER_CHAT", value)
    target = load_settings(_env_file=None).officer_chat
    assert target is not None
    assert target.chat_id == chat_id


@pytest.mark.parametrize("secret", ["a", "A-z_09", "x" * 256])
def test_good_webhook_secrets_load(monkeypatch, secret):
    monkeypatch.setenv("BOT_TELEGRAM_WEBHOOK_SECRET", secret)
    loaded = load_settings(_env_file=None).telegram_webhook_secret
    assert loaded is not None
    assert loaded.get_secret_value() == secret


@pytest.mark.parametrize(
    ("hours", "inside", "outside"),
    [(QuietHours(21, 7), [21, 23, 0, 6], [7, 12, 20]), (QuietHours(12, 14), [12, 13], [11, 14])],
)
def test_quiet_hours_window(hours, inside, outside):
    assert all(hours.contains(h) for h in inside)
    assert not any(hours.contains(h) for h in outside)


def test_cli_reports_a_bad_setting_without_a_traceback(subprocess_env):
    env = dict(subprocess_env, BOT_HTTP_PORT="tám nghìn")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "BOT_HTTP_PORT" in done.stderr
    assert "Traceback" not in done.stderr


def test_database_pool_size_is_a_setting(monkeypatch):
    from bot.config import Settings
    from bot.db.engine import Database

    monkeypatch.setenv("BOT_DATABASE_POOL_SIZE", "7")
    settings = Settings(_env_file=None)
    assert settings.database_pool_size == 7
    db = Database("postgresql+asyncpg://u@127.0.0.1:1/x", pool_size=settings.database_pool_size)
    assert db.engine.pool.size() == 7


@pytest.mark.parametrize("pool", [2, 3, 4, 7, 16, 50, 200])
def test_run_concurrency_fits_the_database_pool(pool):
    """Both inbox channels and the outbox busy at once need at most 2 × the pool (the pool and
    its overflow), with a quarter of the pool left for storing new updates."""
    from bot.config import Settings

    settings = Settings(_env_file=None, database_pool_size=pool)
    busy = 2 * settings.inbox_concurrency + settings.outbox_concurrency
    assert busy <= 2 * pool - pool // 4
    assert settings.inbox_concurrency >= 1
    assert 1 <= settings.outbox_concurrency <= 8
