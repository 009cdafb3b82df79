"""Structured logs: one JSON object per line on stderr, with phone numbers and secrets redacted.

Redaction happens on the final message (arguments already merged) and on the traceback, so a
phone number or token that slips into any log call, at any level, never reaches the log store.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

REDACTED = "[redacted]"

# Vietnamese phone numbers: 0 or +84/84, then 9 digits (mobile) or 9-10 (landline), with the
# spaces, dots and dashes people type between groups.
_PHONE = re.compile(r"(?<![\w+])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
# key=value / "key": "value" pairs whose key names a credential.
_SECRET_PAIR = re.compile(
    r"(?i)(\"?(?:access_token|refresh_token|secret_key|secret|password|token|api_key|"
    r"authorization)\"?\s*[:=]\s*\"?)([^\s\"',&}]+)"
)
# Telegram bot tokens (digits:35 chars) and database URLs with a password.
_BOT_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)")

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime"}
)


# Libraries that log every poll, request or scheduler heartbeat at INFO: warnings only.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram",
    "telegram.ext",
    "apscheduler",
    "aiohttp.access",
)


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Known secret values (from settings) are removed verbatim, whatever their shape.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _SECRET_PAIR.sub(lambda m: m.group(1) + REDACTED, text)
        text = _BOT_TOKEN.sub(REDACTED, text)
        text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(2), text)
        return _PHONE.sub(REDACTED, text)


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = self._plain(value)
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)

    def _plain(self, value: object) -> object:
        if isinstance(value, bool | int | float) or value is None:
            return value
        return self.redact(str(value))


def setup_logging(
    level: int | str = logging.INFO,
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root handlers with one JSON handler; returns it (tests remove it)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(Redactor(secrets)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def settings_secrets(settings: object) -> list[str]:
    """Every secret value in Settings (SecretStr fields), for verbatim redaction."""
    values = []
    for name in type(settings).model_fields:  # type: ignore[attr-defined]
        value = getattr(settings, name, None)
        getter = getattr(value, "get_secret_value", None)
        if getter is not None:
            values.append(str(getter()))
    return values
