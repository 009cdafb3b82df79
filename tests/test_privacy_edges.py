"""Personal data at the edges: database errors in logs, over-long display names."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from bot.db.models import User
from handlers.messages import IncomingMessage

SECRET = "Nguyễn Thị Bí Mật 0987654321"


async def test_database_errors_never_carry_parameters(app, caplog):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    row = dict(channel="console", external_id="x", display_name=SECRET, created_at=now,
               last_seen_at=now)  # fmt: skip
    async with app.db.transaction() as session:
        await session.execute(insert(User).values(id=7, **row))
    caught: IntegrityError | None = None
    try:
        async with app.db.transaction() as session:
            await session.execute(insert(User).values(id=7, **row))
    except IntegrityError as exc:
        logging.getLogger("bot.test").exception("insert failed")
        caught = exc
    assert caught is not None
    assert "INSERT INTO users" in str(caught)
    assert SECRET not in str(caught)
    assert "Bí Mật" not in caplog.text
    assert "insert failed" in caplog.text


async def test_a_display_name_longer_than_its_column_is_cut(app):
    long_name = "Đ" * 64 + " " + "Ư" * 64
    replies = await app.dispatcher.handle(
        IncomingMessage("telegram", "42", "42", text="/start", display_name=long_name,
                        message_id="x" * 300)  # fmt: skip
    )
    assert replies[0].text.startswith("Dạ")
    async with app.db.transaction() as session:
        stored = (await session.execute(select(User.display_name))).scalar_one()
    assert stored == long_name[:128]
