"""JSON logs with phone numbers and credentials redacted (bot/logging_setup.py)."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.config import Settings
from bot.logging_setup import REDACTED, Redactor, setup_logging


@pytest.fixture
def captured():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    handler = setup_logging(logging.DEBUG, secrets=["A0-secret-access-token"], stream=stream)
    yield stream
    root.removeHandler(handler)
    for old in saved[0]:
        root.addHandler(old)
    root.setLevel(saved[1])


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_line_with_fields(captured):
    logging.getLogger("bot.test").info("sent %d replies", 3, extra={"channel": "zalo"})
    [entry] = _lines(captured)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "bot.test"
    assert entry["message"] == "sent 3 replies"
    assert entry["channel"] == "zalo"
    assert entry["time"].endswith("+00:00")


@pytest.mark.parametrize(
    "phone", ["0912345678", "0912 345 678", "+84 912.345.678", "84912345678", "024 3825 1234"]
)
def test_phone_numbers_are_redacted(captured, phone):
    logging.getLogger("bot.test").warning("user typed %s in the form", phone)
    [entry] = _lines(captured)
    assert entry["message"] == f"user typed {REDACTED} in the form"


def test_tokens_and_secrets_are_redacted(captured):
    log = logging.getLogger("bot.test")
    log.info("calling with A0-secret-access-token now")
    log.info('answer {"access_token": "abc.def", "refresh_token": "r-123", "expires_in": "90000"}')
    log.info("form app_id=42&refresh_token=xyz&grant_type=refresh_token")
    log.info("telegram 123456789:AAE6JqTr1_AbCdEfGhIjKlMnOpQrStUvWxYz0")
    log.info("db postgresql+asyncpg://khuyencong:hunter22@db:5432/khuyencong")
    text = captured.getvalue()
    for secret in ("A0-secret-access-token", "abc.def", "r-123", "xyz", "AAE6JqTr1", "hunter22"):
        assert secret not in text
    assert "90000" in text, "non-secret values are kept"
    assert "app_id=42" in text


def test_exceptions_are_redacted_too(captured):
    try:
        raise ValueError("bad phone 0987654321")
    except ValueError:
        logging.getLogger("bot.test").exception("failed")
    [entry] = _lines(captured)
    assert "0987654321" not in entry["exception"]
    assert "ValueError" in entry["exception"]


def test_ids_and_amounts_are_not_mistaken_for_phones():
    redact = Redactor()
    assert redact("zalo user 8123456789012345678") == "zalo user 8123456789012345678"
    assert redact("1.500.000 đồng, năm 2026") == "1.500.000 đồng, năm 2026"


def test_settings_secrets_feed_the_redactor():
    from bot.logging_setup import settings_secrets

    settings = Settings(_env_file=None, zalo_oa_secret="oa-secret-123", telegram_token="1:abc")
    assert "oa-secret-123" in settings_secrets(settings)
