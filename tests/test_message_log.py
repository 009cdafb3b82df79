"""Operations logs: one INFO line per handled message (latency, outcome, never the text);
library chatter only from WARNING up (issue 15)."""

from __future__ import annotations

import io
import logging

from bot.app import App
from bot.logging_setup import QUIET_LOGGERS, setup_logging
from tests.transcript import Chat


def _handled(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "message handled"]


async def test_one_info_line_per_message_with_latency_and_outcome(
    chat: Chat, app: App, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="bot.dispatcher")
    await chat.say("ho tro may moc bao nhieu nha Nguyen Van An 0912345678")
    await chat.say("/menu")
    await chat.press("menu:show")
    records = _handled(caplog)
    assert [r.outcome for r in records] == ["faq.answered", "command", "button"]
    for record in records:
        assert record.levelno == logging.INFO
        assert isinstance(record.latency_ms, float)
        assert record.latency_ms >= 0
        assert record.channel == "console"
    logged = " ".join(str(vars(r)) for r in caplog.records)
    assert "Nguyen" not in logged
    assert "0912345678" not in logged


def test_library_chatter_is_quiet_after_setup() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    old_handlers, old_level = list(root.handlers), root.level
    setup_logging(logging.INFO, stream=stream)
    try:
        for name in (
            "httpx",
            "httpcore.connection",
            "telegram.ext.Updater",
            "apscheduler.scheduler",
            "aiohttp.access",
        ):
            logging.getLogger(name).info("poll %s", name)
        logging.getLogger("httpx").warning("server unreachable")
        logging.getLogger("bot.dispatcher").info("message handled")
        out = stream.getvalue()
        assert "poll" not in out
        assert "server unreachable" in out
        assert "message handled" in out
    finally:
        root.handlers[:] = old_handlers
        root.setLevel(old_level)
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
