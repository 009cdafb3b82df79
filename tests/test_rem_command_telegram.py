"""`reminders dispatch` delivers Telegram rows through the real sender (fake Bot API)."""

import io

from pydantic import SecretStr

from bot.db.repositories import SqlStore
from bot.reminders_command import dispatch_command
from handlers.messages import Reply, Target
from tests.telegram_harness import TOKEN


async def test_dispatch_command_sends_telegram_rows(app, settings, clock, fake):
    async with app.db.transaction() as session:
        await SqlStore(session, clock.now()).outbox.enqueue(
            key="notice-1",
            target=Target("telegram", "4242"),
            reply=Reply("Dạ, còn 7 ngày nữa là hạn nộp hồ sơ ạ."),
            due_at=clock.now(),
        )
    with_token = settings.model_copy(
        update={"telegram_token": SecretStr(TOKEN), "telegram_base_url": fake.base_url}
    )
    out = io.StringIO()
    assert await dispatch_command(with_token, clock.now().isoformat(), out) == 0
    [sent] = fake.made("sendMessage", "4242")
    assert sent.params["text"] == "Dạ, còn 7 ngày nữa là hạn nộp hồ sơ ạ."
    assert "sent=1" in out.getvalue()
